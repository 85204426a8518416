//! The simulated project's workflow: statuses with their categories and the transitions
//! available from each, one of which (`Won't do`) requires the `resolution` field.

/// A workflow status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub id: &'static str,
    pub name: &'static str,
    /// `new`, `indeterminate` or `done`.
    pub category: &'static str,
}

/// Every status of the workflow.
pub const STATUSES: [Status; 5] = [
    Status {
        id: "10000",
        name: "To Do",
        category: "new",
    },
    Status {
        id: "3",
        name: "In Progress",
        category: "indeterminate",
    },
    Status {
        id: "10001",
        name: "In Review",
        category: "indeterminate",
    },
    Status {
        id: "10002",
        name: "Done",
        category: "done",
    },
    Status {
        id: "10003",
        name: "Won't Do",
        category: "done",
    },
];

/// A transition: its id, name, target status and whether it needs `resolution`.
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    pub id: &'static str,
    pub name: &'static str,
    pub to: &'static str,
    pub requires_resolution: bool,
}

const START: Transition = Transition {
    id: "21",
    name: "Start progress",
    to: "3",
    requires_resolution: false,
};
const REVIEW: Transition = Transition {
    id: "22",
    name: "Request review",
    to: "10001",
    requires_resolution: false,
};
const DONE: Transition = Transition {
    id: "31",
    name: "Done",
    to: "10002",
    requires_resolution: false,
};
const WONT: Transition = Transition {
    id: "51",
    name: "Won't do",
    to: "10003",
    requires_resolution: true,
};
const BACK: Transition = Transition {
    id: "11",
    name: "Back to To Do",
    to: "10000",
    requires_resolution: false,
};
const REOPEN: Transition = Transition {
    id: "41",
    name: "Reopen",
    to: "10000",
    requires_resolution: false,
};

/// The transitions available from a status.
pub fn transitions_from(status_id: &str) -> Vec<Transition> {
    match status_id {
        "10000" => vec![START, DONE, WONT],
        "3" => vec![BACK, REVIEW, DONE, WONT],
        "10001" => vec![START, DONE],
        _ => vec![REOPEN],
    }
}

/// The status with this id.
pub fn status(id: &str) -> Option<Status> {
    STATUSES.iter().copied().find(|s| s.id == id)
}

/// The status with this name (case-insensitive).
pub fn status_named(name: &str) -> Option<Status> {
    STATUSES
        .iter()
        .copied()
        .find(|s| s.name.eq_ignore_ascii_case(name))
}

/// A status as the REST API renders it.
pub fn status_json(base: &str, s: Status) -> serde_json::Value {
    let (cat_id, cat_name, color) = match s.category {
        "new" => (2, "To Do", "blue-gray"),
        "indeterminate" => (4, "In Progress", "yellow"),
        _ => (3, "Done", "green"),
    };
    serde_json::json!({
        "self": format!("{base}/rest/api/3/status/{}", s.id),
        "id": s.id,
        "name": s.name,
        "statusCategory": {"id": cat_id, "key": s.category, "name": cat_name, "colorName": color},
    })
}
