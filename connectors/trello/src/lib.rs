//! Elder Sync connector for Trello. (being written)
