//! What a response loses before the guest sees it: cookies (`Set-Cookie`, `Set-Cookie2`)
//! and every occurrence of a secret value (as sent, and percent-encoded as a query
//! parameter carries it) in header values and the body, replaced by `REDACTED`. A
//! platform that echoes the request URL (a `Location` with `?key=...&token=...`, an
//! error body quoting the query) thus hands back no credential.

use super::EgressResponse;

/// Response headers a guest never receives.
const DROPPED_HEADERS: [&str; 2] = ["set-cookie", "set-cookie2"];
/// What a secret value is replaced with.
pub const REDACTED: &str = "REDACTED";
/// Values shorter than this are not searched for (they would mangle ordinary text).
const MIN_SECRET_LEN: usize = 4;

/// Strips cookies and secret values from `resp`.
pub fn scrub(mut resp: EgressResponse, secrets: &[&str]) -> EgressResponse {
    let needles = needles(secrets);
    resp.headers
        .retain(|(k, _)| !DROPPED_HEADERS.contains(&k.to_ascii_lowercase().as_str()));
    for (_, value) in &mut resp.headers {
        let mut bytes = std::mem::take(value).into_bytes();
        for needle in &needles {
            bytes = replace_all(&bytes, needle);
        }
        *value = String::from_utf8_lossy(&bytes).into_owned();
    }
    for needle in &needles {
        resp.body = replace_all(&resp.body, needle);
    }
    resp
}

/// Each secret as sent and in its URL-encoded forms, longest first.
fn needles(secrets: &[&str]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for s in secrets.iter().filter(|s| s.len() >= MIN_SECRET_LEN) {
        let form: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
        let path = form.replace('+', "%20");
        for n in [s.to_string(), form, path] {
            if !out.contains(&n.clone().into_bytes()) {
                out.push(n.into_bytes());
            }
        }
    }
    out.sort_by_key(|n| std::cmp::Reverse(n.len()));
    out
}

fn replace_all(haystack: &[u8], needle: &[u8]) -> Vec<u8> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return haystack.to_vec();
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(REDACTED.as_bytes());
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(headers: &[(&str, &str)], body: &str) -> EgressResponse {
        EgressResponse {
            status: 302,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn cookies_are_dropped_and_other_headers_kept() {
        let out = scrub(
            resp(
                &[
                    ("Set-Cookie", "session=abc"),
                    ("set-cookie2", "x=1"),
                    ("Content-Type", "text/plain"),
                ],
                "",
            ),
            &[],
        );
        assert_eq!(
            out.headers,
            [("Content-Type".to_string(), "text/plain".to_string())]
        );
    }

    #[test]
    fn secret_values_are_redacted_in_headers_and_body_also_when_url_encoded() {
        let out = scrub(
            resp(
                &[(
                    "Location",
                    "https://api.trello.com/1/boards?key=k3y-value&token=t%2Bk%26n",
                )],
                "you asked for /1/boards?key=k3y-value&token=t%2Bk%26n (token t+k&n)",
            ),
            &["k3y-value", "t+k&n"],
        );
        assert_eq!(
            out.headers[0].1,
            "https://api.trello.com/1/boards?key=REDACTED&token=REDACTED"
        );
        let body = String::from_utf8(out.body).unwrap();
        assert_eq!(
            body,
            "you asked for /1/boards?key=REDACTED&token=REDACTED (token REDACTED)"
        );
    }

    #[test]
    fn tiny_values_are_left_alone() {
        let out = scrub(resp(&[], "a 1 b"), &["1"]);
        assert_eq!(out.body, b"a 1 b");
    }
}
