//! Batched import of platform items (a page of a first import): the mappings of a page's
//! external ids in one query, and a page's new Elder resources created together with their
//! mappings and `create` outbox rows in one transaction.

use std::collections::{HashMap, HashSet};

use elder_sync_model::Kind;

use crate::Store;
use crate::db::{Backend, Sql};
use crate::error::Result;
use crate::mappings::{Mapping, MappingUpsert, mapping_from_row, upsert_mappings_on};
use crate::outbox::{Enqueued, OutboxOperation, enqueue_many};
use crate::resources::{NewResource, check_reference_ids, insert_resource_row, references_of};

impl Store {
    /// Refreshes the planner's statistics of the tables a first import grows (PostgreSQL;
    /// nothing on SQLite, whose planner needs none to use an index). Without it a server
    /// with autovacuum off, or not yet round, keeps the plans it cached for an empty
    /// table: sequential scans of `sync_mappings` that grow with every page (a 100k import
    /// fell from ~1,300 to ~250 items/s). `ANALYZE` also drops those cached plans.
    pub async fn refresh_import_statistics(&self, kind: Kind) -> Result<()> {
        if self.backend() != Backend::Postgres {
            return Ok(());
        }
        let sql = format!(
            "ANALYZE sync_mappings, outbox, {}",
            crate::resources::table(kind)
        );
        sqlx::query(&sql).execute(&self.pool).await?;
        Ok(())
    }

    /// The mappings under `config_id` of the items of `kind` whose external ids are in
    /// `external_ids`, by external id (ids without a mapping are absent).
    pub async fn mappings_by_external(
        &self,
        config_id: i64,
        kind: Kind,
        external_ids: &[&str],
    ) -> Result<HashMap<String, Mapping>> {
        let mut out = HashMap::new();
        if external_ids.is_empty() {
            return Ok(out);
        }
        let mut sql = Sql::new("SELECT * FROM sync_mappings WHERE sync_config_id = ");
        sql.bind(config_id)
            .push(" AND elder_type = ")
            .bind(kind.as_str())
            .push(" AND external_id IN (");
        for (i, id) in external_ids.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(*id);
        }
        sql.push(")");
        for row in sql.query().fetch_all(&self.pool).await? {
            let m = mapping_from_row(&row)?;
            out.insert(m.external_id.clone(), m);
        }
        Ok(out)
    }

    /// Creates resources of `kind` that came from a platform, each with its sync mapping
    /// (whose `elder_id` is set to the new resource's id) and `create` outbox row, all in
    /// one transaction: either every item of the batch is imported or none is. Round trips
    /// per page, not per item, where the rows need nothing back: each resource is inserted
    /// on its own (its id comes back), the distinct milestones and projects they point at
    /// are checked once, and the outbox rows and mappings are written in multi-row inserts.
    pub async fn create_resources_mapped(
        &self,
        kind: Kind,
        items: &[(NewResource, MappingUpsert)],
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let mut created = Vec::with_capacity(items.len());
        let mut references = HashSet::new();
        for (new, _) in items {
            created.push(insert_resource_row(&mut tx, kind, new).await?);
            references.insert(references_of(new));
        }
        for pair in references {
            check_reference_ids(&mut tx, pair).await?;
        }
        let snapshots = created
            .iter()
            .map(serde_json::to_value)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let outbox: Vec<Enqueued<'_>> = created
            .iter()
            .zip(&snapshots)
            .map(|(res, snapshot)| Enqueued {
                kind: res.kind,
                id: res.id,
                version: res.version,
                snapshot,
            })
            .collect();
        enqueue_many(&mut tx, &outbox, OutboxOperation::Create).await?;
        let mappings: Vec<MappingUpsert> = created
            .iter()
            .zip(items)
            .map(|(res, (_, mapping))| MappingUpsert {
                elder_type: kind,
                elder_id: res.id,
                elder_updated_at: Some(res.updated_at),
                ..mapping.clone()
            })
            .collect();
        upsert_mappings_on(&mut tx, &mappings).await?;
        tx.commit().await?;
        Ok(())
    }
}
