//! Stateful simulators of the platforms Elder Sync connects, for tests and benchmarks
//! (the five built-ins, plus Tinytracker, a small third-party tracker for plugin tests).
//!
//! Each module serves one platform's REST API on a loopback port, as the platform
//! documents it (see `shared/docs/platform-facts.md`): pagination, auth checks,
//! rate-limit answers on demand, optimistic locking, odd timestamp formats, and
//! signed webhooks emitted on change. A simulator is never easier than the real API.

pub mod server;

pub mod github;
pub mod gitlab;
pub mod jira;
pub mod openproject;
pub mod tinytracker;
pub mod trello;
