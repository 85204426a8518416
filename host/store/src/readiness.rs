//! Readiness of the database for `/readyz`: reachable, and every migration this build
//! embeds applied successfully (a database left behind by a failed or partial migration,
//! or one another build migrated differently, is not ready).

use sqlx::Row;

use crate::Store;
use crate::db::migrator;
use crate::error::{Result, StoreError};

impl Store {
    /// `Ok` when the database answers and holds every embedded migration, applied
    /// successfully; otherwise an error saying which check failed.
    pub async fn readiness(&self) -> Result<()> {
        let rows = sqlx::query(
            "SELECT version, CASE WHEN success THEN 1 ELSE 0 END AS ok FROM _sqlx_migrations",
        )
        .fetch_all(self.pool())
        .await?;
        let mut applied = std::collections::BTreeSet::new();
        for row in &rows {
            let version: i64 = row.try_get("version")?;
            let ok: i64 = row.try_get("ok")?;
            if ok == 1 {
                applied.insert(version);
            }
        }
        let missing: Vec<String> = migrator(self.backend())
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .map(|m| format!("{} ({})", m.version, m.description))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Corrupt(format!(
                "migrations not applied: {}",
                missing.join(", ")
            )))
        }
    }
}
