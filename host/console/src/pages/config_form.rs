//! The config form, generated from the connector's config schema: one input per declared
//! key (required ones marked and required, secret ones as write-only password inputs that
//! show only whether a value is set), plus the settings every config has. A submitted form
//! becomes the API's own request types ([`NewSyncConfig`], [`SyncConfigPatch`]), so it is
//! checked exactly as an API request is.

use elder_sync_engine::resolver::Strategy;
use elder_sync_http::ApiError;
use elder_sync_model::ConfigField;
use elder_sync_store::{NewSyncConfig, Resource, SyncConfig, SyncConfigPatch};
use maud::{Markup, html};
use serde_json::{Map, Value, json};

use crate::form::FormData;

/// The prefix of the inputs holding `config_json` keys.
const KEY_PREFIX: &str = "cfg.";
/// The `config_json` key naming the conflict strategy.
const STRATEGY_KEY: &str = "conflict_strategy";

/// What the inputs show: nothing yet (a new config), a stored config (an edit), or a form
/// just submitted and refused (typed values kept, secrets never echoed).
#[derive(Clone, Copy)]
pub enum Prefill<'a> {
    New,
    Config(&'a SyncConfig),
    Submitted(&'a FormData),
}

impl Prefill<'_> {
    /// The text of input `name` (`name`, `sync_interval`, ... or `cfg.<key>`).
    fn text(self, name: &str) -> String {
        match self {
            Prefill::New if name == "sync_interval" => DEFAULT_INTERVAL.to_string(),
            Prefill::New => String::new(),
            Prefill::Submitted(form) => form.get(name).unwrap_or_default().to_string(),
            Prefill::Config(c) => match name {
                "name" => c.name.clone(),
                "sync_interval" => c.sync_interval.to_string(),
                "elder_project_id" => c
                    .elder_project_id
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                _ => match name
                    .strip_prefix(KEY_PREFIX)
                    .and_then(|k| c.config_json.get(k))
                {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                },
            },
        }
    }

    /// Whether checkbox `name` is ticked.
    fn checked(self, name: &str) -> bool {
        match self {
            Prefill::New => name == "webhook_enabled",
            Prefill::Submitted(form) => form.checked(name),
            Prefill::Config(c) => match name {
                "two_way_create" => c.two_way_create,
                "webhook_enabled" => c.webhook_enabled,
                _ => false,
            },
        }
    }

    /// Whether the stored config has a value for secret `key`.
    fn secret_set(self, key: &str) -> bool {
        match self {
            Prefill::Config(c) => c.secrets.get(key).is_some_and(|s| s.set),
            _ => false,
        }
    }
}

/// The default polling interval shown in a new config's form (the API's default).
const DEFAULT_INTERVAL: i64 = 300;

/// What the form is drawn from.
pub struct FormContext<'a> {
    pub schema: &'a [ConfigField],
    pub projects: &'a [Resource],
    pub prefill: Prefill<'a>,
}

fn schema_field(ctx: &FormContext<'_>, f: &ConfigField) -> Markup {
    let id = format!("{KEY_PREFIX}{}", f.key);
    let is_set = ctx.prefill.secret_set(&f.key);
    let required_now = f.required && !(f.secret && is_set);
    html! {
        div.field {
            label for=(id) {
                code { (f.key) }
                @if f.required { " " span.req { "(required)" } } @else { " " span.muted { "(optional)" } }
                @if f.secret { " " span.badge.muted { "secret" } }
            }
            @if f.secret {
                input id=(id) name=(id) type="password" autocomplete="new-password" required[required_now]
                    placeholder=(if is_set { "set — leave blank to keep" } else { "not set" })
                    aria-describedby=(format!("{id}-help"));
            } @else {
                input id=(id) name=(id) type="text" required[f.required]
                    value=(ctx.prefill.text(&id)) aria-describedby=(format!("{id}-help"));
            }
            small id=(format!("{id}-help")) {
                (f.description)
                @if f.secret { br; "Write-only: stored encrypted, never shown again." }
            }
        }
    }
}

/// The inputs of the form (without the `<form>` element and its buttons).
pub fn fields(ctx: &FormContext<'_>) -> Markup {
    let p = ctx.prefill;
    let strategy = p.text(&format!("{KEY_PREFIX}{STRATEGY_KEY}"));
    let strategy = match p {
        Prefill::Submitted(form) => form.get(STRATEGY_KEY).unwrap_or_default().to_string(),
        _ => strategy,
    };
    let project = p.text("elder_project_id");
    html! {
        div.field {
            label for="name" { "Name " span.req { "(required)" } }
            input id="name" name="name" type="text" required maxlength="200" value=(p.text("name"));
        }
        div.field {
            label for="elder_project_id" { "Elder project" }
            select id="elder_project_id" name="elder_project_id" {
                option value="" { "none" }
                @for r in ctx.projects {
                    option value=(r.id) selected[project == r.id.to_string()] { (r.title) " (#" (r.id) ")" }
                }
            }
        }
        div.field {
            label for="sync_interval" { "Polling interval (seconds, 30 to 86400)" }
            input id="sync_interval" name="sync_interval" type="number" min="30" max="86400"
                value=(p.text("sync_interval"));
        }
        div.field {
            label for="conflict_strategy" { "Conflict strategy" }
            select id="conflict_strategy" name="conflict_strategy" {
                option value="" { "default (last_modified_wins)" }
                @for s in Strategy::ALL {
                    option value=(s.as_str()) selected[strategy == s.as_str()] { (s.as_str()) }
                }
            }
        }
        div.field.check {
            input id="two_way_create" name="two_way_create" type="checkbox" checked[p.checked("two_way_create")];
            label for="two_way_create" { "Create items both ways (items new on either side are created on the other)" }
        }
        div.field.check {
            input id="webhook_enabled" name="webhook_enabled" type="checkbox" checked[p.checked("webhook_enabled")];
            label for="webhook_enabled" { "Receive webhooks (a secret is generated and shown once when none is set)" }
        }
        fieldset {
            legend { "Connector settings" }
            @for f in ctx.schema { (schema_field(ctx, f)) }
        }
    }
}

fn number(form: &FormData, key: &str) -> Result<Option<i64>, ApiError> {
    form.text(key)
        .map(|v| {
            v.parse::<i64>().map_err(|_| {
                ApiError::validation(key, format!("must be a whole number, got {v:?}"))
            })
        })
        .transpose()
}

/// The `config_json` the form gives: non-secret keys as typed (blank: `null`, i.e. removed
/// on an edit), secret keys only when a value was typed (blank keeps the stored one), and the
/// conflict strategy.
fn config_json(form: &FormData, schema: &[ConfigField]) -> Map<String, Value> {
    let mut out = Map::new();
    for f in schema {
        let value = form
            .get(&format!("{KEY_PREFIX}{}", f.key))
            .map(str::trim)
            .filter(|v| !v.is_empty());
        match (value, f.secret) {
            (Some(v), _) => out.insert(f.key.clone(), json!(v)),
            (None, false) => out.insert(f.key.clone(), Value::Null),
            (None, true) => None,
        };
    }
    out.insert(
        STRATEGY_KEY.into(),
        form.text(STRATEGY_KEY).map_or(Value::Null, |s| json!(s)),
    );
    out
}

/// A create request from the form for `platform`.
pub fn new_config(
    form: &FormData,
    platform: &str,
    schema: &[ConfigField],
) -> Result<NewSyncConfig, ApiError> {
    let mut cfg = config_json(form, schema);
    cfg.retain(|_, v| !v.is_null());
    let body = json!({
        "name": form.get("name").unwrap_or_default(),
        "platform": platform,
        "sync_interval": number(form, "sync_interval")?.unwrap_or(DEFAULT_INTERVAL),
        "two_way_create": form.checked("two_way_create"),
        "webhook_enabled": form.checked("webhook_enabled"),
        "elder_project_id": number(form, "elder_project_id")?,
        "config_json": cfg,
    });
    serde_json::from_value(body).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// A patch from the edit form.
pub fn patch(form: &FormData, schema: &[ConfigField]) -> Result<SyncConfigPatch, ApiError> {
    Ok(SyncConfigPatch {
        name: Some(form.get("name").unwrap_or_default().to_string()),
        sync_interval: number(form, "sync_interval")?,
        two_way_create: Some(form.checked("two_way_create")),
        webhook_enabled: Some(form.checked("webhook_enabled")),
        elder_project_id: Some(number(form, "elder_project_id")?),
        config_json: Some(config_json(form, schema)),
        ..SyncConfigPatch::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;

    fn schema() -> Vec<ConfigField> {
        let field = |key: &str, required, secret| ConfigField {
            key: key.into(),
            description: String::new(),
            required,
            secret,
        };
        vec![
            field("owner", true, false),
            field("api_token", true, true),
            field("base_url", false, false),
        ]
    }

    #[test]
    fn a_blank_secret_is_left_out_and_a_blank_setting_removed() {
        let form = FormData::parse(&Bytes::from_static(
            b"name=gh&cfg.owner=acme&cfg.api_token=&cfg.base_url=&conflict_strategy=manual&two_way_create=on",
        ));
        let p = patch(&form, &schema()).unwrap();
        let cfg = p.config_json.unwrap();
        assert!(!cfg.contains_key("api_token"));
        assert_eq!(cfg["base_url"], Value::Null);
        assert_eq!(cfg["conflict_strategy"], json!("manual"));
        assert_eq!(p.two_way_create, Some(true));
        assert_eq!(p.webhook_enabled, Some(false));
        let new = new_config(&form, "github", &schema()).unwrap();
        assert!(!new.config_json.contains_key("base_url"));
        assert_eq!(new.config_json["owner"], json!("acme"));
    }

    #[test]
    fn a_bad_number_names_its_field() {
        let form = FormData::parse(&Bytes::from_static(b"name=gh&sync_interval=soon"));
        let e = new_config(&form, "github", &schema()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("sync_interval"));
    }
}
