//! Building canonical items: `Item::new(kind, id, title, state, updated_at)` plus
//! setters, so mapping code names only the fields a platform has.

use crate::{Item, ItemState, Kind};

/// A value an optional text field accepts: `&str`, `String`, or an `Option` of either
/// (`None` leaves the field unset).
pub trait OptText {
    /// The text, if any.
    fn into_opt(self) -> Option<String>;
}

impl OptText for &str {
    fn into_opt(self) -> Option<String> {
        Some(self.to_string())
    }
}
impl OptText for String {
    fn into_opt(self) -> Option<String> {
        Some(self)
    }
}
impl OptText for &String {
    fn into_opt(self) -> Option<String> {
        Some(self.clone())
    }
}
impl OptText for Option<String> {
    fn into_opt(self) -> Option<String> {
        self
    }
}
impl OptText for Option<&str> {
    fn into_opt(self) -> Option<String> {
        self.map(str::to_string)
    }
}
impl OptText for Option<&String> {
    fn into_opt(self) -> Option<String> {
        self.cloned()
    }
}

impl ItemState {
    /// `Closed` when `closed`, else `Open`.
    pub fn from_closed(closed: bool) -> ItemState {
        if closed {
            ItemState::Closed
        } else {
            ItemState::Open
        }
    }
}

fn strings<S: Into<String>>(values: impl IntoIterator<Item = S>) -> Vec<String> {
    values.into_iter().map(Into::into).collect()
}

impl Item {
    /// An item with an empty body, no labels, assignees, references, url, version or
    /// status, and `{}` extras. `updated_at` is in milliseconds since the epoch.
    pub fn new(
        kind: Kind,
        external_id: impl Into<String>,
        title: impl Into<String>,
        state: ItemState,
        updated_at: i64,
    ) -> Item {
        Item {
            kind,
            external_id: external_id.into(),
            title: title.into(),
            body: String::new(),
            state,
            status_name: None,
            labels: Vec::new(),
            assignees: Vec::new(),
            milestone_ref: None,
            parent_ref: None,
            url: None,
            updated_at,
            version: None,
            extras: "{}".into(),
        }
    }

    /// The Markdown body.
    pub fn body(mut self, body: impl Into<String>) -> Item {
        self.body = body.into();
        self
    }

    /// The platform's own status name.
    pub fn status(mut self, status: impl OptText) -> Item {
        self.status_name = status.into_opt();
        self
    }

    /// Label names.
    pub fn labels<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Item {
        self.labels = strings(labels);
        self
    }

    /// Assignee logins or ids.
    pub fn assignees<S: Into<String>>(mut self, assignees: impl IntoIterator<Item = S>) -> Item {
        self.assignees = strings(assignees);
        self
    }

    /// The external id of its milestone.
    pub fn milestone(mut self, milestone: impl OptText) -> Item {
        self.milestone_ref = milestone.into_opt();
        self
    }

    /// The external id of its parent.
    pub fn parent(mut self, parent: impl OptText) -> Item {
        self.parent_ref = parent.into_opt();
        self
    }

    /// A link a person can open.
    pub fn url(mut self, url: impl OptText) -> Item {
        self.url = url.into_opt();
        self
    }

    /// The version token for optimistic locking and echo suppression.
    pub fn version(mut self, version: impl OptText) -> Item {
        self.version = version.into_opt();
        self
    }

    /// Platform-specific fields (a JSON object; `null` becomes `{}`).
    pub fn extras(mut self, extras: serde_json::Value) -> Item {
        self.extras = if extras.is_null() {
            "{}".into()
        } else {
            extras.to_string()
        };
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_an_item_with_defaults_and_setters() {
        let bare = Item::new(Kind::Issue, "7", "Title", ItemState::Open, 42);
        assert_eq!(
            (bare.body.as_str(), bare.extras.as_str(), bare.url.clone()),
            ("", "{}", None)
        );
        let milestone: Option<&str> = None;
        let full = bare
            .body("b")
            .status("In Progress")
            .labels(["bug", "ui"])
            .assignees(vec!["ann".to_string()])
            .milestone(milestone)
            .parent(Some("p1".to_string()))
            .url("https://x.test/7")
            .version(String::from("v3"))
            .extras(serde_json::json!({"k": 1}));
        assert_eq!(full.labels, ["bug", "ui"]);
        assert_eq!(full.assignees, ["ann"]);
        assert_eq!(full.milestone_ref, None);
        assert_eq!(full.parent_ref.as_deref(), Some("p1"));
        assert_eq!(full.status_name.as_deref(), Some("In Progress"));
        assert_eq!(full.version.as_deref(), Some("v3"));
        assert_eq!(full.extras, r#"{"k":1}"#);
        assert_eq!((full.updated_at, full.state), (42, ItemState::Open));
        assert_eq!(ItemState::from_closed(true), ItemState::Closed);
    }
}
