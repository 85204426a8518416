//! The attribution line above an Elder comment written to a platform (the sync writes as
//! one account, so the line says who wrote it and where): `*by <name> on <Origin>*`, then a
//! blank line, then the body. Reading our own comment back, the exact line we wrote is left
//! out again, so a round trip never grows the body. Pure text, no I/O.

/// The attribution line naming `name` as the author, first written on `origin` (`elder` or
/// a platform id).
pub fn line(name: &str, origin: &str) -> String {
    format!("*by {} on {}*", clean(name), origin_label(origin))
}

/// `body` as written to the platform: the attribution line, a blank line, the body.
pub fn attributed(line: &str, body: &str) -> String {
    format!("{line}\n\n{body}")
}

/// `body` (as the platform holds it) without the attribution line `line` we wrote above
/// it; the body as it is when it does not start with that line (someone removed it).
pub fn strip<'a>(body: &'a str, line: Option<&str>) -> &'a str {
    let Some(line) = line else { return body };
    match body.strip_prefix(line) {
        Some(rest) if rest.is_empty() || rest.starts_with(['\n', '\r']) => {
            let rest = rest
                .strip_prefix("\r\n")
                .or_else(|| rest.strip_prefix('\n'));
            let rest = rest.unwrap_or("");
            rest.strip_prefix("\r\n")
                .or_else(|| rest.strip_prefix('\n'))
                .unwrap_or(rest)
        }
        _ => body,
    }
}

/// How a platform (or Elder) is named in the line.
pub fn origin_label(origin: &str) -> String {
    match origin {
        "elder" => "Elder".into(),
        "github" => "GitHub".into(),
        "gitlab" => "GitLab".into(),
        "jira" => "Jira".into(),
        "trello" => "Trello".into(),
        "openproject" => "OpenProject".into(),
        other => other.to_string(),
    }
}

/// A name fit for the one-line emphasis: no line breaks, no `*` that would end it early.
fn clean(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            '*' => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() {
        "someone".to_string()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_trip_gives_back_the_body() {
        let l = line("octocat", "elder");
        assert_eq!(l, "*by octocat on Elder*");
        let sent = attributed(&l, "Looks good\n\nto me");
        assert_eq!(strip(&sent, Some(&l)), "Looks good\n\nto me");
        assert_eq!(
            strip(&sent.replace('\n', "\r\n"), Some(&l)),
            "Looks good\r\n\r\nto me"
        );
    }

    #[test]
    fn only_our_exact_line_is_left_out() {
        let l = line("Ada Lovelace", "github");
        assert_eq!(l, "*by Ada Lovelace on GitHub*");
        assert_eq!(
            strip("*by Bob on Elder*\n\nhi", Some(&l)),
            "*by Bob on Elder*\n\nhi"
        );
        assert_eq!(
            strip("edited, line removed", Some(&l)),
            "edited, line removed"
        );
        assert_eq!(strip(&format!("{l}x"), Some(&l)), format!("{l}x"));
        assert_eq!(
            strip("*by Bob on Elder*\n\nhi", None),
            "*by Bob on Elder*\n\nhi"
        );
    }

    #[test]
    fn names_cannot_break_the_line() {
        assert_eq!(line("a*b\nc", "tinytracker"), "*by a_b c on tinytracker*");
        assert_eq!(line("  ", "elder"), "*by someone on Elder*");
    }
}
