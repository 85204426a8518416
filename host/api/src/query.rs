//! Query-string shapes of the list endpoints, and their conversion to store filters.

use elder_sync_model::Kind;
use elder_sync_store::{PageRequest, ResourceFilter, ResourceStatus};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ApiResult};

/// `page` (from 1) and `per_page` (1 to 100, default 20).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct Pagination {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl Pagination {
    pub fn request(&self) -> ApiResult<PageRequest> {
        PageRequest::new(self.page, self.per_page).map_err(ApiError::from)
    }
}

/// `GET /api/v1/sync/history` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    pub config_id: Option<i64>,
    /// e.g. webhook, poll, batch, manual
    pub sync_type: Option<String>,
}

/// `GET /api/v1/sync/conflicts` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ConflictQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    /// true: resolved only; false: unresolved only; absent: all.
    pub resolved: Option<bool>,
}

/// `GET /api/v1/sync/mappings` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MappingQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    pub config_id: Option<i64>,
    /// issue | project | milestone | label
    pub elder_type: Option<String>,
}

impl MappingQuery {
    pub fn kind(&self) -> ApiResult<Option<Kind>> {
        self.elder_type
            .as_deref()
            .map(|t| {
                Kind::parse(t).ok_or_else(|| {
                    ApiError::bad_request("elder_type must be issue, project, milestone or label")
                        .with_field("elder_type")
                })
            })
            .transpose()
    }
}

/// Resource list parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ResourceQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    /// open | closed
    #[param(value_type = Option<String>)]
    pub status: Option<ResourceStatus>,
    pub project_id: Option<i64>,
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
