//! Markdown blocks -> ADF block nodes: paragraphs, ATX headings, fenced code, bullet and
//! ordered lists (nested by indentation), block quotes and rules.

use serde_json::{Value, json};

use super::inline_md;

/// Parses Markdown lines into ADF block nodes.
pub fn parse(lines: &[&str]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim().is_empty() {
            i += 1;
        } else if let Some(lang) = line.trim_start().strip_prefix("```") {
            out.push(code_block(lines, &mut i, lang.trim()));
        } else if let Some((level, text)) = heading(line) {
            out.push(json!({"type": "heading", "attrs": {"level": level}, "content": inline_md::parse(text)}));
            i += 1;
        } else if is_rule(line) {
            out.push(json!({"type": "rule"}));
            i += 1;
        } else if line.trim_start().starts_with('>') {
            out.push(quote(lines, &mut i));
        } else if list_marker(line).is_some() {
            out.push(list(lines, &mut i));
        } else {
            out.push(paragraph(lines, &mut i));
        }
    }
    out
}

fn code_block(lines: &[&str], i: &mut usize, lang: &str) -> Value {
    *i += 1;
    let mut body = Vec::new();
    while *i < lines.len() && !lines[*i].trim_start().starts_with("```") {
        body.push(lines[*i]);
        *i += 1;
    }
    *i += 1;
    let text = body.join("\n");
    let content = if text.is_empty() {
        json!([])
    } else {
        json!([{"type": "text", "text": text}])
    };
    if lang.is_empty() {
        json!({"type": "codeBlock", "content": content})
    } else {
        json!({"type": "codeBlock", "attrs": {"language": lang}, "content": content})
    }
}

fn heading(line: &str) -> Option<(usize, &str)> {
    let hashes = line.chars().take_while(|c| *c == '#').count();
    let rest = &line[hashes..];
    ((1..=6).contains(&hashes) && (rest.starts_with(' ') || rest.is_empty()))
        .then(|| (hashes, rest.trim()))
}

fn is_rule(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 3
        && (t.chars().all(|c| c == '-')
            || t.chars().all(|c| c == '*')
            || t.chars().all(|c| c == '_'))
}

fn quote(lines: &[&str], i: &mut usize) -> Value {
    let mut inner = Vec::new();
    while *i < lines.len() && lines[*i].trim_start().starts_with('>') {
        let t = lines[*i].trim_start().trim_start_matches('>');
        inner.push(t.strip_prefix(' ').unwrap_or(t));
        *i += 1;
    }
    json!({"type": "blockquote", "content": parse(&inner)})
}

/// A list item's marker: (indent, ordered, marker width incl. the space, start number).
pub fn list_marker(line: &str) -> Option<(usize, bool, usize, u64)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let t = &line[indent..];
    if t.starts_with("- ") || t.starts_with("* ") || t.starts_with("+ ") {
        return Some((indent, false, 2, 0));
    }
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits < 10 && (t[digits..].starts_with(". ") || t[digits..].starts_with(") "))
    {
        return Some((indent, true, digits + 2, t[..digits].parse().ok()?));
    }
    None
}

fn list(lines: &[&str], i: &mut usize) -> Value {
    let (indent, ordered, _, start) = list_marker(lines[*i]).expect("caller checked");
    let mut items = Vec::new();
    while *i < lines.len() {
        match list_marker(lines[*i]) {
            Some((ind, ord, width, _)) if ind == indent && ord == ordered => {
                let mut sub = vec![&lines[*i][ind + width..]];
                *i += 1;
                while *i < lines.len() && !lines[*i].trim().is_empty() {
                    let l = lines[*i];
                    let lead = l.len() - l.trim_start_matches(' ').len();
                    if lead <= indent {
                        break;
                    }
                    sub.push(&l[lead.min(ind + width)..]);
                    *i += 1;
                }
                items.push(json!({"type": "listItem", "content": parse(&sub)}));
            }
            _ => break,
        }
        // A blank line between items keeps the list going; anything else ends it.
        if *i < lines.len() && lines[*i].trim().is_empty() {
            let next = (*i..lines.len()).find(|&j| !lines[j].trim().is_empty());
            match next.and_then(|j| list_marker(lines[j]).map(|m| (j, m))) {
                Some((j, (ind, ord, _, _))) if ind == indent && ord == ordered => *i = j,
                _ => break,
            }
        }
    }
    if ordered {
        json!({"type": "orderedList", "attrs": {"order": start}, "content": items})
    } else {
        json!({"type": "bulletList", "content": items})
    }
}

fn paragraph(lines: &[&str], i: &mut usize) -> Value {
    let mut text = vec![lines[*i]];
    *i += 1;
    while *i < lines.len() {
        let l = lines[*i];
        if l.trim().is_empty()
            || l.trim_start().starts_with("```")
            || heading(l).is_some()
            || l.trim_start().starts_with('>')
            || list_marker(l).is_some()
        {
            break;
        }
        text.push(l);
        *i += 1;
    }
    json!({"type": "paragraph", "content": inline_md::parse(&text.join("\n"))})
}
