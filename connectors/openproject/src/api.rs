//! OpenProject API v3 calls through the SDK's HTTP client (the host adds Basic
//! `apikey:<key>`); collections are read page by page with 1-based `offset`.

use elder_connector_sdk::ConnectorError;
use elder_connector_sdk::http::{Request, Response};
use elder_connector_sdk::pagination::next_offset;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::config::OpConfig;
use crate::model::{Category, Collection, Project, Status, Version, WorkPackage};

/// Page size for collections read whole.
const WHOLE_PAGE: u32 = 100;

fn send(req: Request) -> Result<Response, ConnectorError> {
    req.header("Accept", "application/hal+json").send()
}

fn get<T: DeserializeOwned>(req: Request) -> Result<T, ConnectorError> {
    send(req)?.json()
}

/// The OpenProject client for one configuration.
pub struct Api<'a> {
    pub cfg: &'a OpConfig,
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
    pub fn new(cfg: &'a OpConfig) -> Api<'a> {
        Api { cfg }
    }

    fn project_path(&self, tail: &str) -> String {
        self.cfg
            .api(&format!("projects/{}{tail}", self.cfg.project_id))
    }

    /// Every element of a collection, following `offset` pages.
    fn all<T: DeserializeOwned>(&self, url: &str) -> Result<Vec<T>, ConnectorError> {
        let mut out = Vec::new();
        let mut offset = 1;
        loop {
            let page: Collection<T> = get(Request::get(url)
                .query("offset", offset)
                .query("pageSize", WHOLE_PAGE))?;
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
        self.all(&self.cfg.api("statuses"))
    }

    pub fn project(&self) -> Result<Project, ConnectorError> {
        get(Request::get(self.project_path("")))
    }

    pub fn update_project(&self, body: &Value) -> Result<Project, ConnectorError> {
        send(Request::patch(self.project_path("")).json(body)?)?.json()
    }

    pub fn categories(&self) -> Result<Vec<Category>, ConnectorError> {
        self.all(&self.project_path("/categories"))
    }

    pub fn category(&self, id: &str) -> Result<Category, ConnectorError> {
        check_id(id)?;
        get(Request::get(self.cfg.api(&format!("categories/{id}"))))
    }

    pub fn versions(&self) -> Result<Vec<Version>, ConnectorError> {
        self.all(&self.project_path("/versions"))
    }

    pub fn version(&self, id: &str) -> Result<Version, ConnectorError> {
        check_id(id)?;
        get(Request::get(self.cfg.api(&format!("versions/{id}"))))
    }

    pub fn create_version(&self, body: &Value) -> Result<Version, ConnectorError> {
        send(Request::post(self.cfg.api("versions")).json(body)?)?.json()
    }

    pub fn update_version(&self, id: &str, body: &Value) -> Result<Version, ConnectorError> {
        check_id(id)?;
        send(Request::patch(self.cfg.api(&format!("versions/{id}"))).json(body)?)?.json()
    }

    pub fn delete_version(&self, id: &str) -> Result<(), ConnectorError> {
        check_id(id)?;
        send(Request::delete(self.cfg.api(&format!("versions/{id}")))).map(|_| ())
    }

    /// One page of the project's work packages matching `filters`, oldest update first.
    pub fn work_packages(
        &self,
        filters: &Value,
        offset: u32,
        page_size: u32,
    ) -> Result<Collection<WorkPackage>, ConnectorError> {
        let req = Request::get(self.project_path("/work_packages"))
            .query("filters", filters.to_string())
            .query("sortBy", r#"[["updatedAt","asc"],["id","asc"]]"#)
            .query("offset", offset)
            .query("pageSize", page_size);
        get(req)
    }

    pub fn work_package(&self, id: &str) -> Result<WorkPackage, ConnectorError> {
        check_id(id)?;
        get(Request::get(self.cfg.api(&format!("work_packages/{id}"))))
    }

    pub fn create_work_package(&self, body: &Value) -> Result<WorkPackage, ConnectorError> {
        send(Request::post(self.project_path("/work_packages")).json(body)?)?.json()
    }

    /// PATCH with the body's `lockVersion`; a stale one answers 409, mapped to `conflict`.
    pub fn update_work_package(
        &self,
        id: &str,
        body: &Value,
    ) -> Result<WorkPackage, ConnectorError> {
        check_id(id)?;
        send(Request::patch(self.cfg.api(&format!("work_packages/{id}"))).json(body)?)?.json()
    }

    pub fn delete_work_package(&self, id: &str) -> Result<(), ConnectorError> {
        check_id(id)?;
        send(Request::delete(
            self.cfg.api(&format!("work_packages/{id}")),
        ))
        .map(|_| ())
    }
}
