//! Mapping reservations for Elder -> external creates. Before the connector's `create` is
//! called, the Elder resource's mapping is written with a placeholder external id
//! (`pending:<uuid>`), status `pending`, and the fingerprint of the content being
//! created. A webhook or poll that brings the new external item back before the create
//! call returns (another replica, or after a crash) finds the reservation by that
//! fingerprint and adopts it instead of creating a twin in Elder.

use crate::{Store, StoreError};
use elder_sync_model::Kind;
use sqlx::Row;

/// The placeholder prefix of a reserved mapping's external id.
pub const RESERVED_PREFIX: &str = "pending:";

/// The predicate that picks reservations, a literal so that the partial index
/// `sync_mappings_reserved` (migration 0012, the same text) serves it; a bound pattern
/// could not use it and made every page of a first import scan the config's mappings.
const RESERVED_SQL: &str = "external_id LIKE 'pending:%'";

/// True when `external_id` is a reservation's placeholder.
pub fn is_reserved(external_id: &str) -> bool {
    external_id.starts_with(RESERVED_PREFIX)
}

/// A fresh placeholder external id.
pub fn placeholder() -> String {
    format!("{RESERVED_PREFIX}{}", uuid::Uuid::new_v4())
}

/// The Elder id of the oldest reservation under `(config, kind)` whose content
/// fingerprint is `print`, if any.
pub async fn find_reservation(
    store: &Store,
    config_id: i64,
    kind: Kind,
    print: &str,
) -> Result<Option<i64>, StoreError> {
    let sql = format!(
        "SELECT elder_id FROM sync_mappings WHERE sync_config_id = $1 AND elder_type = $2 \
         AND {RESERVED_SQL} AND last_write_fingerprint = $3 ORDER BY id LIMIT 1"
    );
    let row = sqlx::query(&sql)
        .bind(config_id)
        .bind(kind.as_str())
        .bind(print.to_string())
        .fetch_optional(store.pool())
        .await?;
    Ok(match row {
        Some(r) => Some(r.try_get::<i64, _>("elder_id")?),
        None => None,
    })
}

/// True when any create under `(config, kind)` holds a reservation now (a create call in
/// flight, or one a crash interrupted): a batched import then leaves the page's new items to
/// the one-by-one path, which adopts them.
pub async fn has_reservations(
    store: &Store,
    config_id: i64,
    kind: Kind,
) -> Result<bool, StoreError> {
    let sql = format!(
        "SELECT 1 AS one FROM sync_mappings WHERE sync_config_id = $1 AND elder_type = $2 \
         AND {RESERVED_SQL} LIMIT 1"
    );
    let row = sqlx::query(&sql)
        .bind(config_id)
        .bind(kind.as_str())
        .fetch_optional(store.pool())
        .await?;
    Ok(row.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reservation_predicate_matches_the_placeholder_prefix_and_the_index() {
        assert_eq!(
            RESERVED_SQL,
            format!("external_id LIKE '{RESERVED_PREFIX}%'")
        );
        for engine in ["sqlite", "postgres"] {
            let migration = std::fs::read_to_string(format!(
                "{}/../../migrations/{engine}/0012_reservation_index.sql",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap();
            assert!(
                migration.contains(&format!("WHERE {RESERVED_SQL};")),
                "{engine}"
            );
        }
    }
}
