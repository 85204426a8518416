//! How the engine reads a connector's refusal of a write: a `conflict` whose message starts
//! `invalid_transition:` is a state the platform's workflow cannot reach (recorded as an
//! `invalid_transition` conflict); any other `conflict` is an optimistic-locking failure
//! (the platform changed since it was read: re-read and re-apply); `unsupported` means the
//! platform cannot hold that kind of item under this config (nothing to push).

use elder_sync_model::ConnectorError;

use crate::error::EngineError;

/// The message prefix connectors use for a transition the workflow refuses.
pub const INVALID_TRANSITION: &str = "invalid_transition:";

/// True when the platform refused a state change its workflow cannot make.
pub fn is_invalid_transition(e: &EngineError) -> bool {
    matches!(e.connector_error(), Some(ConnectorError::Conflict(m)) if m.starts_with(INVALID_TRANSITION))
}

/// True when the write met a newer version on the platform (e.g. a stale `lockVersion`).
pub fn is_lock_conflict(e: &EngineError) -> bool {
    matches!(e.connector_error(), Some(ConnectorError::Conflict(m)) if !m.starts_with(INVALID_TRANSITION))
}

/// True when the connector cannot write this kind of item under this config.
pub fn is_unsupported(e: &EngineError) -> bool {
    matches!(e.connector_error(), Some(ConnectorError::Unsupported(_)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use elder_sync_runtime::CallError;

    fn err(e: ConnectorError) -> EngineError {
        EngineError::Call(CallError::Connector(e))
    }

    #[test]
    fn conflicts_are_told_apart_by_their_message() {
        let t = err(ConnectorError::Conflict(
            "invalid_transition: Won't do requires resolution".into(),
        ));
        assert!(is_invalid_transition(&t) && !is_lock_conflict(&t));
        let l = err(ConnectorError::Conflict("lockVersion 3, not 2".into()));
        assert!(is_lock_conflict(&l) && !is_invalid_transition(&l));
        let u = err(ConnectorError::Unsupported("epics need a group".into()));
        assert!(is_unsupported(&u) && !is_lock_conflict(&u));
        assert!(!is_lock_conflict(&EngineError::Invalid("x".into())));
    }
}
