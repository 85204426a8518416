//! Elder Sync connector for GitLab. (being written)
