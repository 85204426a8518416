//! JSON fixtures in the shapes GitHub's REST API and webhooks send (from GitHub's
//! documentation examples), for the unit tests.

/// A user object.
macro_rules! user {
    () => {
        r#"{"login":"octocat","id":1,"node_id":"MDQ6VXNlcjE=","avatar_url":"https://github.com/images/error/octocat_happy.gif","gravatar_id":"","url":"https://api.github.com/users/octocat","html_url":"https://github.com/octocat","followers_url":"https://api.github.com/users/octocat/followers","following_url":"https://api.github.com/users/octocat/following{/other_user}","gists_url":"https://api.github.com/users/octocat/gists{/gist_id}","starred_url":"https://api.github.com/users/octocat/starred{/owner}{/repo}","subscriptions_url":"https://api.github.com/users/octocat/subscriptions","organizations_url":"https://api.github.com/users/octocat/orgs","repos_url":"https://api.github.com/users/octocat/repos","events_url":"https://api.github.com/users/octocat/events{/privacy}","received_events_url":"https://api.github.com/users/octocat/received_events","type":"User","site_admin":false}"#
    };
}

/// A label from `GET /repos/{o}/{r}/labels`.
pub const LABEL: &str = r#"{"id":208045946,"node_id":"MDU6TGFiZWwyMDgwNDU5NDY=","url":"https://api.github.com/repos/octocat/Hello-World/labels/bug","name":"bug","description":"Something isn't working","color":"f29513","default":true}"#;

/// A milestone from `GET /repos/{o}/{r}/milestones/1`.
pub const MILESTONE: &str = concat!(
    r#"{"url":"https://api.github.com/repos/octocat/Hello-World/milestones/1","html_url":"https://github.com/octocat/Hello-World/milestones/v1.0","labels_url":"https://api.github.com/repos/octocat/Hello-World/milestones/1/labels","id":1002604,"node_id":"MDk6TWlsZXN0b25lMTAwMjYwNA==","number":1,"state":"closed","title":"v1.0","description":"Tracking milestone for version 1.0","creator":"#,
    user!(),
    r#","open_issues":4,"closed_issues":8,"created_at":"2011-04-10T20:09:31Z","updated_at":"2014-03-03T18:58:10Z","closed_at":"2013-02-12T13:22:01Z","due_on":"2012-10-09T23:39:01Z"}"#
);

/// An issue from `GET /repos/{o}/{r}/issues/1347`.
pub const ISSUE: &str = concat!(
    r#"{"id":1,"node_id":"MDU6SXNzdWUx","url":"https://api.github.com/repos/octocat/Hello-World/issues/1347","repository_url":"https://api.github.com/repos/octocat/Hello-World","labels_url":"https://api.github.com/repos/octocat/Hello-World/issues/1347/labels{/name}","comments_url":"https://api.github.com/repos/octocat/Hello-World/issues/1347/comments","events_url":"https://api.github.com/repos/octocat/Hello-World/issues/1347/events","html_url":"https://github.com/octocat/Hello-World/issues/1347","number":1347,"state":"open","title":"Found a bug","body":"I'm having a problem with this.","user":"#,
    user!(),
    r#","labels":[{"id":208045946,"node_id":"MDU6TGFiZWwyMDgwNDU5NDY=","url":"https://api.github.com/repos/octocat/Hello-World/labels/bug","name":"bug","description":"Something isn't working","color":"f29513","default":true}],"assignee":"#,
    user!(),
    r#","assignees":["#,
    user!(),
    r#"],"milestone":{"url":"https://api.github.com/repos/octocat/Hello-World/milestones/1","html_url":"https://github.com/octocat/Hello-World/milestones/v1.0","labels_url":"https://api.github.com/repos/octocat/Hello-World/milestones/1/labels","id":1002604,"node_id":"MDk6TWlsZXN0b25lMTAwMjYwNA==","number":1,"state":"open","title":"v1.0","description":"Tracking milestone for version 1.0","creator":"#,
    user!(),
    r#","open_issues":4,"closed_issues":8,"created_at":"2011-04-10T20:09:31Z","updated_at":"2014-03-03T18:58:10Z","closed_at":"2013-02-12T13:22:01Z","due_on":"2012-10-09T23:39:01Z"},"locked":true,"active_lock_reason":"too heated","comments":0,"closed_at":null,"created_at":"2011-04-22T13:33:48Z","updated_at":"2011-04-22T13:33:48Z","closed_by":null,"author_association":"COLLABORATOR","state_reason":"completed"}"#
);

/// A pull request as it appears in an issue listing.
pub const PULL_REQUEST_ISSUE: &str = r#"{"id":2,"node_id":"MDExOlB1bGxSZXF1ZXN0Mg==","number":1348,"state":"open","title":"Fix the bug","body":null,"labels":[],"assignees":[],"milestone":null,"html_url":"https://github.com/octocat/Hello-World/pull/1348","updated_at":"2011-04-22T13:40:00Z","pull_request":{"url":"https://api.github.com/repos/octocat/Hello-World/pulls/1348","html_url":"https://github.com/octocat/Hello-World/pull/1348","diff_url":"https://github.com/octocat/Hello-World/pull/1348.diff","patch_url":"https://github.com/octocat/Hello-World/pull/1348.patch"}}"#;

/// A repository object as webhooks embed it.
pub const REPOSITORY: &str = r#"{"id":1296269,"node_id":"MDEwOlJlcG9zaXRvcnkxMjk2MjY5","name":"Hello-World","full_name":"octocat/Hello-World","private":false,"html_url":"https://github.com/octocat/Hello-World"}"#;

/// An issue comment from `GET /repos/{o}/{r}/issues/comments/1` (edited once).
pub const COMMENT: &str = concat!(
    r#"{"id":1,"node_id":"MDEyOklzc3VlQ29tbWVudDE=","url":"https://api.github.com/repos/octocat/Hello-World/issues/comments/1","html_url":"https://github.com/octocat/Hello-World/issues/1347#issuecomment-1","body":"Me too","user":"#,
    user!(),
    r#","created_at":"2011-04-14T16:00:49Z","updated_at":"2011-04-14T16:05:12Z","issue_url":"https://api.github.com/repos/octocat/Hello-World/issues/1347","author_association":"COLLABORATOR"}"#
);
