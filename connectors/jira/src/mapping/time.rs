//! Jira time helpers on top of the SDK's parser (which reads
//! `2022-03-20T06:21:50.520+0530`): the site's offset as Jira writes it, and the
//! minute-precision local time JQL compares with (`2022-03-20 06:21`).

use elder_connector_sdk::ConnectorError;
use elder_connector_sdk::time::parse_timestamp;
use serde_json::{Map, Value, json};

/// Epoch milliseconds of a Jira timestamp.
pub fn parse_ms(s: &str) -> Option<i64> {
    parse_timestamp(s).ok()
}

/// (epoch ms, offset in minutes east of UTC) of a Jira timestamp.
pub fn parse(s: &str) -> Option<(i64, i32)> {
    let ms = parse_ms(s)?;
    let s = s.trim();
    if s.ends_with('Z') {
        return Some((ms, 0));
    }
    let tail = &s[s.len().checked_sub(5)?..];
    let tail = if tail.contains(':') {
        format!("{}{}", &s[s.len() - 6..s.len() - 3], &s[s.len() - 2..])
    } else {
        tail.to_string()
    };
    let sign = match tail.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h: i32 = tail.get(1..3)?.parse().ok()?;
    let m: i32 = tail.get(3..5)?.parse().ok()?;
    Some((ms, sign * (h * 60 + m)))
}

/// `YYYY-MM-DD HH:MM` of `ms` seen at `offset_min` east of UTC, rounded down to the minute.
pub fn jql_minute(ms: i64, offset_min: i32) -> String {
    let local = ms + offset_min as i64 * 60_000;
    let text = elder_connector_sdk::time::format_rfc3339(local);
    format!("{} {}", &text[..10], &text[11..16])
}

/// The epoch ms a `jql_minute` text stands for at `offset_min`.
pub fn jql_minute_ms(text: &str, offset_min: i32) -> Option<i64> {
    let utc = parse_ms(&format!("{}:00Z", text.replacen(' ', "T", 1)))?;
    Some(utc - offset_min as i64 * 60_000)
}

/// The calendar date (`YYYY-MM-DD`) of a Jira date-time.
pub fn date_of(timestamp: &str) -> Option<String> {
    let date = timestamp.get(..10)?;
    let ok = date.bytes().enumerate().all(|(i, b)| match i {
        4 | 7 => b == b'-',
        _ => b.is_ascii_digit(),
    });
    ok.then(|| date.to_string())
}

/// A sprint's `startDate`/`endDate` from the shared `start_date`/`due_date` of `extras`
/// (noon UTC, so the date reads the same in every time zone; `null` clears; a key not
/// given is left out).
pub fn sprint_dates(extras: &str) -> Result<Map<String, Value>, ConnectorError> {
    let x: Map<String, Value> = match extras.trim() {
        "" => return Ok(Map::new()),
        t => serde_json::from_str(t)
            .map_err(|_| ConnectorError::invalid_input("extras must be a JSON object"))?,
    };
    let mut out = Map::new();
    for (shared, own) in [("start_date", "startDate"), ("due_date", "endDate")] {
        match x.get(shared) {
            None => {}
            Some(Value::Null) => {
                out.insert(own.into(), Value::Null);
            }
            Some(Value::String(d)) if date_of(d).as_deref() == Some(d.as_str()) => {
                out.insert(own.into(), json!(format!("{d}T12:00:00.000Z")));
            }
            Some(other) => {
                return Err(ConnectorError::invalid_input(format!(
                    "{shared} must be a date YYYY-MM-DD or null, got {other}"
                )));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_jira_offset_without_colon() {
        // 06:21:50.520 at +05:30 is 00:51:50.520 UTC.
        assert_eq!(
            parse("2022-03-20T06:21:50.520+0530"),
            Some((1_647_737_510_520, 330))
        );
        assert_eq!(
            parse("2022-03-20T00:51:50.520Z"),
            Some((1_647_737_510_520, 0))
        );
        assert_eq!(
            parse("2022-03-19T19:51:50.520-0500"),
            Some((1_647_737_510_520, -300))
        );
        assert_eq!(
            parse("2022-03-20T06:21:50.520+05:30"),
            Some((1_647_737_510_520, 330))
        );
    }

    #[test]
    fn jql_minutes_are_local_and_floored() {
        let ms = parse_ms("2022-03-20T06:21:50.520+0530").unwrap();
        assert_eq!(jql_minute(ms, 330), "2022-03-20 06:21");
        assert_eq!(jql_minute(ms, 0), "2022-03-20 00:51");
        assert_eq!(jql_minute_ms("2022-03-20 06:21", 330), Some(ms - 50_520));
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(parse_ms("2022-03-20T06:21"), None);
        assert_eq!(parse("garbage"), None);
    }
}
