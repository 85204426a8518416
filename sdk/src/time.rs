//! Timestamp parsing and formatting: every platform's date format to UTC epoch
//! milliseconds, and back to RFC 3339 with `Z`.
//!
//! Accepted inputs:
//! - RFC 3339 / ISO 8601: `2024-01-02T03:04:05Z`, `...05.123Z`, `...05+05:30`;
//! - Jira's offset without a colon: `2022-03-20T06:21:50.520+0530`;
//! - GitLab's `2017-09-15 16:50:55 UTC` (a space instead of `T`, a ` UTC` suffix);
//! - HTTP dates (RFC 9110 IMF-fixdate) via [`parse_http_date`]: `Wed, 21 Oct 2015 07:28:00 GMT`.

use std::fmt;

/// Why a timestamp could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeError {
    /// The rejected input.
    pub input: String,
    /// What was wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid timestamp {:?}: {}", self.input, self.reason)
    }
}

impl std::error::Error for TimeError {}

impl From<TimeError> for crate::ConnectorError {
    fn from(e: TimeError) -> Self {
        crate::ConnectorError::invalid_input(e.to_string())
    }
}

fn err(input: &str, reason: &'static str) -> TimeError {
    TimeError {
        input: input.to_string(),
        reason,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

/// A small cursor over ASCII bytes.
struct Scanner<'a> {
    s: &'a [u8],
    pos: usize,
    input: &'a str,
}

impl<'a> Scanner<'a> {
    fn new(input: &'a str) -> Self {
        Scanner {
            s: input.as_bytes(),
            pos: 0,
            input,
        }
    }

    fn digits(&mut self, n: usize, what: &'static str) -> Result<u32, TimeError> {
        let end = self.pos + n;
        let slice = self
            .s
            .get(self.pos..end)
            .ok_or_else(|| err(self.input, what))?;
        if !slice.iter().all(u8::is_ascii_digit) {
            return Err(err(self.input, what));
        }
        self.pos = end;
        Ok(slice
            .iter()
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0')))
    }

    fn expect(&mut self, c: u8, what: &'static str) -> Result<(), TimeError> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(err(self.input, what))
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }
}

/// Milliseconds since the epoch of a validated UTC date and time.
fn to_ms(
    input: &str,
    date: (i64, u32, u32),
    time: (u32, u32, u32),
    ms: u32,
) -> Result<i64, TimeError> {
    let (y, mo, d) = date;
    let (h, mi, s) = time;
    if !(1..=12).contains(&mo) {
        return Err(err(input, "month out of range"));
    }
    if d == 0 || d > days_in_month(y, mo) {
        return Err(err(input, "day out of range"));
    }
    if h > 23 || mi > 59 || s > 60 {
        return Err(err(input, "time of day out of range"));
    }
    let s = s.min(59); // a leap second is clamped to :59
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s);
    Ok(secs * 1000 + i64::from(ms))
}

/// Reads optional fractional seconds (`.5`, `.520`, `.123456789`) as milliseconds.
fn fraction_ms(sc: &mut Scanner<'_>) -> Result<u32, TimeError> {
    if sc.peek() != Some(b'.') && sc.peek() != Some(b',') {
        return Ok(0);
    }
    sc.pos += 1;
    let start = sc.pos;
    while sc.peek().is_some_and(|c| c.is_ascii_digit()) {
        sc.pos += 1;
    }
    let frac = &sc.input[start..sc.pos];
    if frac.is_empty() {
        return Err(err(sc.input, "empty fractional seconds"));
    }
    let mut ms = 0u32;
    for (i, b) in frac.bytes().take(3).enumerate() {
        ms += u32::from(b - b'0') * 10u32.pow(2 - i as u32);
    }
    Ok(ms)
}

/// Reads the zone suffix: `Z`, `+05:30`, `+0530`, ` UTC`, returning the offset in minutes.
fn zone_offset_minutes(sc: &mut Scanner<'_>) -> Result<i64, TimeError> {
    let rest = sc.rest();
    if rest == "Z" || rest == "z" || rest == " UTC" || rest == "UTC" {
        return Ok(0);
    }
    let sign = match sc.peek() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        None => return Err(err(sc.input, "missing time zone")),
        _ => return Err(err(sc.input, "unrecognised time zone")),
    };
    sc.pos += 1;
    let h = sc.digits(2, "bad zone hours")?;
    if sc.peek() == Some(b':') {
        sc.pos += 1;
    }
    let m = sc.digits(2, "bad zone minutes")?;
    if !sc.rest().is_empty() {
        return Err(err(sc.input, "trailing characters"));
    }
    if h > 23 || m > 59 {
        return Err(err(sc.input, "zone offset out of range"));
    }
    Ok(sign * i64::from(h * 60 + m))
}

/// Parses a timestamp (RFC 3339, Jira, GitLab formats) to UTC epoch milliseconds.
pub fn parse_timestamp(input: &str) -> Result<i64, TimeError> {
    let input = input.trim();
    let mut sc = Scanner::new(input);
    let y = sc.digits(4, "bad year")?;
    sc.expect(b'-', "expected '-' after year")?;
    let mo = sc.digits(2, "bad month")?;
    sc.expect(b'-', "expected '-' after month")?;
    let d = sc.digits(2, "bad day")?;
    match sc.peek() {
        Some(b'T' | b't' | b' ') => sc.pos += 1,
        _ => return Err(err(input, "expected 'T' or ' ' between date and time")),
    }
    let h = sc.digits(2, "bad hour")?;
    sc.expect(b':', "expected ':' after hour")?;
    let mi = sc.digits(2, "bad minute")?;
    sc.expect(b':', "expected ':' after minute")?;
    let s = sc.digits(2, "bad second")?;
    let ms = fraction_ms(&mut sc)?;
    let offset = zone_offset_minutes(&mut sc)?;
    let local = to_ms(input, (i64::from(y), mo, d), (h, mi, s), ms)?;
    Ok(local - offset * 60_000)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Parses an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`) to UTC epoch milliseconds.
pub fn parse_http_date(input: &str) -> Result<i64, TimeError> {
    let input = input.trim();
    let after_comma = input
        .split_once(", ")
        .map(|(_, rest)| rest)
        .ok_or_else(|| err(input, "expected a weekday and ', '"))?;
    let parts: Vec<&str> = after_comma.split(' ').collect();
    let [day, month, year, time, "GMT"] = parts.as_slice() else {
        return Err(err(input, "expected 'DD Mon YYYY HH:MM:SS GMT'"));
    };
    let mo = MONTHS
        .iter()
        .position(|m| m == month)
        .ok_or_else(|| err(input, "unknown month name"))? as u32
        + 1;
    let d: u32 = day.parse().map_err(|_| err(input, "bad day"))?;
    let y: i64 = year.parse().map_err(|_| err(input, "bad year"))?;
    let mut sc = Scanner::new(time);
    let h = sc.digits(2, "bad hour")?;
    sc.expect(b':', "expected ':'")?;
    let mi = sc.digits(2, "bad minute")?;
    sc.expect(b':', "expected ':'")?;
    let s = sc.digits(2, "bad second")?;
    if !sc.rest().is_empty() {
        return Err(err(input, "trailing characters"));
    }
    to_ms(input, (y, mo, d), (h, mi, s), 0).map_err(|e| err(input, e.reason))
}

/// Formats epoch milliseconds as RFC 3339 UTC: `2024-01-02T03:04:05Z`, or with
/// `.123` when the milliseconds are not zero.
pub fn format_rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let (h, mi, s) = (sod / 3600, (sod % 3600) / 60, sod % 60);
    if millis == 0 {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{millis:03}Z")
    }
}

/// Formats epoch milliseconds as RFC 3339 UTC with whole seconds (the fraction is
/// dropped), the form most `since`/`updated_after` query parameters expect.
pub fn format_rfc3339_seconds(ms: i64) -> String {
    format_rfc3339(ms.div_euclid(1000) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339_utc() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(
            parse_timestamp("2011-04-22T13:33:48Z"),
            Ok(1_303_479_228_000)
        );
    }

    #[test]
    fn parses_fractional_seconds() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:01.5Z"), Ok(1500));
        assert_eq!(parse_timestamp("1970-01-01T00:00:01.123456789Z"), Ok(1123));
        assert_eq!(parse_timestamp("1970-01-01T00:00:00.007Z"), Ok(7));
    }

    #[test]
    fn parses_offsets_with_and_without_colon() {
        let utc = parse_timestamp("2022-03-20T00:51:50.520Z").unwrap();
        assert_eq!(parse_timestamp("2022-03-20T06:21:50.520+05:30"), Ok(utc));
        assert_eq!(parse_timestamp("2022-03-20T06:21:50.520+0530"), Ok(utc));
        assert_eq!(parse_timestamp("2022-03-19T20:51:50.520-04:00"), Ok(utc));
    }

    #[test]
    fn parses_gitlab_utc_suffix() {
        assert_eq!(
            parse_timestamp("2017-09-15 16:50:55 UTC"),
            parse_timestamp("2017-09-15T16:50:55Z")
        );
    }

    #[test]
    fn handles_leap_days_and_pre_epoch() {
        assert!(parse_timestamp("2024-02-29T00:00:00Z").is_ok());
        assert!(parse_timestamp("2023-02-29T00:00:00Z").is_err());
        assert_eq!(parse_timestamp("1969-12-31T23:59:59Z"), Ok(-1000));
    }

    #[test]
    fn rejects_invalid_inputs() {
        for bad in [
            "",
            "yesterday",
            "2024-13-01T00:00:00Z",
            "2024-01-32T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:60:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00+5",
            "2024-01-01T00:00:00Zjunk",
            "2024-01-01T00:00:00.Z",
            "2024-01-01",
            "2024/01/01T00:00:00Z",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn formats_back_to_rfc3339() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(1_303_479_228_000), "2011-04-22T13:33:48Z");
        assert_eq!(
            format_rfc3339(1_303_479_228_042),
            "2011-04-22T13:33:48.042Z"
        );
        assert_eq!(format_rfc3339(-1000), "1969-12-31T23:59:59Z");
        assert_eq!(
            format_rfc3339_seconds(1_303_479_228_042),
            "2011-04-22T13:33:48Z"
        );
    }

    #[test]
    fn round_trips_many_instants() {
        let mut ms = -86_400_000i64 * 400;
        while ms < 4_102_444_800_000 {
            assert_eq!(parse_timestamp(&format_rfc3339(ms)), Ok(ms));
            ms += 7_777_777_777;
        }
    }

    #[test]
    fn parses_http_dates() {
        assert_eq!(
            parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT"),
            parse_timestamp("2015-10-21T07:28:00Z")
        );
        assert!(parse_http_date("Wed, 21 Foo 2015 07:28:00 GMT").is_err());
        assert!(parse_http_date("21 Oct 2015").is_err());
        assert!(parse_http_date("Wed, 31 Feb 2015 07:28:00 GMT").is_err());
    }
}
