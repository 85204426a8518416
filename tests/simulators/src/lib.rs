//! Stateful simulators of GitHub, GitLab, Jira Cloud, Trello and OpenProject for tests. (being written)
