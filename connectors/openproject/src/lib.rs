//! Elder Sync connector for OpenProject. (being written)
