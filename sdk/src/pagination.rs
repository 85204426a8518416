//! Pagination helpers: RFC 8288 `Link` headers (GitHub, GitLab), GitLab's
//! `x-next-page`, and OpenProject's 1-based `offset` pages.

/// One link of a `Link` header: its target and parameters (names lower-cased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The URI between `<` and `>`.
    pub url: String,
    /// Parameters such as `rel`, with quotes removed.
    pub params: Vec<(String, String)>,
}

impl Link {
    /// Whether any of the space-separated `rel` values equals `rel` (case-insensitive).
    pub fn has_rel(&self, rel: &str) -> bool {
        self.params
            .iter()
            .filter(|(k, _)| k == "rel")
            .any(|(_, v)| {
                v.split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case(rel))
            })
    }
}

/// Splits `s` at `sep` outside double quotes and angle brackets.
fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut in_quotes, mut in_angle, mut escaped, mut start) = (false, false, false, 0);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' if !in_angle => in_quotes = !in_quotes,
            '<' if !in_quotes => in_angle = true,
            '>' if !in_quotes => in_angle = false,
            c if c == sep && !in_quotes && !in_angle => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => v.to_string(),
    }
}

fn parse_one(link: &str) -> Option<Link> {
    let link = link.trim();
    let rest = link.strip_prefix('<')?;
    let end = rest.find('>')?;
    let url = rest[..end].trim().to_string();
    let params = split_outside_quotes(&rest[end + 1..], ';')
        .into_iter()
        .filter_map(|p| {
            let p = p.trim();
            if p.is_empty() {
                return None;
            }
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((k.trim().to_ascii_lowercase(), unquote(v)))
        })
        .collect();
    Some(Link { url, params })
}

/// Parses a `Link` header value into its links; malformed entries are skipped.
pub fn parse_link_header(value: &str) -> Vec<Link> {
    split_outside_quotes(value, ',')
        .into_iter()
        .filter_map(parse_one)
        .collect()
}

/// The URL of the first link with relation `rel` (e.g. `next`, `last`), if any.
pub fn link_with_rel(value: &str, rel: &str) -> Option<String> {
    parse_link_header(value)
        .into_iter()
        .find(|l| l.has_rel(rel))
        .map(|l| l.url)
}

/// The next page number from GitLab's `x-next-page` header (empty when on the last page).
pub fn next_page_number(x_next_page: Option<&str>) -> Option<u32> {
    x_next_page
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
}

/// The next 1-based `offset` (page number) of an OpenProject collection, or `None`
/// when the page at `offset` of size `page_size` reaches `total`.
pub fn next_offset(offset: u32, page_size: u32, total: u64) -> Option<u32> {
    let offset = offset.max(1);
    let seen = u64::from(offset) * u64::from(page_size);
    (page_size > 0 && seen < total).then(|| offset + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GITHUB: &str = r#"<https://api.github.com/repositories/1300192/issues?page=2>; rel="next", <https://api.github.com/repositories/1300192/issues?page=515>; rel="last""#;

    #[test]
    fn finds_next_and_last_in_github_header() {
        assert_eq!(
            link_with_rel(GITHUB, "next").as_deref(),
            Some("https://api.github.com/repositories/1300192/issues?page=2")
        );
        assert_eq!(
            link_with_rel(GITHUB, "last").as_deref(),
            Some("https://api.github.com/repositories/1300192/issues?page=515")
        );
        assert_eq!(link_with_rel(GITHUB, "prev"), None);
    }

    #[test]
    fn tolerates_whitespace_quotes_and_extra_params() {
        let v = " < https://x.test/a?b=1,2 > ;  rel = \"prev first\" ; title=\"a, b; c\" ,<https://x.test/n>;rel=next";
        let links = parse_link_header(v);
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].url, "https://x.test/a?b=1,2");
        assert!(links[0].has_rel("first"));
        assert!(links[0].has_rel("PREV"));
        assert!(
            links[0]
                .params
                .contains(&("title".into(), "a, b; c".into()))
        );
        assert_eq!(
            link_with_rel(v, "next").as_deref(),
            Some("https://x.test/n")
        );
    }

    #[test]
    fn skips_malformed_links() {
        assert!(parse_link_header("").is_empty());
        assert!(parse_link_header("garbage; rel=next").is_empty());
        assert_eq!(link_with_rel("<unterminated; rel=next", "next"), None);
    }

    #[test]
    fn reads_gitlab_next_page() {
        assert_eq!(next_page_number(Some("3")), Some(3));
        assert_eq!(next_page_number(Some("")), None);
        assert_eq!(next_page_number(Some("x")), None);
        assert_eq!(next_page_number(None), None);
    }

    #[test]
    fn computes_openproject_offsets() {
        assert_eq!(next_offset(1, 20, 45), Some(2));
        assert_eq!(next_offset(2, 20, 45), Some(3));
        assert_eq!(next_offset(3, 20, 45), None);
        assert_eq!(next_offset(1, 20, 20), None);
        assert_eq!(next_offset(0, 20, 45), Some(2));
        assert_eq!(next_offset(1, 0, 45), None);
    }
}
