//! Elder Sync connector for Jira Cloud. (being written)

pub mod adf;
