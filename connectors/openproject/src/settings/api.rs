//! OpenProject API v3 calls built on the settings' SDK `Client` (the host adds Basic
//! `apikey:<key>`); collections are read page by page with 1-based `offset`.

use elder_connector_sdk::ConnectorError;
use elder_connector_sdk::pagination::next_offset;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::model::{
    Activities, Activity, Category, Collection, Project, Status, Version, WorkPackage,
};
use crate::settings::Settings;

/// Page size for collections read whole.
const WHOLE_PAGE: u32 = 100;

/// The OpenProject client for one configuration.
pub struct Api<'a> {
    pub cfg: &'a Settings,
}

/// Checks that an id is numeric before putting it in a URL.
pub fn check_id(id: &str) -> Result<(), ConnectorError> {
    if !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ConnectorError::invalid_input(format!(
            "{id:?} is not an OpenProject id"
        )))
    }
}

impl<'a> Api<'a> {
    pub fn new(cfg: &'a Settings) -> Api<'a> {
        Api { cfg }
    }

    fn project_path(&self, tail: &str) -> String {
        format!("projects/{}{tail}", self.cfg.project_id)
    }

    /// Every element of a collection, following `offset` pages.
    fn all<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, ConnectorError> {
        let mut out = Vec::new();
        let mut offset = 1;
        loop {
            let page: Collection<T> = self
                .cfg
                .api
                .get(path)
                .query("offset", offset)
                .query("pageSize", WHOLE_PAGE)
                .send_json()?;
            let size = page.page_size.unwrap_or(WHOLE_PAGE);
            let empty = page.embedded.elements.is_empty();
            out.extend(page.embedded.elements);
            match next_offset(offset, size, page.total) {
                Some(n) if !empty => offset = n,
                _ => return Ok(out),
            }
        }
    }

    pub fn statuses(&self) -> Result<Vec<Status>, ConnectorError> {
        self.all("statuses")
    }

    pub fn project(&self) -> Result<Project, ConnectorError> {
        self.cfg.api.get(&self.project_path("")).send_json()
    }

    pub fn update_project(&self, body: &Value) -> Result<Project, ConnectorError> {
        self.cfg
            .api
            .patch(&self.project_path(""))
            .json(body)?
            .send()?
            .json()
    }

    pub fn categories(&self) -> Result<Vec<Category>, ConnectorError> {
        self.all(&self.project_path("/categories"))
    }

    pub fn category(&self, id: &str) -> Result<Category, ConnectorError> {
        check_id(id)?;
        self.cfg.api.get(&format!("categories/{id}")).send_json()
    }

    pub fn versions(&self) -> Result<Vec<Version>, ConnectorError> {
        self.all(&self.project_path("/versions"))
    }

    pub fn version(&self, id: &str) -> Result<Version, ConnectorError> {
        check_id(id)?;
        self.cfg.api.get(&format!("versions/{id}")).send_json()
    }

    pub fn create_version(&self, body: &Value) -> Result<Version, ConnectorError> {
        self.cfg.api.post("versions").json(body)?.send()?.json()
    }

    pub fn update_version(&self, id: &str, body: &Value) -> Result<Version, ConnectorError> {
        check_id(id)?;
        self.cfg
            .api
            .patch(&format!("versions/{id}"))
            .json(body)?
            .send()?
            .json()
    }

    pub fn delete_version(&self, id: &str) -> Result<(), ConnectorError> {
        check_id(id)?;
        self.cfg
            .api
            .delete(&format!("versions/{id}"))
            .send()
            .map(|_| ())
    }

    /// One page of the project's work packages matching `filters`, oldest update first.
    pub fn work_packages(
        &self,
        filters: &Value,
        offset: u32,
        page_size: u32,
    ) -> Result<Collection<WorkPackage>, ConnectorError> {
        let req = self
            .cfg
            .api
            .get(&self.project_path("/work_packages"))
            .query("filters", filters.to_string())
            .query("sortBy", r#"[["updatedAt","asc"],["id","asc"]]"#)
            .query("offset", offset)
            .query("pageSize", page_size);
        req.send_json()
    }

    pub fn work_package(&self, id: &str) -> Result<WorkPackage, ConnectorError> {
        check_id(id)?;
        self.cfg.api.get(&format!("work_packages/{id}")).send_json()
    }

    pub fn create_work_package(&self, body: &Value) -> Result<WorkPackage, ConnectorError> {
        self.cfg
            .api
            .post(&self.project_path("/work_packages"))
            .json(body)?
            .send()?
            .json()
    }

    /// PATCH with the body's `lockVersion`; a stale one answers 409, mapped to `conflict`.
    pub fn update_work_package(
        &self,
        id: &str,
        body: &Value,
    ) -> Result<WorkPackage, ConnectorError> {
        check_id(id)?;
        self.cfg
            .api
            .patch(&format!("work_packages/{id}"))
            .json(body)?
            .send()?
            .json()
    }

    /// One page of a work package's activities (`path`: the collection or its next link).
    pub fn activities(&self, path: &str) -> Result<Activities, ConnectorError> {
        self.cfg.api.get(path).send_json()
    }

    /// Adds a comment to a work package; returns its activity.
    pub fn add_comment(&self, wp: &str, raw: &str) -> Result<Activity, ConnectorError> {
        check_id(wp)?;
        let body = serde_json::json!({"comment": {"raw": raw}});
        let path = format!("work_packages/{wp}/activities");
        self.cfg.api.post(&path).json(&body)?.send()?.json()
    }

    /// Replaces the comment of an activity; returns it.
    pub fn edit_comment(&self, activity: &str, raw: &str) -> Result<Activity, ConnectorError> {
        check_id(activity)?;
        let body = serde_json::json!({"comment": {"raw": raw}});
        let path = format!("activities/{activity}");
        self.cfg.api.patch(&path).json(&body)?.send()?.json()
    }

    pub fn delete_work_package(&self, id: &str) -> Result<(), ConnectorError> {
        check_id(id)?;
        self.cfg
            .api
            .delete(&format!("work_packages/{id}"))
            .send()
            .map(|_| ())
    }
}
