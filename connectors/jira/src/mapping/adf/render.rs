//! ADF -> Markdown. Supported nodes render to the syntax `blocks_md`/`inline_md` read
//! back; unknown nodes (tables, panels, media) degrade to their text so nothing is lost
//! silently; mentions, emoji and inline cards render as their text or URL.

use serde_json::Value;

/// Renders block nodes separated by blank lines.
pub fn blocks(nodes: &[Value]) -> String {
    nodes
        .iter()
        .map(block)
        .filter(|b| !b.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn children(n: &Value) -> &[Value] {
    n.get("content")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn block(n: &Value) -> String {
    match n["type"].as_str().unwrap_or("") {
        "paragraph" => escape_block_start(&inline(children(n))),
        "heading" => {
            let level = n
                .pointer("/attrs/level")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .clamp(1, 6) as usize;
            format!("{} {}", "#".repeat(level), inline(children(n)))
        }
        "codeBlock" => {
            let lang = n
                .pointer("/attrs/language")
                .and_then(Value::as_str)
                .unwrap_or("");
            let text: String = children(n)
                .iter()
                .filter_map(|t| t["text"].as_str())
                .collect();
            format!("```{lang}\n{text}\n```")
        }
        "bulletList" => list(n, None),
        "orderedList" => list(
            n,
            Some(
                n.pointer("/attrs/order")
                    .and_then(Value::as_u64)
                    .unwrap_or(1),
            ),
        ),
        "blockquote" => blocks(children(n))
            .lines()
            .map(|l| {
                if l.is_empty() {
                    ">".to_string()
                } else {
                    format!("> {l}")
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
        "rule" => "---".to_string(),
        "text" | "hardBreak" | "mention" | "emoji" | "inlineCard" => {
            inline(std::slice::from_ref(n))
        }
        _ => {
            let kids = children(n);
            if kids.iter().all(is_inline) {
                inline(kids)
            } else {
                blocks(kids)
            }
        }
    }
}

fn is_inline(n: &Value) -> bool {
    matches!(
        n["type"].as_str(),
        Some("text" | "hardBreak" | "mention" | "emoji" | "inlineCard" | "date" | "status")
    )
}

fn list(n: &Value, start: Option<u64>) -> String {
    let mut out = Vec::new();
    for (k, item) in children(n).iter().enumerate() {
        let marker = match start {
            Some(s) => format!("{}. ", s + k as u64),
            None => "- ".to_string(),
        };
        let pad = " ".repeat(marker.len());
        let body = children(item)
            .iter()
            .map(block)
            .filter(|b| !b.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        let mut lines = body.lines();
        let first = lines.next().unwrap_or("");
        let mut text = format!("{marker}{first}");
        for l in lines {
            text.push('\n');
            if !l.is_empty() {
                text.push_str(&pad);
                text.push_str(l);
            }
        }
        out.push(text);
    }
    out.join("\n")
}

/// Renders inline nodes, wrapping runs that share a mark once.
pub fn inline(nodes: &[Value]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < nodes.len() {
        let n = &nodes[i];
        let marks = marks_of(n);
        if marks.is_empty() || n["type"] != "text" {
            out.push_str(&atom(n));
            i += 1;
            continue;
        }
        // The mark of this node that spans the longest run of following nodes.
        let (mark, run) = marks
            .iter()
            .map(|m| {
                (
                    m.clone(),
                    nodes[i..]
                        .iter()
                        .take_while(|x| x["type"] == "text" && marks_of(x).contains(m))
                        .count(),
                )
            })
            .max_by_key(|(_, r)| *r)
            .expect("non-empty");
        let inner: Vec<Value> = nodes[i..i + run]
            .iter()
            .map(|x| without(x, &mark))
            .collect();
        out.push_str(&wrap(&mark, &inner));
        i += run;
    }
    out
}

fn marks_of(n: &Value) -> Vec<Value> {
    n.get("marks")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn without(n: &Value, mark: &Value) -> Value {
    let mut c = n.clone();
    let rest: Vec<Value> = marks_of(n).into_iter().filter(|m| m != mark).collect();
    c["marks"] = Value::Array(rest);
    c
}

fn wrap(mark: &Value, inner: &[Value]) -> String {
    match mark["type"].as_str().unwrap_or("") {
        "code" => {
            let raw: String = inner.iter().filter_map(|x| x["text"].as_str()).collect();
            format!("`{raw}`")
        }
        "strong" => format!("**{}**", inline(inner)),
        "em" => format!("*{}*", inline(inner)),
        "strike" => format!("~~{}~~", inline(inner)),
        "link" => format!(
            "[{}]({})",
            inline(inner),
            mark.pointer("/attrs/href")
                .and_then(Value::as_str)
                .unwrap_or("")
        ),
        _ => inline(inner),
    }
}

fn atom(n: &Value) -> String {
    match n["type"].as_str().unwrap_or("") {
        "text" => escape(n["text"].as_str().unwrap_or("")),
        "hardBreak" => "\n".to_string(),
        "mention" => n
            .pointer("/attrs/text")
            .and_then(Value::as_str)
            .unwrap_or("@someone")
            .to_string(),
        "emoji" => n
            .pointer("/attrs/text")
            .or_else(|| n.pointer("/attrs/shortName"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        "inlineCard" => n
            .pointer("/attrs/url")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        // A status lozenge reads as its words; a date (epoch ms) as its UTC calendar day.
        "status" => escape(
            n.pointer("/attrs/text")
                .and_then(Value::as_str)
                .unwrap_or(""),
        ),
        "date" => n
            .pointer("/attrs/timestamp")
            .and_then(|t| {
                t.as_str()
                    .and_then(|s| s.parse::<i64>().ok())
                    .or(t.as_i64())
            })
            .map(|ms| elder_connector_sdk::time::format_rfc3339(ms)[..10].to_string())
            .unwrap_or_default(),
        _ => inline(children(n)),
    }
}

/// Escapes characters the inline parser would read as syntax.
fn escape(t: &str) -> String {
    let chars: Vec<char> = t.chars().collect();
    let mut out = String::new();
    for (k, c) in chars.iter().enumerate() {
        let word_inside = *c == '_'
            && k > 0
            && chars[k - 1].is_alphanumeric()
            && chars.get(k + 1).is_some_and(|n| n.is_alphanumeric());
        if matches!(c, '\\' | '`' | '*' | '[' | ']' | '~') || (*c == '_' && !word_inside) {
            out.push('\\');
        }
        out.push(*c);
    }
    out
}

/// A paragraph whose text starts like a block (`# `, `- `, `> `, `1. `) gets a backslash.
fn escape_block_start(p: &str) -> String {
    let t = p;
    let looks_block = t.starts_with('#')
        || t.starts_with('>')
        || t.starts_with("- ")
        || t.starts_with("+ ")
        || t.starts_with("```")
        || super::blocks_md::list_marker(t).is_some();
    if looks_block {
        let digits = t.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 {
            return format!("{}\\{}", &t[..digits], &t[digits..]);
        }
        return format!("\\{t}");
    }
    t.to_string()
}
