//! Secret redaction for everything that leaves the process as a log line or health reason:
//! secret-named fields lose their value, and free text is scrubbed of `key=value` secrets,
//! `Bearer`/`Basic` credentials and passwords inside URLs.

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

const SECRET_WORDS: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "authorization",
    "api_key",
    "apikey",
    "private_key",
    "credential",
    "cookie",
    "session_key",
];

/// Names that are secrets only as a whole word (Trello's `key=` query parameter, an
/// `access_key`), not wherever they appear inside a longer name.
const SECRET_NAMES: &[&str] = &["key", "access_key", "app_key", "signing_key", "sig"];

/// Whether a field or parameter with this name holds a secret (case-insensitive, `-` == `_`).
pub fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase().replace('-', "_");
    SECRET_WORDS.iter().any(|word| name.contains(word)) || SECRET_NAMES.contains(&name.as_str())
}

/// Removes secrets from free text (messages, error strings).
pub fn redact_text(input: &str) -> String {
    let text = redact_url_credentials(input);
    let text = redact_auth_schemes(&text);
    redact_assignments(&text)
}

/// `scheme://user:password@host` -> `scheme://[redacted]@host`.
fn redact_url_credentials(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| c == '/' || c.is_whitespace() || c == '"' || c == '\'')
            .unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str(REDACTED);
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    out
}

/// `Bearer abc` / `Basic abc` -> `Bearer [redacted]`.
fn redact_auth_schemes(input: &str) -> String {
    let lower = input.to_ascii_lowercase();
    let mut out = String::with_capacity(input.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = ["bearer ", "basic "]
        .iter()
        .filter_map(|scheme| {
            lower[search..]
                .find(scheme)
                .map(|p| (search + p, scheme.len()))
        })
        .min()
    {
        let (start, len) = found;
        let value_start = start + len;
        let value_end = value_end(input, value_start, false);
        if value_end > value_start {
            out.push_str(&input[copied..value_start]);
            out.push_str(REDACTED);
            copied = value_end;
        }
        search = value_end.max(value_start);
    }
    out.push_str(&input[copied..]);
    out
}

/// `password=abc`, `api_key: abc`, `"token":"abc"` -> value replaced.
fn redact_assignments(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if (bytes[i] == b'=' || bytes[i] == b':') && i >= copied {
            let key = key_before(input, i);
            if !key.is_empty() && is_secret_name(key) {
                let (start, end) = value_span(input, i + 1, key);
                if end > start && &input[start..end] != REDACTED {
                    out.push_str(&input[copied..start]);
                    out.push_str(REDACTED);
                    copied = end;
                    i = end;
                    continue;
                }
            }
        }
        i += 1;
    }
    out.push_str(&input[copied..]);
    out
}

/// The identifier ending just before `sep` (skipping a closing quote and spaces).
fn key_before(input: &str, sep: usize) -> &str {
    let bytes = input.as_bytes();
    let mut end = sep;
    while end > 0 && bytes[end - 1] == b' ' {
        end -= 1;
    }
    if end > 0 && matches!(bytes[end - 1], b'"' | b'\'') {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && is_key_byte(bytes[start - 1]) {
        start -= 1;
    }
    &input[start..end]
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// Byte span of the value following a separator at `from`.
fn value_span(input: &str, from: usize, key: &str) -> (usize, usize) {
    let bytes = input.as_bytes();
    let mut start = from;
    while start < bytes.len() && bytes[start] == b' ' {
        start += 1;
    }
    if start < bytes.len() && matches!(bytes[start], b'"' | b'\'') {
        let quote = bytes[start] as char;
        let inner = start + 1;
        let end = input[inner..]
            .find(quote)
            .map_or(input.len(), |p| inner + p);
        return (inner, end);
    }
    let whole_line = key.to_ascii_lowercase().contains("authorization");
    (start, value_end(input, start, whole_line))
}

/// End of an unquoted value: whitespace (or only a line break when `whole_line`) or punctuation.
fn value_end(input: &str, start: usize, whole_line: bool) -> usize {
    input[start..]
        .find(|c: char| {
            let space = if whole_line {
                c == '\n' || c == '\r'
            } else {
                c.is_whitespace()
            };
            space || matches!(c, ',' | ';' | '&' | '"' | '\'' | '}' | ')' | ']')
        })
        .map_or(input.len(), |p| start + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for name in [
            "token",
            "API_KEY",
            "api-key",
            "client_secret",
            "Password",
            "authorization",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["correlation_id", "platform", "config_id", "message"] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn assignments_lose_their_values() {
        let out = redact_text("login password=hunter2 user=bob token: abc123, \"api_key\":\"k-1\"");
        assert!(
            !out.contains("hunter2") && !out.contains("abc123") && !out.contains("k-1"),
            "{out}"
        );
        assert!(out.contains("user=bob"), "{out}");
        assert!(out.contains("password=[redacted]"), "{out}");
    }

    #[test]
    fn query_credentials_in_echoed_urls_lose_their_values() {
        let out = redact_text(
            "GET /1/boards/b1?key=k3yvalue&token=t0kval&apikey=a1&api_key=a2&password=p&secret=s&fields=name failed",
        );
        for leaked in ["k3yvalue", "t0kval", "a1&", "a2&", "=p&", "=s&"] {
            assert!(!out.contains(leaked), "{leaked} in {out}");
        }
        assert!(
            out.contains("key=[redacted]") && out.contains("fields=name"),
            "{out}"
        );
        // Names merely containing `key` are not secrets.
        assert!(!is_secret_name("monkey") && !is_secret_name("project_key"));
    }

    #[test]
    fn auth_headers_and_url_passwords() {
        let out = redact_text("Authorization: token ghp_abc sent to postgres://app:s3cr3t@db/x");
        assert!(!out.contains("ghp_abc") && !out.contains("s3cr3t"), "{out}");
        assert!(out.contains("@db/x"), "{out}");
        let out = redact_text("header Bearer eyJhbGci.x.y then more");
        assert_eq!(out, "header Bearer [redacted] then more");
    }

    #[test]
    fn non_ascii_text_is_kept() {
        assert_eq!(redact_text("état: ok — ünïcode"), "état: ok — ünïcode");
    }
}
