//! The Elder Sync service and its CLI. (being written)
fn main() {}
