//! GitLab's two timestamp formats -> milliseconds since the epoch:
//! `2016-01-04T15:31:51.081Z` / `2013-12-03T17:15:43+01:00` (REST) and
//! `2017-09-15 16:50:55 UTC` (hook payloads).

/// Parses either format; `None` when it is neither.
pub fn parse_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(rest) = s.strip_suffix(" UTC") {
        let (date, time) = rest.split_once(' ')?;
        return civil_ms(date, time, 0);
    }
    let (date, rest) = s.split_once('T')?;
    let (time, offset_min) = split_offset(rest)?;
    civil_ms(date, time, offset_min)
}

/// Formats milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format_ms(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, sec, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{sec:02}.{milli:03}Z")
}

fn split_offset(rest: &str) -> Option<(&str, i64)> {
    if let Some(t) = rest.strip_suffix('Z') {
        return Some((t, 0));
    }
    let idx = rest.rfind(['+', '-'])?;
    let (time, off) = rest.split_at(idx);
    let sign = if off.starts_with('-') { -1 } else { 1 };
    let digits: String = off[1..].chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 4 {
        return None;
    }
    let h: i64 = digits[..2].parse().ok()?;
    let m: i64 = digits[2..].parse().ok()?;
    Some((time, sign * (h * 60 + m)))
}

fn civil_ms(date: &str, time: &str, offset_min: i64) -> Option<i64> {
    let mut d = date.split('-');
    let (y, mo, da): (i64, i64, i64) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.split(':');
    let (h, mi, s): (i64, i64, i64) = (
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
    );
    if !(1..=12).contains(&mo)
        || !(1..=31).contains(&da)
        || h > 23
        || mi > 59
        || s > 60
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let millis: i64 = format!("{:0<3}", &frac[..frac.len().min(3)]).parse().ok()?;
    let days = days_from_civil(y, mo, da);
    Some(((days * 24 + h) * 60 + mi - offset_min) * 60_000 + s * 1000 + millis)
}

/// Howard Hinnant's days-from-civil.
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
    fn both_gitlab_formats_give_the_same_instant() {
        assert_eq!(parse_ms("2017-09-15 16:50:55 UTC"), Some(1_505_494_255_000));
        assert_eq!(parse_ms("2017-09-15T16:50:55Z"), Some(1_505_494_255_000));
        assert_eq!(
            parse_ms("2017-09-15T18:50:55.250+02:00"),
            Some(1_505_494_255_250)
        );
    }

    #[test]
    fn format_round_trips() {
        assert_eq!(format_ms(1_505_494_255_250), "2017-09-15T16:50:55.250Z");
        assert_eq!(
            parse_ms(&format_ms(1_700_000_000_123)),
            Some(1_700_000_000_123)
        );
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse_ms("yesterday"), None);
        assert_eq!(parse_ms("2017-13-01T00:00:00Z"), None);
        assert_eq!(parse_ms(""), None);
    }
}
