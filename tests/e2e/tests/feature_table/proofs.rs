//! The checked-in table of proofs (`tests/e2e/proofs.toml`): its shape, how it is read, and
//! its checks: against the test files it names (each function must exist) and against what
//! the connectors declare (every declared kind and comment kind has an entry for both
//! directions; no entry claims a kind the connector does not declare).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use elder_sync_model::Kind;
use serde::Deserialize;

/// The five platforms in the table's order: (connector id, name shown).
pub const PLATFORMS: [(&str, &str); 5] = [
    ("github", "GitHub"),
    ("gitlab", "GitLab"),
    ("jira", "Jira"),
    ("openproject", "OpenProject"),
    ("trello", "Trello"),
];

/// Kinds in the table's row order.
pub const KIND_ORDER: [Kind; 4] = [Kind::Issue, Kind::Milestone, Kind::Label, Kind::Project];

/// The two directions, as the file spells them and the table's columns show them.
pub const DIRECTIONS: [&str; 2] = ["platform -> Elder", "Elder -> platform"];

/// The operations an entry may name.
const OPS: [&str; 7] = [
    "create", "update", "close", "reopen", "delete", "list", "get",
];

/// What a row is about: items of a kind, or the comments on items of a kind.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Subject {
    Items(Kind),
    Comments(Kind),
}

impl Subject {
    /// `issue`, `milestone`, ... or `comments on <kind>`.
    pub fn parse(s: &str) -> Option<Subject> {
        match s.strip_prefix("comments on ") {
            Some(k) => Kind::parse(k).map(Subject::Comments),
            None => Kind::parse(s).map(Subject::Items),
        }
    }
}

impl std::fmt::Display for Subject {
    /// As the file spells it: `issue`, `comments on issue`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Items(k) => f.write_str(k.as_str()),
            Subject::Comments(k) => write!(f, "comments on {}", k.as_str()),
        }
    }
}

/// What one connector declares in `describe`.
pub struct Declared {
    pub platform: &'static str,
    pub kinds: Vec<Kind>,
    pub comment_kinds: Vec<Kind>,
}

impl Declared {
    /// Whether the connector declares `subject`.
    pub fn declares(&self, subject: Subject) -> bool {
        match subject {
            Subject::Items(k) => self.kinds.contains(&k),
            Subject::Comments(k) => self.comment_kinds.contains(&k),
        }
    }

    /// Every declared subject in table order: its kinds, then its comment kinds.
    pub fn subjects(&self) -> Vec<Subject> {
        let items = KIND_ORDER.into_iter().map(Subject::Items);
        let comments = KIND_ORDER.into_iter().map(Subject::Comments);
        items
            .chain(comments)
            .filter(|s| self.declares(*s))
            .collect()
    }
}

/// The whole file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proofs {
    /// platform -> kind -> the platform's own word for it.
    #[serde(default)]
    pub terms: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    pub undeclared: Vec<Undeclared>,
    #[serde(default)]
    pub entry: Vec<Entry>,
}

/// Why a kind the connector does not declare is not synced.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Undeclared {
    pub platform: String,
    pub kind: String,
    pub why: String,
}

/// One (platform, kind, direction) and what is known of it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub platform: String,
    pub kind: String,
    pub direction: String,
    pub proven: Option<Tested>,
    pub connector_only: Option<Tested>,
    pub not_supported: Option<NotSupported>,
    pub not_proven: Option<Vec<String>>,
    pub note: Option<String>,
}

/// Operations and the test functions (file -> functions) that show them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tested {
    pub ops: Vec<String>,
    pub tests: BTreeMap<String, Vec<String>>,
}

/// Operations the platform or connector cannot do (none named: the whole direction).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotSupported {
    #[serde(default)]
    pub ops: Vec<String>,
    pub why: String,
}

impl Proofs {
    /// Reads and parses `path`; panics naming the file on any error.
    pub fn load(path: &Path) -> Proofs {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The entry of `platform`, `subject` and `direction`, if any.
    pub fn entry(&self, platform: &str, subject: Subject, direction: &str) -> Option<&Entry> {
        self.entry.iter().find(|e| {
            e.platform == platform
                && Subject::parse(&e.kind) == Some(subject)
                && e.direction == direction
        })
    }

    /// Why `platform` does not sync `kind`, if the file says.
    pub fn undeclared_why(&self, platform: &str, kind: Kind) -> Option<&str> {
        self.undeclared
            .iter()
            .find(|u| u.platform == platform && u.kind == kind.as_str())
            .map(|u| u.why.as_str())
    }

    /// The platform's own word for `kind` (`sprint`, `card`), if the file gives one.
    pub fn term(&self, platform: &str, kind: Kind) -> Option<&str> {
        self.terms
            .get(platform)?
            .get(kind.as_str())
            .map(String::as_str)
    }
}

impl Entry {
    /// `platform kind (direction)`, for messages.
    fn label(&self) -> String {
        format!("{} {} ({})", self.platform, self.kind, self.direction)
    }

    /// Every (part, op) the entry names.
    fn ops(&self) -> Vec<(&'static str, &str)> {
        let parts: [(&'static str, Option<&[String]>); 4] = [
            ("proven", self.proven.as_ref().map(|t| t.ops.as_slice())),
            (
                "connector_only",
                self.connector_only.as_ref().map(|t| t.ops.as_slice()),
            ),
            (
                "not_supported",
                self.not_supported.as_ref().map(|n| n.ops.as_slice()),
            ),
            ("not_proven", self.not_proven.as_deref()),
        ];
        parts
            .into_iter()
            .flat_map(|(part, ops)| {
                ops.unwrap_or_default()
                    .iter()
                    .map(move |o| (part, o.as_str()))
            })
            .collect()
    }

    fn has_status(&self) -> bool {
        self.proven.is_some()
            || self.connector_only.is_some()
            || self.not_supported.is_some()
            || self.not_proven.is_some()
    }
}

/// Every named test function that is missing: its file must exist under `tests_dir` and
/// contain `fn <name>(`. Engine proofs must name `sync_*` files; connector-only proofs the
/// component-level files.
pub fn test_problems(proofs: &Proofs, tests_dir: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for e in &proofs.entry {
        let parts = [(&e.proven, true), (&e.connector_only, false)];
        for (tested, engine) in parts {
            if let Some(t) = tested {
                problems.extend(tested_problems(e, t, engine, tests_dir));
            }
        }
    }
    problems
}

fn tested_problems(e: &Entry, t: &Tested, engine: bool, tests_dir: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    if t.tests.is_empty() {
        problems.push(format!("{}: names no test", e.label()));
    }
    for (file, fns) in &t.tests {
        if file.starts_with("sync_") != engine {
            let want = if engine {
                "an engine-level `sync_*.rs` file"
            } else {
                "a component-level file (not `sync_*.rs`)"
            };
            problems.push(format!("{}: `{file}` is not {want}", e.label()));
        }
        problems.extend(missing_fns(e, file, fns, tests_dir));
    }
    problems
}

fn missing_fns(e: &Entry, file: &str, fns: &[String], tests_dir: &Path) -> Vec<String> {
    let Ok(source) = std::fs::read_to_string(tests_dir.join(file)) else {
        return vec![format!("{}: no test file tests/{file}", e.label())];
    };
    if fns.is_empty() {
        return vec![format!("{}: `{file}` names no function", e.label())];
    }
    fns.iter()
        .filter(|f| !source.contains(&format!("fn {f}(")))
        .map(|f| format!("{}: tests/{file} has no `fn {f}(`", e.label()))
        .collect()
}

/// Unknown platforms, kinds, directions or ops; entries that say nothing; an op named in
/// two parts; a whole-direction `not_proven = []` beside other parts; duplicate entries.
pub fn shape_problems(proofs: &Proofs) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for e in &proofs.entry {
        problems.extend(entry_shape_problems(e));
        if !seen.insert((&e.platform, &e.kind, &e.direction)) {
            problems.push(format!("{}: more than one entry", e.label()));
        }
    }
    for u in &proofs.undeclared {
        let known = PLATFORMS.iter().any(|(id, _)| *id == u.platform);
        if !known || Kind::parse(&u.kind).is_none() {
            problems.push(format!(
                "[[undeclared]] {} {}: unknown platform or kind",
                u.platform, u.kind
            ));
        }
    }
    problems
}

fn entry_shape_problems(e: &Entry) -> Vec<String> {
    let mut problems = Vec::new();
    let label = e.label();
    if !PLATFORMS.iter().any(|(id, _)| *id == e.platform) {
        problems.push(format!("{label}: unknown platform"));
    }
    if Subject::parse(&e.kind).is_none() {
        problems.push(format!("{label}: unknown kind"));
    }
    if !DIRECTIONS.contains(&e.direction.as_str()) {
        problems.push(format!("{label}: direction is one of {DIRECTIONS:?}"));
    }
    if !e.has_status() {
        problems.push(format!(
            "{label}: says nothing (proven, connector_only, not_supported or not_proven)"
        ));
    }
    let mut ops = BTreeSet::new();
    for (part, op) in e.ops() {
        if !OPS.contains(&op) {
            problems.push(format!(
                "{label}: unknown op `{op}` in {part} (one of {OPS:?})"
            ));
        }
        if !ops.insert(op) {
            problems.push(format!("{label}: op `{op}` named twice"));
        }
    }
    let whole_not_proven = e.not_proven.as_ref().is_some_and(Vec::is_empty);
    let others = e.proven.is_some() || e.connector_only.is_some() || e.not_supported.is_some();
    if whole_not_proven && others {
        problems.push(format!(
            "{label}: `not_proven = []` (the whole direction) with other parts: name the ops"
        ));
    }
    problems
}

/// Every declared kind and comment kind without an entry for a direction; every entry,
/// term or `undeclared` naming what the connector does not (or does) declare.
pub fn coverage_problems(proofs: &Proofs, declared: &[Declared]) -> Vec<String> {
    let mut problems = Vec::new();
    for d in declared {
        problems.extend(missing_entries(proofs, d));
        problems.extend(undeclared_problems(proofs, d));
    }
    for e in &proofs.entry {
        let Some(subject) = Subject::parse(&e.kind) else {
            continue;
        };
        let Some(d) = declared.iter().find(|d| d.platform == e.platform) else {
            continue;
        };
        if !d.declares(subject) {
            problems.push(format!(
                "{}: the {} connector does not declare `{}`: the table cannot claim it",
                e.label(),
                e.platform,
                e.kind
            ));
        }
    }
    problems
}

fn missing_entries(proofs: &Proofs, d: &Declared) -> Vec<String> {
    let mut problems = Vec::new();
    for subject in d.subjects() {
        for direction in DIRECTIONS {
            if proofs.entry(d.platform, subject, direction).is_none() {
                problems.push(format!(
                    "{} declares `{subject}` but proofs.toml has no entry for `{direction}`",
                    d.platform
                ));
            }
        }
    }
    problems
}

fn undeclared_problems(proofs: &Proofs, d: &Declared) -> Vec<String> {
    let mut problems = Vec::new();
    for kind in KIND_ORDER {
        let declared = d.kinds.contains(&kind);
        let why = proofs.undeclared_why(d.platform, kind).is_some();
        if declared && why {
            problems.push(format!(
                "{} declares `{}`: drop its [[undeclared]]",
                d.platform,
                kind.as_str()
            ));
        }
        if !declared && !why {
            problems.push(format!(
                "{} does not declare `{}`: add an [[undeclared]] saying why",
                d.platform,
                kind.as_str()
            ));
        }
        if !declared && proofs.term(d.platform, kind).is_some() {
            problems.push(format!(
                "[terms.{}] names `{}`, which it does not declare",
                d.platform,
                kind.as_str()
            ));
        }
    }
    problems
}
