//! OpenProject's HAL+JSON shapes as the connector reads them: links, formattable texts,
//! collections, work packages, statuses, versions, categories, projects.

use serde::Deserialize;
use serde_json::Value;

/// A HAL link; `href` is null when unset.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Link {
    #[serde(default)]
    pub href: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
}

impl Link {
    /// The trailing id of the link's `href` (`/api/v3/statuses/12` -> `12`).
    pub fn id(&self) -> Option<String> {
        let href = self.href.as_deref()?;
        let tail = href.rsplit('/').next()?;
        (!tail.is_empty()).then(|| tail.to_string())
    }
}

/// `{format, raw, html}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Formattable {
    #[serde(default)]
    pub raw: Option<String>,
}

/// A collection page.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Collection<T> {
    pub total: u64,
    #[serde(default)]
    pub page_size: Option<u32>,
    #[serde(rename = "_embedded")]
    pub embedded: Embedded<T>,
}

/// `_embedded.elements`.
#[derive(Debug, Clone, Deserialize)]
pub struct Embedded<T> {
    pub elements: Vec<T>,
}

/// Work-package links the connector reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WpLinks {
    #[serde(default)]
    pub status: Link,
    #[serde(default)]
    pub category: Link,
    #[serde(default)]
    pub version: Link,
    #[serde(default)]
    pub assignee: Link,
    #[serde(default)]
    pub parent: Link,
    #[serde(default)]
    pub project: Link,
    #[serde(default, rename = "type")]
    pub kind: Link,
}

/// A work package.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkPackage {
    pub id: u64,
    pub subject: String,
    #[serde(default)]
    pub description: Option<Formattable>,
    pub lock_version: u64,
    pub updated_at: String,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub due_date: Option<String>,
    #[serde(rename = "_links", default)]
    pub links: WpLinks,
}

/// A status.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub id: u64,
    pub name: String,
    pub is_closed: bool,
    #[serde(default)]
    pub is_default: bool,
}

/// Links of a version.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionLinks {
    #[serde(default)]
    pub defining_project: Link,
}

/// A version (milestone).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub description: Option<Formattable>,
    pub status: String,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    pub updated_at: String,
    #[serde(rename = "_links", default)]
    pub links: VersionLinks,
}

/// A category (label).
#[derive(Debug, Clone, Deserialize)]
pub struct Category {
    pub id: u64,
    pub name: String,
}

/// A project.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub id: u64,
    pub identifier: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<Formattable>,
    #[serde(default = "yes")]
    pub active: bool,
    pub updated_at: String,
}

fn yes() -> bool {
    true
}

/// A webhook delivery body.
#[derive(Debug, Clone, Deserialize)]
pub struct Delivery {
    pub action: String,
    #[serde(default)]
    pub work_package: Option<Value>,
    #[serde(default)]
    pub project: Option<Value>,
    /// The journal of a `work_package_comment:*` event.
    #[serde(default)]
    pub activity: Option<Activity>,
}

/// A work-package activity (journal); a comment when `comment.raw` is not empty.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    pub id: u64,
    #[serde(default)]
    pub comment: Formattable,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub updated_at: String,
    #[serde(rename = "_links", default)]
    pub links: ActivityLinks,
}

/// Activity links the connector reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityLinks {
    #[serde(default)]
    pub user: Link,
    #[serde(default)]
    pub work_package: Link,
}

/// A work package's activities: one collection (OpenProject does not page it; a
/// `nextByOffset` link is followed should one appear).
#[derive(Debug, Clone, Deserialize)]
pub struct Activities {
    #[serde(rename = "_embedded")]
    pub embedded: Embedded<Activity>,
    #[serde(rename = "_links", default)]
    pub links: CollectionLinks,
}

/// A collection's paging links.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectionLinks {
    #[serde(default)]
    pub next_by_offset: Option<Link>,
}
