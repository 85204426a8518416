//! Comment authors between Elder and a platform, through the installation's identity table
//! (`crate::people` owns the translation; this applies it to one author). Coming in, the
//! platform's login becomes an identity's handle, as assignees do. Going out, the author is
//! named as the target platform knows them (their login there) or, without an account
//! there, by their display name or handle.

use crate::engine::SyncEngine;
use crate::error::EngineError;
use crate::people;

/// The Elder author of a platform comment written by `login` (display name `name`).
pub async fn author_in_elder(
    engine: &SyncEngine,
    platform: &str,
    login: &str,
    name: Option<&str>,
) -> Result<String, EngineError> {
    if login.trim().is_empty() {
        let name = name.map(str::trim).filter(|n| !n.is_empty());
        return Ok(name.unwrap_or("unknown").to_string());
    }
    let handles = people::to_elder(engine, platform, &[login.to_string()]).await?;
    Ok(handles
        .into_iter()
        .next()
        .unwrap_or_else(|| login.to_string()))
}

/// How the attribution on `platform` names Elder author `author` (a handle or a name).
pub async fn name_on(
    engine: &SyncEngine,
    platform: &str,
    author: &str,
) -> Result<String, EngineError> {
    let Some(person) = engine.store.identity_by_handle(author).await? else {
        return Ok(author.to_string());
    };
    if let Some(login) = person.login_on(platform) {
        return Ok(login.to_string());
    }
    if person.name.trim().is_empty() {
        Ok(person.handle)
    } else {
        Ok(person.name)
    }
}
