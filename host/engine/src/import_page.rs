//! The fast path of a poll page (a first import above all): the page's mappings are read in
//! one query, and its items that no mapping knows are imported into Elder together, each
//! with its mapping, base and `create` outbox row, in one transaction. What this path does
//! not decide (mapped items, our own creates coming back, an item listed twice, a batch the
//! store refuses) goes to the one-by-one path (`plan`, `apply`), whose decision for those
//! items is the same: an unmapped item without a reservation is imported.

use std::collections::{HashMap, HashSet};

use elder_sync_model::{Item, Kind};
use elder_sync_store::{MappingUpsert, NewResource, ResolvedConfig, SyncMethod, has_reservations};

use crate::apply::Applied;
use crate::convert::{comparable, fingerprint};
use crate::engine::SyncEngine;
use crate::error::EngineError;
use crate::mapping_write::mapping_upsert;
use crate::poll::count;
use crate::run::Tally;
use crate::sides::elder_milestone_of;

/// Imports the items of `items` (one page of `kind`) that have no mapping under the config,
/// in one transaction, and counts them in `tally`; returns the items left to the
/// one-by-one path, in page order.
pub(crate) async fn import_unmapped<'a>(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    kind: Kind,
    items: &'a [Item],
    method: SyncMethod,
    tally: &mut Tally,
) -> Result<Vec<&'a Item>, EngineError> {
    if items.is_empty() || has_reservations(&engine.store, rc.config.id, kind).await? {
        return Ok(items.iter().collect());
    }
    let ids: Vec<&str> = items.iter().map(|i| i.external_id.as_str()).collect();
    let mapped = engine
        .store
        .mappings_by_external(rc.config.id, kind, &ids)
        .await?;
    let mut seen = HashSet::new();
    let (fresh, mut rest): (Vec<&Item>, Vec<&Item>) = items.iter().partition(|i| {
        i.kind == kind && !mapped.contains_key(&i.external_id) && seen.insert(&i.external_id)
    });
    if fresh.is_empty() {
        return Ok(rest);
    }
    let rows = import_rows(engine, rc, &fresh, method).await?;
    match engine.store.create_resources_mapped(kind, &rows).await {
        Ok(()) => {
            let before = tally.synced;
            for item in &fresh {
                count(Ok(Applied::Created), tally, kind, &item.external_id);
            }
            if statistics_due(before, tally.synced) {
                // Not fatal: the import goes on, only slower.
                if let Err(e) = engine.store.refresh_import_statistics(kind).await {
                    tracing::warn!(error = %e, "refreshing the planner's statistics failed");
                }
            }
            Ok(rest)
        }
        Err(e) => {
            // One bad item (e.g. a title Elder refuses) must not cost the others: each is
            // tried on its own, and only the bad one fails.
            tracing::debug!(error = %e, "batched import refused: items imported one by one");
            let mut all: Vec<&Item> = fresh;
            all.append(&mut rest);
            Ok(all)
        }
    }
}

/// Whether a run that has synced `after` items (`before` until this page) should refresh
/// the database's statistics: when it passes 1,024 and each doubling after, so the tables'
/// growth is known to the planner a few times per import, never per page.
fn statistics_due(before: i64, after: i64) -> bool {
    const FIRST: i64 = 1024;
    after >= FIRST && (before < FIRST || (before as u64).ilog2() != (after as u64).ilog2())
}

/// The resource and mapping of each new item, milestones and people resolved once per page.
async fn import_rows(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    fresh: &[&Item],
    method: SyncMethod,
) -> Result<Vec<(NewResource, MappingUpsert)>, EngineError> {
    let mut milestones: HashMap<&str, Option<i64>> = HashMap::new();
    let mut people = crate::people::HandleMemo::default();
    let mut rows = Vec::with_capacity(fresh.len());
    for item in fresh {
        let milestone = match item.milestone_ref.as_deref() {
            None => None,
            Some(ext) => match milestones.get(ext) {
                Some(m) => *m,
                None => {
                    let m = elder_milestone_of(engine, rc.config.id, Some(ext)).await?;
                    milestones.insert(ext, m);
                    m
                }
            },
        };
        let base = comparable(item);
        let print = fingerprint(&base);
        // In Elder's terms, as the one-by-one path writes it: statuses through the
        // config's status map, assignees through the identity table.
        let assignees = people
            .to_elder(engine, rc.config.platform.as_str(), &base.assignees)
            .await?;
        let new = crate::terms::new_resource_with(rc, &base, milestone, assignees);
        rows.push((
            new,
            mapping_upsert(rc, base.kind, 0, &base, Some(print), method)?,
        ));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::statistics_due;

    #[test]
    fn statistics_are_refreshed_at_1024_and_each_doubling() {
        let due: Vec<i64> = (0..100_000i64)
            .step_by(100)
            .filter(|&b| statistics_due(b, b + 100))
            .map(|b| b + 100)
            .collect();
        assert_eq!(due, vec![1100, 2100, 4100, 8200, 16400, 32800, 65600]);
    }
}
