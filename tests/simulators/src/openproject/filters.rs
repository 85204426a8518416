//! Work-package queries: the `filters` JSON (`status` o/c/*/=, `updatedAt` `<>d`, `id` =),
//! with OpenProject's default open-only filter when `filters` is absent, and `sortBy`.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use super::model::{State, WorkPackage};

/// One parsed filter.
#[derive(Debug, Clone)]
pub enum Filter {
    StatusOpen,
    StatusClosed,
    StatusAny,
    StatusIn(Vec<u64>),
    UpdatedBetween(Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    IdIn(Vec<u64>),
}

/// A parsed query.
#[derive(Debug, Clone)]
pub struct WpQuery {
    pub filters: Vec<Filter>,
    pub sort: Vec<(String, bool)>,
}

fn bad(msg: impl Into<String>) -> String {
    msg.into()
}

/// `2026-01-02` (start of day, or end when `end`) or an RFC 3339 time; empty is open.
fn bound(v: &str, end: bool) -> Result<Option<DateTime<Utc>>, String> {
    if v.is_empty() {
        return Ok(None);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(v) {
        return Ok(Some(d.to_utc()));
    }
    let day = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| bad(format!("Filter Updated on: {v} is not a valid date.")))?;
    let t = if end {
        day.and_hms_opt(23, 59, 59)
    } else {
        day.and_hms_opt(0, 0, 0)
    };
    Ok(t.map(|t| t.and_utc()))
}

fn ids(values: &[Value]) -> Result<Vec<u64>, String> {
    values
        .iter()
        .map(|v| {
            v.as_str()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("Filter values must be ids."))
        })
        .collect()
}

fn parse_filter(name: &str, spec: &Value) -> Result<Filter, String> {
    let op = spec["operator"]
        .as_str()
        .ok_or_else(|| bad(format!("Filter {name}: operator is missing.")))?;
    let values: Vec<Value> = spec["values"].as_array().cloned().unwrap_or_default();
    match (name, op) {
        ("status", "o") => Ok(Filter::StatusOpen),
        ("status", "c") => Ok(Filter::StatusClosed),
        ("status", "*") => Ok(Filter::StatusAny),
        ("status", "=") => Ok(Filter::StatusIn(ids(&values)?)),
        ("updatedAt", "<>d") => {
            let from = values.first().and_then(Value::as_str).unwrap_or_default();
            let to = values.get(1).and_then(Value::as_str).unwrap_or_default();
            Ok(Filter::UpdatedBetween(
                bound(from, false)?,
                bound(to, true)?,
            ))
        }
        ("id", "=") => Ok(Filter::IdIn(ids(&values)?)),
        _ => Err(bad(format!(
            "Filter {name} with operator {op} is not supported by this simulator."
        ))),
    }
}

impl WpQuery {
    /// Parses `filters` (absent: open work packages only) and `sortBy` (absent: id asc).
    pub fn parse(filters: Option<&str>, sort_by: Option<&str>) -> Result<WpQuery, String> {
        let filters = match filters {
            None => vec![Filter::StatusOpen],
            Some(text) => {
                let v: Value = serde_json::from_str(text)
                    .map_err(|_| bad("The filters parameter is not valid JSON."))?;
                let arr = v
                    .as_array()
                    .ok_or_else(|| bad("The filters parameter must be an array."))?;
                let mut out = Vec::new();
                for f in arr {
                    let obj = f
                        .as_object()
                        .ok_or_else(|| bad("Each filter must be an object."))?;
                    for (name, spec) in obj {
                        out.push(parse_filter(name, spec)?);
                    }
                }
                out
            }
        };
        let sort = match sort_by {
            None => vec![("id".to_string(), true)],
            Some(text) => {
                let v: Vec<Vec<String>> = serde_json::from_str(text)
                    .map_err(|_| bad("The sortBy parameter is not valid JSON."))?;
                v.into_iter()
                    .map(|pair| match pair.as_slice() {
                        [field, dir]
                            if ["id", "updatedAt", "createdAt"].contains(&field.as_str())
                                && (dir == "asc" || dir == "desc") =>
                        {
                            Ok((field.clone(), dir == "asc"))
                        }
                        _ => Err(bad(
                            "The sortBy parameter contains an unsupported criterion.",
                        )),
                    })
                    .collect::<Result<_, _>>()?
            }
        };
        Ok(WpQuery { filters, sort })
    }

    /// Whether a work package passes every filter.
    pub fn matches(&self, s: &State, w: &WorkPackage) -> bool {
        let closed = s.status(w.status_id).is_some_and(|st| st.is_closed);
        let updated = DateTime::parse_from_rfc3339(&w.updated_at)
            .map(|d| d.to_utc())
            .ok();
        self.filters.iter().all(|f| match f {
            Filter::StatusOpen => !closed,
            Filter::StatusClosed => closed,
            Filter::StatusAny => true,
            Filter::StatusIn(ids) => ids.contains(&w.status_id),
            Filter::IdIn(ids) => ids.contains(&w.id),
            Filter::UpdatedBetween(from, to) => {
                updated.is_some_and(|u| from.is_none_or(|f| u >= f) && to.is_none_or(|t| u <= t))
            }
        })
    }

    /// Sorts by the criteria, then by id.
    pub fn sort(&self, rows: &mut [&WorkPackage]) {
        rows.sort_by(|a, b| {
            for (field, asc) in &self.sort {
                let o = match field.as_str() {
                    "updatedAt" => a.updated_at.cmp(&b.updated_at),
                    "createdAt" => a.created_at.cmp(&b.created_at),
                    _ => a.id.cmp(&b.id),
                };
                let o = if *asc { o } else { o.reverse() };
                if o.is_ne() {
                    return o;
                }
            }
            a.id.cmp(&b.id)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_filters_mean_open_only_and_explicit_empty_means_all() {
        assert!(matches!(
            WpQuery::parse(None, None).unwrap().filters.as_slice(),
            [Filter::StatusOpen]
        ));
        assert!(WpQuery::parse(Some("[]"), None).unwrap().filters.is_empty());
    }

    #[test]
    fn bad_filters_are_rejected() {
        assert!(WpQuery::parse(Some("{"), None).is_err());
        assert!(
            WpQuery::parse(
                Some(r#"[{"updatedAt":{"operator":"<>d","values":["yesterday",""]}}]"#),
                None
            )
            .is_err()
        );
        assert!(WpQuery::parse(None, Some(r#"[["subject","sideways"]]"#)).is_err());
    }
}
