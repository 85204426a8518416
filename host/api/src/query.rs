//! Query-string shapes of the list endpoints (documented as `in: query` parameters from the
//! same structs), and their conversion to store filters.

use elder_sync_model::Kind;
use elder_sync_store::{PageRequest, ResourceFilter, ResourceStatus, WorkQueue};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

use elder_sync_http::{ApiError, ApiResult};

/// The largest page number: pages are 32-bit signed integers in the document and in answers.
pub const MAX_PAGE: u32 = i32::MAX as u32;

/// `page` (from 1) and `per_page` (1 to 100, default 20).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Pagination {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, maximum = 2147483647, format = Int32)]
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, format = Int32)]
    pub per_page: Option<u32>,
}

impl Pagination {
    pub fn request(&self) -> ApiResult<PageRequest> {
        if self.page.is_some_and(|p| p > MAX_PAGE) {
            return Err(ApiError::validation(
                "page",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
        PageRequest::new(self.page, self.per_page).map_err(ApiError::from)
    }
}

/// `GET /api/v1/sync/history` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, maximum = 2147483647, format = Int32)]
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, format = Int32)]
    pub per_page: Option<u32>,
    /// Only runs of this config.
    pub config_id: Option<i64>,
    /// e.g. webhook, poll, batch, manual
    pub sync_type: Option<String>,
    /// Only successful (`true`) or failed (`false`) runs.
    pub success: Option<bool>,
}

/// `GET /api/v1/sync/conflicts` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConflictQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, maximum = 2147483647, format = Int32)]
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, format = Int32)]
    pub per_page: Option<u32>,
    /// true: resolved only; false: unresolved only; absent: all.
    pub resolved: Option<bool>,
}

/// `GET /api/v1/sync/dead-letters` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, maximum = 2147483647, format = Int32)]
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, format = Int32)]
    pub per_page: Option<u32>,
    /// Only work of this config.
    pub config_id: Option<i64>,
    /// `inbox` (webhook deliveries) or `outbox` (Elder changes).
    pub source: Option<WorkQueue>,
}

/// `GET /api/v1/sync/mappings` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MappingQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, maximum = 2147483647, format = Int32)]
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, format = Int32)]
    pub per_page: Option<u32>,
    /// Only mappings of this config.
    pub config_id: Option<i64>,
    /// issue | project | milestone | label
    #[param(schema_with = kind_schema)]
    pub elder_type: Option<Kind>,
}

/// The kinds as the query string spells them.
fn kind_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(Kind::ALL.map(Kind::as_str)))
        .build()
}

/// Resource list parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ResourceQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, maximum = 2147483647, format = Int32)]
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, format = Int32)]
    pub per_page: Option<u32>,
    /// open | closed
    pub status: Option<ResourceStatus>,
    /// In this project.
    pub project_id: Option<i64>,
    /// In this milestone.
    pub milestone_id: Option<i64>,
    /// Has this label.
    pub label: Option<String>,
    /// Has this assignee.
    pub assignee: Option<String>,
    /// Title contains (case-insensitive).
    pub q: Option<String>,
}

impl ResourceQuery {
    pub fn filter(&self) -> ResourceFilter {
        ResourceFilter {
            status: self.status,
            project_id: self.project_id,
            milestone_id: self.milestone_id,
            label: self.label.clone(),
            assignee: self.assignee.clone(),
            q: self.q.clone(),
        }
    }
}

/// Page request from optional numbers.
pub fn page(page: Option<u32>, per_page: Option<u32>) -> ApiResult<PageRequest> {
    Pagination { page, per_page }.request()
}
