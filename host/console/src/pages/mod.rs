//! The console's pages, one module per section; each owns its routes and form actions.

pub mod configs;
pub mod conflicts;
pub mod dashboard;
pub mod dead_letters;
pub mod history;
pub mod plugins;
pub mod sign_in;

mod config_form;
