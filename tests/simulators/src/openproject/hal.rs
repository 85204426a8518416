//! HAL+JSON renderings of the simulator's resources: `_type`, `_links` with relative
//! `href`s and titles, formattable texts `{format, raw, html}`, collections and errors.

use serde_json::{Value, json};

use super::model::{Category, Project, State, Status, Version, WorkPackage};

/// `{format: markdown, raw, html}`.
pub fn formattable(raw: &str) -> Value {
    let html = if raw.is_empty() {
        String::new()
    } else {
        format!(
            "<p class=\"op-uc-p\">{}</p>",
            raw.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        )
    };
    json!({"format": "markdown", "raw": raw, "html": html})
}

/// A link, or `{href: null}` when absent.
fn link(href: Option<String>, title: Option<&str>) -> Value {
    match (href, title) {
        (Some(h), Some(t)) => json!({"href": h, "title": t}),
        (Some(h), None) => json!({"href": h}),
        (None, _) => json!({"href": null}),
    }
}

/// A HAL error body.
pub fn error(identifier: &str, message: &str) -> Value {
    json!({"_type": "Error", "errorIdentifier": format!("urn:openproject-org:api:v3:errors:{identifier}"), "message": message})
}

/// A collection page.
pub fn collection(
    href: &str,
    total: usize,
    page_size: usize,
    offset: usize,
    elements: Vec<Value>,
) -> Value {
    let mut links =
        json!({"self": {"href": format!("{href}?offset={offset}&pageSize={page_size}")}});
    if offset * page_size < total {
        links["nextByOffset"] =
            json!({"href": format!("{href}?offset={}&pageSize={page_size}", offset + 1)});
    }
    if offset > 1 {
        links["previousByOffset"] =
            json!({"href": format!("{href}?offset={}&pageSize={page_size}", offset - 1)});
    }
    json!({"_type": "Collection", "total": total, "count": elements.len(), "pageSize": page_size, "offset": offset,
        "_embedded": {"elements": elements}, "_links": links})
}

pub fn status_json(s: &Status) -> Value {
    json!({"_type": "Status", "id": s.id, "name": s.name, "isClosed": s.is_closed, "isDefault": s.is_default,
        "isReadonly": false, "position": s.id, "_links": {"self": {"href": format!("/api/v3/statuses/{}", s.id), "title": s.name}}})
}

impl State {
    pub fn project_json(&self, p: &Project) -> Value {
        json!({"_type": "Project", "id": p.id, "identifier": p.identifier, "name": p.name, "active": p.active,
            "public": false, "description": formattable(&p.description), "createdAt": p.created_at, "updatedAt": p.updated_at,
            "_links": {"self": {"href": format!("/api/v3/projects/{}", p.id), "title": p.name},
                "workPackages": {"href": format!("/api/v3/projects/{}/work_packages", p.id)},
                "versions": {"href": format!("/api/v3/projects/{}/versions", p.id)},
                "categories": {"href": format!("/api/v3/projects/{}/categories", p.id)},
                "parent": {"href": null}}})
    }

    pub fn version_json(&self, v: &Version) -> Value {
        let project = self.projects.get(&v.project_id).map(|p| p.name.as_str());
        json!({"_type": "Version", "id": v.id, "name": v.name, "description": formattable(&v.description),
            "status": v.status, "sharing": "none", "startDate": v.start_date, "endDate": v.end_date,
            "createdAt": v.created_at, "updatedAt": v.updated_at,
            "_links": {"self": {"href": format!("/api/v3/versions/{}", v.id), "title": v.name},
                "definingProject": link(Some(format!("/api/v3/projects/{}", v.project_id)), project),
                "update": {"href": format!("/api/v3/versions/{}", v.id), "method": "patch"}}})
    }

    pub fn category_json(&self, c: &Category) -> Value {
        json!({"_type": "Category", "id": c.id, "name": c.name,
            "_links": {"self": {"href": format!("/api/v3/categories/{}", c.id), "title": c.name},
                "project": {"href": format!("/api/v3/projects/{}", c.project_id)}, "defaultAssignee": {"href": null}}})
    }

    pub fn wp_json(&self, w: &WorkPackage) -> Value {
        let status = self.status(w.status_id);
        let project = self.projects.get(&w.project_id).map(|p| p.name.as_str());
        let category = w.category_id.and_then(|id| self.categories.get(&id));
        let version = w.version_id.and_then(|id| self.versions.get(&id));
        let assignee = w.assignee_id.and_then(|id| self.user(id));
        let parent = w.parent_id.and_then(|id| self.work_packages.get(&id));
        json!({
            "_type": "WorkPackage", "id": w.id, "lockVersion": w.lock_version, "subject": w.subject,
            "description": formattable(&w.description), "scheduleManually": false, "startDate": w.start_date, "dueDate": w.due_date,
            "derivedStartDate": null, "derivedDueDate": null, "percentageDone": 0,
            "createdAt": w.created_at, "updatedAt": w.updated_at,
            "_links": {
                "self": {"href": format!("/api/v3/work_packages/{}", w.id), "title": w.subject},
                "update": {"href": format!("/api/v3/work_packages/{}/form", w.id), "method": "post"},
                "updateImmediately": {"href": format!("/api/v3/work_packages/{}", w.id), "method": "patch"},
                "delete": {"href": format!("/api/v3/work_packages/{}", w.id), "method": "delete"},
                "project": link(Some(format!("/api/v3/projects/{}", w.project_id)), project),
                "status": link(status.map(|s| format!("/api/v3/statuses/{}", s.id)), status.map(|s| s.name)),
                "type": {"href": "/api/v3/types/1", "title": "Task"},
                "priority": {"href": "/api/v3/priorities/8", "title": "Normal"},
                "author": {"href": "/api/v3/users/1", "title": "Elder Bot"},
                "category": link(category.map(|c| format!("/api/v3/categories/{}", c.id)), category.map(|c| c.name.as_str())),
                "version": link(version.map(|v| format!("/api/v3/versions/{}", v.id)), version.map(|v| v.name.as_str())),
                "assignee": link(assignee.map(|u| format!("/api/v3/users/{}", u.id)), assignee.map(|u| u.name.as_str())),
                "parent": link(parent.map(|p| format!("/api/v3/work_packages/{}", p.id)), parent.map(|p| p.subject.as_str())),
            }
        })
    }

    pub fn user_json(&self, id: u64) -> Option<Value> {
        let u = self.user(id)?;
        Some(
            json!({"_type": "User", "id": u.id, "login": u.login, "name": u.name,
            "_links": {"self": {"href": format!("/api/v3/users/{}", u.id), "title": u.name}}}),
        )
    }
}
