//! Pagination: a validated page request and a page of results with totals.

use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{Result, StoreError};

/// Largest page size.
pub const MAX_PER_PAGE: u32 = 100;

/// A 1-based page number and a page size (1..=100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// The page number, from 1.
    pub page: u32,
    /// Rows per page, 1 to [`MAX_PER_PAGE`].
    pub per_page: u32,
}

impl PageRequest {
    /// Validates and builds; `None` takes the defaults (page 1, 20 per page).
    pub fn new(page: Option<u32>, per_page: Option<u32>) -> Result<Self> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(20);
        if page == 0 {
            return Err(StoreError::invalid("page", "pages start at 1"));
        }
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(StoreError::invalid(
                "per_page",
                format!("must be between 1 and {MAX_PER_PAGE}"),
            ));
        }
        Ok(Self { page, per_page })
    }

    pub(crate) fn limit(self) -> i64 {
        i64::from(self.per_page)
    }

    pub(crate) fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            per_page: 20,
        }
    }
}

/// One page of results.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Paged<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// All matching rows.
    pub total: i64,
    /// This page's number, from 1.
    pub page: u32,
    /// Rows per page, as requested.
    pub per_page: u32,
    /// Number of pages (0 when nothing matches).
    pub pages: i64,
}

impl<T> Paged<T> {
    pub(crate) fn new(items: Vec<T>, total: i64, req: PageRequest) -> Self {
        let per = i64::from(req.per_page);
        Paged {
            items,
            total,
            page: req.page,
            per_page: req.per_page,
            pages: (total + per - 1) / per,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(None, Some(0)).is_err());
        assert!(PageRequest::new(None, Some(101)).is_err());
        let r = PageRequest::new(Some(3), Some(10)).unwrap();
        assert_eq!((r.limit(), r.offset()), (10, 20));
    }

    #[test]
    fn page_count_rounds_up() {
        let r = PageRequest::new(None, Some(10)).unwrap();
        assert_eq!(Paged::<i32>::new(vec![], 0, r).pages, 0);
        assert_eq!(Paged::<i32>::new(vec![], 10, r).pages, 1);
        assert_eq!(Paged::<i32>::new(vec![], 11, r).pages, 2);
    }
}
