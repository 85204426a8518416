//! The shared fields of `extras`: the few platform fields every connector maps to and from
//! one canonical place, so they survive a trip through Elder and are compared in the
//! three-way merge like the item's own fields. Everything else in `extras` stays the
//! platform's own (ids, counters) and is never compared.
//!
//! - `start_date`, `due_date`: ISO dates (`YYYY-MM-DD`), e.g. a GitHub milestone's `due_on`
//!   (its date), a GitLab milestone's `start_date`/`due_date`, an OpenProject version's
//!   `startDate`/`endDate`, a Jira sprint's `startDate`/`endDate`; on issues, a GitLab
//!   issue's `due_date`, a Jira issue's `duedate`, an OpenProject work package's
//!   `startDate`/`dueDate`, a Trello card's `start`/`due` (their UTC dates).
//! - `color`: `#rrggbb` in lowercase, e.g. a GitHub or GitLab label's colour.
//!
//! A connector puts a key in an item's extras exactly when the platform holds that field for
//! that kind, `null` when unset: the keys present say which fields the platform has, so a
//! platform without due dates is never read as clearing Elder's. The Elder side keeps them
//! in its resource's `extras` under the same keys.

use serde_json::{Map, Value};

/// The shared keys, in a stable order.
pub const SHARED_EXTRAS: [&str; 3] = ["start_date", "due_date", "color"];

/// A shared field with a value that is not in its canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BadSharedField {
    /// The offending field, e.g. `extras.due_date`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// The shared keys of an extras object (other keys dropped), `null` values kept.
pub fn shared_of(extras: &Map<String, Value>) -> Map<String, Value> {
    extras
        .iter()
        .filter(|(k, _)| SHARED_EXTRAS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The shared keys of extras given as JSON text (`{}` when the text is no object).
pub fn shared_of_text(extras: &str) -> Map<String, Value> {
    match serde_json::from_str::<Value>(extras) {
        Ok(Value::Object(m)) => shared_of(&m),
        _ => Map::new(),
    }
}

/// `shared` restricted to `keys`: a key missing from `shared` is `null`, a key not in `keys`
/// is dropped.
pub fn aligned_to<'k>(
    shared: &Map<String, Value>,
    keys: impl IntoIterator<Item = &'k String>,
) -> Map<String, Value> {
    keys.into_iter()
        .map(|k| (k.clone(), shared.get(k).cloned().unwrap_or(Value::Null)))
        .collect()
}

/// `target` with the shared keys of `changes` written into it (`null` removes the key).
pub fn merged_into(target: &Value, changes: &Map<String, Value>) -> Value {
    let mut out = target.as_object().cloned().unwrap_or_default();
    for (k, v) in shared_of(changes) {
        if v.is_null() {
            out.remove(&k);
        } else {
            out.insert(k, v);
        }
    }
    Value::Object(out)
}

/// Checks the shared keys of an extras object: dates `YYYY-MM-DD`, colour `#rrggbb`.
pub fn check_shared(extras: &Map<String, Value>) -> Result<(), BadSharedField> {
    for (k, v) in shared_of(extras) {
        let ok = match (k.as_str(), &v) {
            (_, Value::Null) => true,
            ("color", Value::String(s)) => is_colour(s),
            (_, Value::String(s)) => is_date(s),
            _ => false,
        };
        if !ok {
            let shape = if k == "color" {
                "a colour `#rrggbb` (lowercase hex)"
            } else {
                "an ISO date `YYYY-MM-DD`"
            };
            return Err(BadSharedField {
                field: format!("extras.{k}"),
                message: format!("must be {shape} or null"),
            });
        }
    }
    Ok(())
}

/// Checks that a start date set in `extras` is not after its due date (what a person asks
/// for through the API; every platform with both refuses it). Values in canonical form are
/// compared; others are left to [`check_shared`].
pub fn check_date_order(extras: &Map<String, Value>) -> Result<(), BadSharedField> {
    let date = |k: &str| extras.get(k).and_then(Value::as_str).filter(|d| is_date(d));
    match (date("start_date"), date("due_date")) {
        (Some(start), Some(due)) if start > due => Err(BadSharedField {
            field: "extras.start_date".into(),
            message: format!("must not be after extras.due_date ({start} is after {due})"),
        }),
        _ => Ok(()),
    }
}

/// True for an ISO calendar date `YYYY-MM-DD` that exists.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        s.get(r)
            .filter(|p| p.bytes().all(|c| c.is_ascii_digit()))?
            .parse()
            .ok()
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// True for `#rrggbb` in lowercase hex.
pub fn is_colour(s: &str) -> bool {
    s.len() == 7
        && s.starts_with('#')
        && s[1..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn a_start_after_the_due_date_is_refused() {
        let e = check_date_order(&obj(
            json!({"start_date": "2027-02-01", "due_date": "2027-01-31"}),
        ))
        .unwrap_err();
        assert_eq!(e.field, "extras.start_date");
        assert!(e.message.contains("2027-02-01 is after 2027-01-31"), "{e}");
        for ok in [
            json!({"start_date": "2027-01-31", "due_date": "2027-01-31"}),
            json!({"start_date": "2027-01-01", "due_date": null}),
            json!({"start_date": "2027-03-01"}),
            json!({"start_date": "not a date", "due_date": "2027-01-01"}),
        ] {
            assert!(check_date_order(&obj(ok.clone())).is_ok(), "{ok}");
        }
    }

    #[test]
    fn only_shared_keys_are_kept_and_aligned() {
        let s = shared_of_text(r#"{"id": 3, "due_date": "2026-12-24", "start_date": null}"#);
        assert_eq!(
            Value::Object(s.clone()),
            json!({"due_date": "2026-12-24", "start_date": null})
        );
        let keys = ["due_date".to_string(), "color".to_string()];
        let a = aligned_to(&s, &keys);
        assert_eq!(
            Value::Object(a),
            json!({"due_date": "2026-12-24", "color": null})
        );
    }

    #[test]
    fn merging_sets_and_removes_only_shared_keys() {
        let target = json!({"due_date": "2026-01-01", "color": "#ffffff", "x": 1});
        let out = merged_into(
            &target,
            &obj(json!({"due_date": null, "start_date": "2026-02-01", "id": 9})),
        );
        assert_eq!(
            out,
            json!({"color": "#ffffff", "x": 1, "start_date": "2026-02-01"})
        );
    }

    #[test]
    fn bad_values_name_the_field() {
        let e = check_shared(&obj(json!({"due_date": "24/12/2026"}))).unwrap_err();
        assert_eq!(e.field, "extras.due_date");
        let e = check_shared(&obj(json!({"color": "#FFF"}))).unwrap_err();
        assert_eq!(e.field, "extras.color");
        assert!(check_shared(&obj(json!({"start_date": "2026-02-30"}))).is_err());
        assert!(check_shared(&obj(json!({"due_date": null, "color": "#0a0b0c", "x": []}))).is_ok());
    }
}
