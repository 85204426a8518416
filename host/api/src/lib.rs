//! The /api/v1 REST API of Elder Sync (axum). (being written)
