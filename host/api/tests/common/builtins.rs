//! A catalog with the config schemas the five built-in connectors declare in `describe`
//! (connectors/*/src): what the service's catalog answers when they are installed.

use elder_sync_api::StaticCatalog;
use elder_sync_model::ConfigField;
use elder_sync_store::WebhookSecretForm;

fn field(key: &str, description: &str, required: bool, secret: bool) -> ConfigField {
    ConfigField {
        key: key.into(),
        description: description.into(),
        required,
        secret,
    }
}

/// The five built-ins' platforms and schemas (required and secret flags as declared).
pub fn builtin_catalog() -> StaticCatalog {
    let plain = WebhookSecretForm::Plain;
    StaticCatalog::new()
        .with(
            "github",
            vec![
                field("api_token", "GitHub token", true, true),
                field("owner", "Repository owner (alias: `org`)", true, false),
                field("org", "Alias of `owner`", false, false),
                field("repo", "Repository name", true, false),
                field("base_url", "API root", false, false),
                field("webhook_secret", "Webhook secret", false, true),
            ],
            plain,
        )
        .with(
            "gitlab",
            vec![
                field("api_token", "Access token", true, true),
                field("project_id", "Project", true, false),
                field("base_url", "Instance URL", false, false),
                field("group_id", "Group", false, false),
                field("webhook_secret", "Webhook secret", false, true),
            ],
            plain,
        )
        .with(
            "jira",
            vec![
                field("api_token", "API token", true, true),
                field("email", "Account e-mail", true, false),
                field("jira_url", "Site URL", true, false),
                field("project_key", "Project key", true, false),
                field("issue_type", "Issue type", false, false),
                field("webhook_secret", "Webhook secret", false, true),
            ],
            plain,
        )
        .with(
            "trello",
            vec![
                field("api_key", "API key", true, true),
                field("api_token", "User token", true, true),
                field("board_id", "Board", true, false),
                field("base_url", "API root", false, false),
            ],
            plain,
        )
        .with(
            "openproject",
            vec![
                field("api_key", "API key", true, true),
                field("base_url", "Instance root", true, false),
                field("project_id", "Project", true, false),
            ],
            plain,
        )
}
