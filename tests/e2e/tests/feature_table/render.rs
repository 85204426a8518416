//! The feature table as Markdown: one row per platform and kind (a kind the connector does
//! not declare says why it is not synced; the comments of each comment kind come last),
//! one cell per direction, and numbered notes under the table for the reasons and remarks
//! the cells point to.

use crate::proofs::{DIRECTIONS, Declared, Entry, KIND_ORDER, PLATFORMS, Proofs, Subject, Tested};

/// The notes cells point to, numbered in order of first use; the same text is one note.
#[derive(Default)]
struct Notes(Vec<String>);

impl Notes {
    /// ` [n]` for `text`.
    fn mark(&mut self, text: &str) -> String {
        let n = match self.0.iter().position(|t| t == text) {
            Some(i) => i + 1,
            None => {
                self.0.push(text.to_string());
                self.0.len()
            }
        };
        format!(" [{n}]")
    }

    fn render(&self) -> String {
        let lines: Vec<String> = self
            .0
            .iter()
            .enumerate()
            .map(|(i, t)| format!("{}. {t}", i + 1))
            .collect();
        lines.join("\n")
    }
}

/// The table and its notes, for README's generated section.
pub fn render(proofs: &Proofs, declared: &[Declared]) -> String {
    let mut notes = Notes::default();
    let mut out = vec![
        format!(
            "| platform | kind | {} | {} |",
            DIRECTIONS[0], DIRECTIONS[1]
        ),
        "| --- | --- | --- | --- |".to_string(),
    ];
    for (id, name) in PLATFORMS {
        let d = declared
            .iter()
            .find(|d| d.platform == id)
            .unwrap_or_else(|| panic!("{id} was not loaded"));
        out.extend(platform_rows(proofs, d, name, &mut notes));
    }
    format!("{}\n\nNotes:\n\n{}", out.join("\n"), notes.render())
}

/// The rows of one platform: each kind in table order (declared or not), then the comments
/// of each comment kind.
fn platform_rows(proofs: &Proofs, d: &Declared, name: &str, notes: &mut Notes) -> Vec<String> {
    let mut rows = Vec::new();
    for kind in KIND_ORDER {
        if d.kinds.contains(&kind) {
            rows.push(declared_row(
                proofs,
                d.platform,
                name,
                Subject::Items(kind),
                notes,
            ));
        } else {
            let why = proofs
                .undeclared_why(d.platform, kind)
                .unwrap_or("not declared");
            let cell = format!("not synced{}", notes.mark(why));
            rows.push(format!("| {name} | {} | {cell} | {cell} |", kind.as_str()));
        }
    }
    for kind in KIND_ORDER
        .into_iter()
        .filter(|k| d.comment_kinds.contains(k))
    {
        rows.push(declared_row(
            proofs,
            d.platform,
            name,
            Subject::Comments(kind),
            notes,
        ));
    }
    rows
}

/// The row of a declared subject: one cell per direction.
fn declared_row(
    proofs: &Proofs,
    id: &str,
    name: &str,
    subject: Subject,
    notes: &mut Notes,
) -> String {
    let cells = DIRECTIONS.map(|dir| cell(proofs.entry(id, subject, dir), notes));
    let kind = kind_label(proofs, id, subject);
    format!("| {name} | {kind} | {} | {} |", cells[0], cells[1])
}

/// `milestone (sprint)`, `comments on issues`.
fn kind_label(proofs: &Proofs, platform: &str, subject: Subject) -> String {
    match subject {
        Subject::Items(k) => match proofs.term(platform, k) {
            Some(term) => format!("{} ({term})", k.as_str()),
            None => k.as_str().to_string(),
        },
        Subject::Comments(k) => format!("comments on {}s", k.as_str()),
    }
}

/// One cell: what is proven end to end, by the connector only, not supported, not proven.
fn cell(entry: Option<&Entry>, notes: &mut Notes) -> String {
    let Some(e) = entry else {
        return "(no entry)".to_string();
    };
    let mut parts = Vec::new();
    if let Some(t) = &e.proven {
        parts.push(format!("yes: {}", tested(t)));
    }
    if let Some(t) = &e.connector_only {
        parts.push(format!("connector only: {}", tested(t)));
    }
    if let Some(n) = &e.not_supported {
        let ops = listed(&n.ops);
        parts.push(format!("not supported{ops}{}", notes.mark(&n.why)));
    }
    if let Some(ops) = &e.not_proven {
        parts.push(format!("not proven end to end{}", listed(ops)));
    }
    let mark = e.note.as_deref().map(|n| notes.mark(n)).unwrap_or_default();
    format!("{}{mark}", parts.join("; "))
}

/// `create, update (`a.rs`, `b.rs`)`.
fn tested(t: &Tested) -> String {
    let files: Vec<String> = t.tests.keys().map(|f| format!("`{f}`")).collect();
    format!("{} ({})", t.ops.join(", "), files.join(", "))
}

/// `: a, b`, or nothing for no ops (the whole direction).
fn listed(ops: &[String]) -> String {
    if ops.is_empty() {
        String::new()
    } else {
        format!(": {}", ops.join(", "))
    }
}
