//! Jira timestamps (`2022-03-20T06:21:50.520+0530`, offset without a colon) -> epoch ms,
//! and the minute-precision local time JQL compares with (`2022-03-20 06:21`).

/// Parses a Jira (or RFC 3339) timestamp to epoch milliseconds.
pub fn parse_ms(s: &str) -> Option<i64> {
    parse(s).map(|(ms, _)| ms)
}

/// Parses to (epoch ms, offset in minutes east of UTC).
pub fn parse(s: &str) -> Option<(i64, i32)> {
    let (date, rest) = s.trim().split_once('T')?;
    let (time, off) = split_offset(rest)?;
    let mut d = date.split('-');
    let (y, mo, da): (i64, i64, i64) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.split(':');
    let (h, mi, sec): (i64, i64, i64) = (
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
        t.next().unwrap_or("0").parse().ok()?,
    );
    if !(1..=12).contains(&mo)
        || !(1..=31).contains(&da)
        || h > 23
        || mi > 59
        || sec > 60
        || frac.is_empty()
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let millis: i64 = format!("{:0<3}", &frac[..frac.len().min(3)]).parse().ok()?;
    let days = days_from_civil(y, mo, da);
    Some((
        ((days * 24 + h) * 60 + mi - off as i64) * 60_000 + sec * 1000 + millis,
        off,
    ))
}

fn split_offset(rest: &str) -> Option<(&str, i32)> {
    if let Some(t) = rest.strip_suffix('Z') {
        return Some((t, 0));
    }
    let idx = rest.rfind(['+', '-'])?;
    let (time, off) = rest.split_at(idx);
    let sign = if off.starts_with('-') { -1 } else { 1 };
    let digits: String = off[1..].chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 4 || off[1..].len() > 5 {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..].parse().ok()?;
    Some((time, sign * (h * 60 + m)))
}

/// `YYYY-MM-DD HH:MM` of `ms` seen at `offset_min` east of UTC, rounded down to the minute.
pub fn jql_minute(ms: i64, offset_min: i32) -> String {
    let local = ms + offset_min as i64 * 60_000;
    let days = local.div_euclid(86_400_000);
    let rem = local.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rem / 3_600_000,
        rem / 60_000 % 60
    )
}

/// The epoch ms a `jql_minute` text stands for at `offset_min`.
pub fn jql_minute_ms(text: &str, offset_min: i32) -> Option<i64> {
    let (date, hm) = text.split_once(' ')?;
    parse(&format!("{date}T{hm}:00.000{}", offset_text(offset_min))).map(|(ms, _)| ms)
}

fn offset_text(off: i32) -> String {
    let sign = if off < 0 { '-' } else { '+' };
    format!("{sign}{:02}{:02}", off.abs() / 60, off.abs() % 60)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + if m <= 2 { 1 } else { 0 }, m, d)
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
            parse_ms("2022-03-20T00:51:50.520Z"),
            Some(1_647_737_510_520)
        );
        assert_eq!(
            parse_ms("2022-03-19T19:51:50.520-0500"),
            Some(1_647_737_510_520)
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
        assert_eq!(parse_ms("2022-03-20 06:21"), None);
        assert_eq!(parse_ms("2022-03-20T06:21:50.520+05"), None);
        assert_eq!(parse_ms("garbage"), None);
    }
}
