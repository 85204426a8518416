//! Signed-in sessions: a random session id lives only in the operator's cookie; the server
//! keeps its SHA-256 hash with the token it was opened with, the session's CSRF token, its
//! expiry and the one message to show on the next page (the result of the last action).
//! Sessions live in memory: a restart signs everyone out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use elder_sync_store::Role;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The cookie carrying the session id.
pub const SESSION_COOKIE: &str = "elder_console";

/// A message for the next page the operator sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub ok: bool,
    pub text: String,
}

/// What a live session knows.
#[derive(Debug, Clone)]
pub struct Session {
    pub token_id: i64,
    pub role: Role,
    pub csrf: String,
    expires_at: Instant,
    notice: Option<Notice>,
}

/// The live sessions, by hash of their id.
pub struct Sessions {
    lifetime: Duration,
    live: Mutex<HashMap<String, Session>>,
}

fn random_hex() -> String {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    hex::encode(raw)
}

fn hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

impl Sessions {
    pub fn new(lifetime: Duration) -> Self {
        Self {
            lifetime,
            live: Mutex::new(HashMap::new()),
        }
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens a session for token `token_id`; the session id for the cookie (kept nowhere).
    pub fn open(&self, token_id: i64, role: Role) -> String {
        let id = random_hex();
        let now = Instant::now();
        let mut live = self.live();
        live.retain(|_, s| s.expires_at > now);
        live.insert(
            hash(&id),
            Session {
                token_id,
                role,
                csrf: random_hex(),
                expires_at: now + self.lifetime,
                notice: None,
            },
        );
        id
    }

    /// The live session with this id (an expired one is removed).
    pub fn find(&self, id: &str) -> Option<Session> {
        let key = hash(id);
        let mut live = self.live();
        match live.get(&key) {
            Some(s) if s.expires_at > Instant::now() => Some(s.clone()),
            Some(_) => {
                live.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Ends the session with this id.
    pub fn close(&self, id: &str) {
        self.live().remove(&hash(id));
    }

    /// Leaves `notice` for the session's next page.
    pub fn notify(&self, id: &str, notice: Notice) {
        if let Some(s) = self.live().get_mut(&hash(id)) {
            s.notice = Some(notice);
        }
    }

    /// Takes the message waiting for the session's next page.
    pub fn take_notice(&self, id: &str) -> Option<Notice> {
        self.live().get_mut(&hash(id)).and_then(|s| s.notice.take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_hash_of_a_session_id_is_kept() {
        let sessions = Sessions::new(Duration::from_secs(60));
        let id = sessions.open(7, Role::Admin);
        let live = sessions.live();
        assert!(!live.contains_key(&id));
        assert!(live.contains_key(&hash(&id)));
    }

    #[test]
    fn sessions_expire_and_close() {
        let sessions = Sessions::new(Duration::from_millis(1));
        let id = sessions.open(1, Role::ReadOnly);
        std::thread::sleep(Duration::from_millis(5));
        assert!(sessions.find(&id).is_none());
        let sessions = Sessions::new(Duration::from_secs(60));
        let id = sessions.open(1, Role::ReadOnly);
        assert_eq!(sessions.find(&id).map(|s| s.token_id), Some(1));
        sessions.close(&id);
        assert!(sessions.find(&id).is_none());
    }
}
