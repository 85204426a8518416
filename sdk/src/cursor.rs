//! Generic cursors: any serde type round-trips through the opaque cursor text the host
//! stores, and a cursor the connector cannot read is `invalid-input`, never a panic.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ConnectorError;

/// The cursor text of `state` (compact JSON).
pub fn encode<T: Serialize>(state: &T) -> String {
    serde_json::to_string(state).unwrap_or_else(|_| "null".into())
}

/// The state in `cursor`, or `None` when there is none yet (first sync).
pub fn decode<T: DeserializeOwned>(cursor: Option<&str>) -> Result<Option<T>, ConnectorError> {
    match cursor.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => serde_json::from_str(c)
            .map(Some)
            .map_err(|e| ConnectorError::invalid_input(format!("unreadable cursor {c:?}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct State {
        since: i64,
        page: u32,
    }

    #[test]
    fn round_trips_and_refuses_garbage() {
        let text = encode(&State { since: 5, page: 2 });
        assert_eq!(
            decode::<State>(Some(&text)).unwrap(),
            Some(State { since: 5, page: 2 })
        );
        assert_eq!(decode::<State>(None).unwrap(), None);
        assert_eq!(decode::<State>(Some(" ")).unwrap(), None);
        assert!(matches!(
            decode::<State>(Some("page=2")),
            Err(ConnectorError::InvalidInput(m)) if m.contains("page=2")
        ));
    }
}
