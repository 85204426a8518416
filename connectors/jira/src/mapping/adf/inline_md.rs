//! Markdown inline syntax -> ADF inline nodes: `**strong**`, `*em*`/`_em_`, `~~strike~~`,
//! `` `code` ``, `[text](url)`, backslash escapes; a newline becomes a `hardBreak`.

use serde_json::{Value, json};

/// Parses one block's inline text into ADF nodes.
pub fn parse(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push(json!({"type": "hardBreak"}));
        }
        parse_marked(line, &[], &mut out);
    }
    merge_text(out)
}

fn parse_marked(s: &str, marks: &[Value], out: &mut Vec<Value>) {
    let chars: Vec<char> = s.chars().collect();
    let mut buf = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() && is_escapable(chars[i + 1]) {
            buf.push(chars[i + 1]);
            i += 2;
            continue;
        }
        if let Some((end, node)) = span(&chars, i, marks) {
            flush(&mut buf, marks, out);
            out.extend(node);
            i = end;
            continue;
        }
        buf.push(c);
        i += 1;
    }
    flush(&mut buf, marks, out);
}

/// A marked span starting at `i`: its end index and the nodes it produces.
fn span(chars: &[char], i: usize, marks: &[Value]) -> Option<(usize, Vec<Value>)> {
    let rest: String = chars[i..].iter().collect();
    if chars[i] == '`' {
        let close = find(chars, i + 1, "`")?;
        let code: String = chars[i + 1..close].iter().collect();
        let mut m: Vec<Value> = marks
            .iter()
            .filter(|m| m["type"] == "link")
            .cloned()
            .collect();
        m.push(json!({"type": "code"}));
        return Some((close + 1, vec![text_node(&code, &m)]));
    }
    if chars[i] == '[' {
        let close = find_bracket(chars, i)?;
        if chars.get(close + 1) != Some(&'(') {
            return None;
        }
        let end = find(chars, close + 2, ")")?;
        let href: String = chars[close + 2..end].iter().collect();
        let label: String = chars[i + 1..close].iter().collect();
        let mut nodes = Vec::new();
        parse_marked(
            &label,
            &with(marks, json!({"type": "link", "attrs": {"href": href}})),
            &mut nodes,
        );
        return Some((end + 1, nodes));
    }
    for (delim, mark) in [("**", "strong"), ("~~", "strike"), ("*", "em"), ("_", "em")] {
        if !rest.starts_with(delim) {
            continue;
        }
        let start = i + delim.chars().count();
        if chars.get(start).is_none_or(|c| c.is_whitespace()) {
            return None;
        }
        if delim == "_" && i > 0 && chars[i - 1].is_alphanumeric() {
            return None;
        }
        let close = find_closing(chars, start, delim)?;
        let inner: String = chars[start..close].iter().collect();
        let mut nodes = Vec::new();
        parse_marked(&inner, &with(marks, json!({"type": mark})), &mut nodes);
        return Some((close + delim.chars().count(), nodes));
    }
    None
}

fn with(marks: &[Value], m: Value) -> Vec<Value> {
    let mut v = marks.to_vec();
    v.push(m);
    v
}

fn is_escapable(c: char) -> bool {
    "\\`*_[]()#+-.!>~|".contains(c)
}

fn find(chars: &[char], from: usize, pat: &str) -> Option<usize> {
    let p: Vec<char> = pat.chars().collect();
    (from..chars.len()).find(|&j| chars[j..].starts_with(&p) && (j == 0 || chars[j - 1] != '\\'))
}

/// The closing delimiter of an emphasis span: not preceded by whitespace, and for a
/// single `*` not the start of a `**`.
fn find_closing(chars: &[char], from: usize, delim: &str) -> Option<usize> {
    let d: Vec<char> = delim.chars().collect();
    let mut j = from;
    while j < chars.len() {
        if chars[j] == '\\' {
            j += 2;
            continue;
        }
        if chars[j] == '`' {
            j = find(chars, j + 1, "`").map(|c| c + 1).unwrap_or(j + 1);
            continue;
        }
        if delim == "*" && chars[j..].starts_with(&['*', '*']) {
            j = find_closing(chars, j + 2, "**").map(|c| c + 2)?;
            continue;
        }
        if chars[j..].starts_with(&d) && j > from && !chars[j - 1].is_whitespace() {
            if delim == "_" && chars.get(j + 1).is_some_and(|c| c.is_alphanumeric()) {
                j += 1;
                continue;
            }
            return Some(j);
        }
        j += 1;
    }
    None
}

fn find_bracket(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0;
    let mut j = open;
    while j < chars.len() {
        match chars[j] {
            '\\' => j += 1,
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(j);
                }
            }
            _ => {}
        }
        j += 1;
    }
    None
}

fn flush(buf: &mut String, marks: &[Value], out: &mut Vec<Value>) {
    if !buf.is_empty() {
        out.push(text_node(buf, marks));
        buf.clear();
    }
}

fn text_node(text: &str, marks: &[Value]) -> Value {
    if marks.is_empty() {
        json!({"type": "text", "text": text})
    } else {
        json!({"type": "text", "text": text, "marks": marks})
    }
}

/// Joins adjacent text nodes with identical marks.
fn merge_text(nodes: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for n in nodes {
        if let Some(last) = out.last_mut()
            && last["type"] == "text"
            && n["type"] == "text"
            && last.get("marks") == n.get("marks")
        {
            let joined = format!(
                "{}{}",
                last["text"].as_str().unwrap_or(""),
                n["text"].as_str().unwrap_or("")
            );
            last["text"] = Value::String(joined);
            continue;
        }
        out.push(n);
    }
    out
}
