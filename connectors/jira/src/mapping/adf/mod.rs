//! Markdown (Elder) <-> Atlassian Document Format (Jira descriptions), both ways, for
//! paragraphs, headings, emphasis (strong, em, strike), inline code, code blocks, bullet
//! and ordered lists (nested), links, block quotes and rules. Pure: no I/O.
//!
//! Round trips are stable for what both sides support: `markdown -> ADF -> markdown`
//! gives the same text for Markdown written in the canonical style this module emits
//! (`-` bullets, `*em*`, `**strong**`, fenced code), and `ADF -> markdown -> ADF` gives
//! the same document for the supported nodes.

mod blocks_md;
mod inline_md;
mod render;

use serde_json::{Value, json};

/// Converts Markdown to an ADF document (`{"type":"doc","version":1,...}`).
pub fn markdown_to_adf(md: &str) -> Value {
    let normalized = md.replace("\r\n", "\n");
    let lines: Vec<&str> = normalized.lines().collect();
    json!({"type": "doc", "version": 1, "content": blocks_md::parse(&lines)})
}

/// Converts an ADF document (or `null`) to Markdown.
pub fn adf_to_markdown(doc: &Value) -> String {
    match doc.get("content").and_then(Value::as_array) {
        Some(blocks) => render::blocks(blocks),
        None => doc.as_str().unwrap_or("").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(md: &str) {
        let adf = markdown_to_adf(md);
        assert_eq!(adf_to_markdown(&adf), md, "markdown round trip via {adf:#}");
        let again = markdown_to_adf(&adf_to_markdown(&adf));
        assert_eq!(again, adf, "ADF round trip");
    }

    #[test]
    fn paragraph_and_emphasis_become_marks() {
        let adf = markdown_to_adf("Hello **bold** and *em* and `code`");
        let p = &adf["content"][0];
        assert_eq!(p["type"], "paragraph");
        assert_eq!(
            p["content"][1],
            json!({"type": "text", "text": "bold", "marks": [{"type": "strong"}]})
        );
        assert_eq!(
            p["content"][3],
            json!({"type": "text", "text": "em", "marks": [{"type": "em"}]})
        );
        assert_eq!(
            p["content"][5],
            json!({"type": "text", "text": "code", "marks": [{"type": "code"}]})
        );
    }

    #[test]
    fn link_becomes_link_mark() {
        let adf = markdown_to_adf("see [the docs](https://example.com/a?b=1)");
        assert_eq!(
            adf["content"][0]["content"][1],
            json!({"type": "text", "text": "the docs", "marks": [{"type": "link", "attrs": {"href": "https://example.com/a?b=1"}}]})
        );
    }

    #[test]
    fn headings_lists_code_quote_rule() {
        let md = "# Title\n\nIntro line\nsecond line\n\n- one\n- two\n  - nested *x*\n\n3. third\n4. fourth\n\n```rust\nfn main() {}\n```\n\n> quoted **text**\n\n---\n\n###### small";
        let adf = markdown_to_adf(md);
        let types: Vec<&str> = adf["content"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            [
                "heading",
                "paragraph",
                "bulletList",
                "orderedList",
                "codeBlock",
                "blockquote",
                "rule",
                "heading"
            ]
        );
        assert_eq!(adf["content"][3]["attrs"]["order"], 3);
        assert_eq!(adf["content"][4]["attrs"]["language"], "rust");
        assert_eq!(adf["content"][1]["content"][1]["type"], "hardBreak");
        let nested = &adf["content"][2]["content"][1]["content"][1];
        assert_eq!(nested["type"], "bulletList");
        round_trip(md);
    }

    #[test]
    fn round_trips_are_stable() {
        round_trip("plain");
        round_trip("**bold *and em* inside**");
        round_trip("[**strong link** tail](https://x.y)");
        round_trip("~~gone~~ and `a*b`");
        round_trip("1. a\n2. b\n   - c\n   - d\n3. e");
        round_trip("```\nno language\n```");
        round_trip("snake_case_word stays");
    }

    #[test]
    fn literal_syntax_characters_are_escaped_and_survive() {
        let adf = json!({"type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "2 * 3 = 6 and [x] _y_ # not a heading"}]},
            {"type": "paragraph", "content": [{"type": "text", "text": "# looks like a heading"}]},
            {"type": "paragraph", "content": [{"type": "text", "text": "1. looks like a list"}]},
        ]});
        let md = adf_to_markdown(&adf);
        assert_eq!(markdown_to_adf(&md), adf, "via {md}");
    }

    #[test]
    fn jira_only_nodes_degrade_to_text() {
        let adf = json!({"type": "doc", "version": 1, "content": [
            {"type": "panel", "attrs": {"panelType": "info"}, "content": [
                {"type": "paragraph", "content": [
                    {"type": "mention", "attrs": {"id": "abc", "text": "@Ann"}},
                    {"type": "text", "text": " see "},
                    {"type": "inlineCard", "attrs": {"url": "https://x.y/z"}}
                ]}
            ]},
            {"type": "table", "content": [{"type": "tableRow", "content": [
                {"type": "tableCell", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "cell"}]}]}
            ]}]}
        ]});
        assert_eq!(adf_to_markdown(&adf), "@Ann see https://x.y/z\n\ncell");
    }

    #[test]
    fn a_status_lozenge_and_a_date_read_as_text() {
        let adf = json!({"type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [
                {"type": "status", "attrs": {"text": "IN REVIEW", "color": "blue"}},
                {"type": "text", "text": " until "},
                {"type": "date", "attrs": {"timestamp": "1798761600000"}}
            ]}
        ]});
        assert_eq!(adf_to_markdown(&adf), "IN REVIEW until 2027-01-01");
    }

    #[test]
    fn empty_inputs() {
        assert_eq!(
            markdown_to_adf(""),
            json!({"type": "doc", "version": 1, "content": []})
        );
        assert_eq!(adf_to_markdown(&Value::Null), "");
        assert_eq!(
            adf_to_markdown(&json!({"type": "doc", "version": 1, "content": []})),
            ""
        );
    }

    #[test]
    fn unclosed_markers_stay_literal() {
        let adf = markdown_to_adf("a * b and **c and [d](e");
        assert_eq!(
            adf["content"][0]["content"],
            json!([{"type": "text", "text": "a * b and **c and [d](e"}])
        );
    }
}
