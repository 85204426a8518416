//! Invalid transitions: a state or status change the receiving side cannot make is held
//! back, and the merged item keeps the receiver's value for it.

use elder_sync_model::Item;

use super::capabilities::Capabilities;
use super::fields::Field;
use super::types::Side;

/// The (receiving side, field) pairs `merged` asks for that the receiver cannot do.
pub(crate) fn blocked(
    merged: &Item,
    side: Side,
    item: &Item,
    caps: &Capabilities,
) -> Vec<(Side, Field)> {
    let mut out = Vec::new();
    if merged.state != item.state && !caps.allows_state(item.state, merged.state) {
        out.push((side, Field::State));
    }
    if let Some(status) = &merged.status_name {
        let wanted = caps.has_status_names && item.status_name.as_ref() != Some(status);
        if wanted && !caps.allows_status(status) {
            out.push((side, Field::StatusName));
        }
    }
    out
}

/// Puts the receiver's own value back into `merged` for each held field.
pub(crate) fn hold(merged: &mut Item, held: &[(Side, Field)], elder: &Item, external: &Item) {
    for (side, field) in held {
        let receiver = match side {
            Side::Elder => elder,
            Side::External => external,
        };
        match field {
            Field::State => merged.state = receiver.state,
            Field::StatusName => merged.status_name = receiver.status_name.clone(),
            _ => {}
        }
    }
}
