//! Status changes through workflow transitions: pick the transition to the wanted status
//! (a configured or requested name, else any status in the `done` / not-`done` category),
//! and refuse transitions that need fields or do not exist with a `conflict` whose
//! message starts `invalid_transition:` so the engine records that conflict type.

use elder_connector_sdk::ConnectorError;
use serde_json::{Value, json};

use crate::settings::Settings;

/// Where an issue should go.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A status by name (case-insensitive).
    Named(String),
    /// Any status in the `done` category (true) or outside it (false).
    Done(bool),
}

fn invalid(msg: String) -> ConnectorError {
    ConnectorError::Conflict(format!("invalid_transition: {msg}"))
}

fn to_name(t: &Value) -> &str {
    t.pointer("/to/name").and_then(Value::as_str).unwrap_or("")
}

fn to_category(t: &Value) -> &str {
    t.pointer("/to/statusCategory/key")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Required fields without a default value, by key.
fn required_fields(t: &Value) -> Vec<String> {
    t.get("fields")
        .and_then(Value::as_object)
        .map(|f| {
            f.iter()
                .filter(|(_, v)| {
                    v.get("required").and_then(Value::as_bool) == Some(true)
                        && v.get("hasDefaultValue").and_then(Value::as_bool) != Some(true)
                })
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a status (name, category) already satisfies the target.
pub fn satisfied(target: &Target, status: &str, category: &str) -> bool {
    match target {
        Target::Named(n) => n.eq_ignore_ascii_case(status),
        Target::Done(done) => (category == "done") == *done,
    }
}

/// Picks the transition for `target` from a `GET transitions?expand=transitions.fields`
/// answer; `from` names the current status for messages.
pub fn pick<'a>(
    transitions: &'a [Value],
    target: &Target,
    from: &str,
) -> Result<&'a Value, ConnectorError> {
    let candidates: Vec<&Value> = match target {
        Target::Named(n) => transitions
            .iter()
            .filter(|t| to_name(t).eq_ignore_ascii_case(n))
            .collect(),
        Target::Done(true) => transitions
            .iter()
            .filter(|t| to_category(t) == "done")
            .collect(),
        Target::Done(false) => {
            let mut c: Vec<&Value> = transitions
                .iter()
                .filter(|t| to_category(t) == "new")
                .collect();
            c.extend(
                transitions
                    .iter()
                    .filter(|t| to_category(t) == "indeterminate"),
            );
            c
        }
    };
    let wanted = match target {
        Target::Named(n) => format!("status `{n}`"),
        Target::Done(true) => "a done status".to_string(),
        Target::Done(false) => "an open status".to_string(),
    };
    if let Some(t) = candidates.iter().find(|t| required_fields(t).is_empty()) {
        return Ok(t);
    }
    match candidates.first() {
        Some(t) => Err(invalid(format!(
            "the transition `{}` from `{from}` to `{}` requires fields: {}",
            t.get("name").and_then(Value::as_str).unwrap_or("?"),
            to_name(t),
            required_fields(t).join(", ")
        ))),
        None => Err(invalid(format!("no transition from `{from}` to {wanted}"))),
    }
}

/// Moves issue `key` (now in `status`/`category`) to `target`; a no-op when already there.
pub fn move_to(
    s: &Settings,
    key: &str,
    status: &str,
    category: &str,
    target: &Target,
) -> Result<(), ConnectorError> {
    if satisfied(target, status, category) {
        return Ok(());
    }
    let url = format!("/rest/api/3/issue/{key}/transitions");
    let list = s
        .api
        .get(&format!("{url}?expand=transitions.fields"))
        .send()?
        .json::<Value>()?;
    let transitions = list
        .get("transitions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let t = pick(&transitions, target, status)?;
    let body = json!({"transition": {"id": t.get("id").cloned().unwrap_or(Value::Null)}});
    match s.api.post(&url).json(&body)?.send() {
        Ok(_) => Ok(()),
        Err(ConnectorError::InvalidInput(m)) => Err(invalid(format!(
            "Jira refused the transition to `{}`: {m}",
            to_name(t)
        ))),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(id: &str, to: &str, cat: &str, required: bool) -> Value {
        let fields = if required {
            json!({"resolution": {"required": true, "hasDefaultValue": false}})
        } else {
            json!({})
        };
        json!({"id": id, "name": format!("to {to}"), "to": {"name": to, "statusCategory": {"key": cat}}, "fields": fields})
    }

    #[test]
    fn picks_a_field_free_transition_into_the_category() {
        let ts = [
            tr("51", "Won't Do", "done", true),
            tr("31", "Done", "done", false),
            tr("21", "In Progress", "indeterminate", false),
        ];
        assert_eq!(pick(&ts, &Target::Done(true), "To Do").unwrap()["id"], "31");
        assert_eq!(
            pick(&ts, &Target::Done(false), "To Do").unwrap()["id"],
            "21"
        );
        assert_eq!(
            pick(&ts, &Target::Named("done".into()), "To Do").unwrap()["id"],
            "31"
        );
    }

    #[test]
    fn a_transition_needing_fields_is_an_invalid_transition_conflict() {
        let ts = [tr("51", "Won't Do", "done", true)];
        let e = pick(&ts, &Target::Named("Won't Do".into()), "To Do").unwrap_err();
        assert!(
            matches!(&e, ConnectorError::Conflict(m) if m.starts_with("invalid_transition:") && m.contains("resolution")),
            "{e:?}"
        );
    }

    #[test]
    fn a_missing_transition_is_an_invalid_transition_conflict() {
        let ts = [tr("41", "To Do", "new", false)];
        let e = pick(&ts, &Target::Done(true), "Done").unwrap_err();
        assert!(
            matches!(&e, ConnectorError::Conflict(m) if m.starts_with("invalid_transition: no transition from `Done`")),
            "{e:?}"
        );
    }

    #[test]
    fn satisfied_checks_name_or_category() {
        assert!(satisfied(&Target::Done(true), "Won't Do", "done"));
        assert!(!satisfied(&Target::Done(false), "Won't Do", "done"));
        assert!(satisfied(
            &Target::Named("in progress".into()),
            "In Progress",
            "indeterminate"
        ));
    }
}
