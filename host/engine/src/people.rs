//! Assignees between Elder and a platform through the installation's identity table. Elder
//! holds an identity's handle; a platform holds that person's login or account id there.
//!
//! Coming in, a login no identity holds is linked to an existing identity when exactly one
//! identity without an account on that platform matches it case-insensitively: a login it
//! has on another platform equal to this login, or its email equal to this login (or to the
//! email the platform exposed for it). Otherwise the login is recorded as a new identity
//! holding that one account (its handle is the login when free), so Elder always knows
//! which platform a name came from. Going out, a handle whose identity has no account on
//! the target platform is skipped (the caller notes it in history); a name that is no
//! identity's handle is passed on as it is (typed in Elder, as before identities).

use std::collections::HashMap;

use elder_sync_store::Identity;

use crate::engine::SyncEngine;
use crate::error::EngineError;

/// Elder's assignees as `platform` names them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OnPlatform {
    /// The names to send, in Elder's order.
    pub assignees: Vec<String>,
    /// Elder handles whose identity has no account on the platform.
    pub skipped: Vec<String>,
}

/// Translates Elder's `assignees` for `platform`.
pub async fn to_platform(
    engine: &SyncEngine,
    platform: &str,
    assignees: &[String],
) -> Result<OnPlatform, EngineError> {
    let mut out = OnPlatform::default();
    for name in assignees {
        match engine.store.identity_by_handle(name).await? {
            Some(person) => match person.login_on(platform) {
                Some(login) => push_new(&mut out.assignees, login),
                None => push_new(&mut out.skipped, name),
            },
            None => push_new(&mut out.assignees, name),
        }
    }
    Ok(out)
}

/// Translates `platform`'s `logins` into Elder handles, linking or recording the people
/// first seen (see the module doc).
pub async fn to_elder(
    engine: &SyncEngine,
    platform: &str,
    logins: &[String],
) -> Result<Vec<String>, EngineError> {
    HandleMemo::default()
        .to_elder(engine, platform, logins)
        .await
}

/// Logins already translated into Elder handles during one page's import: a page of 100
/// issues assigned to a few people asks the identity table once per person, not per issue.
#[derive(Debug, Default)]
pub struct HandleMemo(HashMap<String, String>);

impl HandleMemo {
    /// [`to_elder`], remembering each login's handle for the rest of the page.
    pub async fn to_elder(
        &mut self,
        engine: &SyncEngine,
        platform: &str,
        logins: &[String],
    ) -> Result<Vec<String>, EngineError> {
        let mut out = Vec::with_capacity(logins.len());
        for login in logins {
            let handle = match self.0.get(login) {
                Some(handle) => handle.clone(),
                None => {
                    let handle = person_for(engine, platform, login).await?.handle;
                    self.0.insert(login.clone(), handle.clone());
                    handle
                }
            };
            push_new(&mut out, &handle);
        }
        Ok(out)
    }
}

/// A platform's new assignee set in Elder's terms, keeping the Elder assignees the
/// platform cannot see (people without an account there): it cannot have removed them.
pub async fn merged_into_elder(
    engine: &SyncEngine,
    platform: &str,
    logins: &[String],
    current: &[String],
) -> Result<Vec<String>, EngineError> {
    let mut out = to_elder(engine, platform, logins).await?;
    for hidden in to_platform(engine, platform, current).await?.skipped {
        push_new(&mut out, &hidden);
    }
    Ok(out)
}

/// The identity holding `login` on `platform`, linked or recorded when there is none.
async fn person_for(
    engine: &SyncEngine,
    platform: &str,
    login: &str,
) -> Result<Identity, EngineError> {
    if let Some(person) = engine.store.identity_by_account(platform, login).await? {
        return Ok(person);
    }
    let matches = engine
        .store
        .identities_matching(platform, login, None)
        .await?;
    if let [person] = matches.as_slice()
        && engine
            .store
            .link_account(person.id, platform, login)
            .await?
    {
        tracing::info!(platform, login, identity = person.id, handle = %person.handle, "an assignee's login matched an identity: linked");
        return Ok(engine.store.get_identity(person.id).await?);
    }
    if matches.len() > 1 {
        tracing::info!(
            platform,
            login,
            candidates = matches.len(),
            "an assignee's login matches several identities: none is linked"
        );
    }
    Ok(engine.store.record_seen_person(platform, login).await?)
}

fn push_new(list: &mut Vec<String>, name: &str) {
    if !list.iter().any(|n| n == name) {
        list.push(name.to_string());
    }
}
