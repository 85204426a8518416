//! Opening the database (SQLite or PostgreSQL through sqlx's `Any` driver), applying the
//! migrations, and a tiny SQL builder with portable `$n` placeholders.

use sqlx::any::{AnyArguments, AnyPoolOptions};
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Executor};

use crate::error::{Result, StoreError};

/// Which engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite (a file, or in memory for tests).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// Normalises a database URL: a bare path means a SQLite file (created if missing).
pub fn normalise_url(url: &str) -> Result<(Backend, String)> {
    let url = url.trim();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_string()));
    }
    if url.starts_with("sqlite:") {
        return Ok((Backend::Sqlite, url.to_string()));
    }
    if url.is_empty() || url.contains("://") {
        return Err(StoreError::UnsupportedUrl(redact_url(url)));
    }
    Ok((Backend::Sqlite, format!("sqlite://{url}?mode=rwc")))
}

/// A URL with any password removed, for error messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_string(),
    }
}

/// Connects and applies the migrations of the engine.
pub async fn connect(url: &str, max_connections: u32) -> Result<(Backend, AnyPool)> {
    sqlx::any::install_default_drivers();
    let (backend, url) = normalise_url(url)?;
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let max = if backend == Backend::Sqlite && in_memory {
        1
    } else {
        max_connections.max(1)
    };
    let pool = AnyPoolOptions::new()
        .max_connections(max)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                }
                Ok(())
            })
        })
        .connect(&url)
        .await?;
    migrator(backend).run(&pool).await?;
    Ok((backend, pool))
}

/// The migrations embedded for `backend` (from `migrations/<engine>`).
pub(crate) fn migrator(backend: Backend) -> sqlx::migrate::Migrator {
    match backend {
        Backend::Sqlite => sqlx::migrate!("../../migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("../../migrations/postgres"),
    }
}

/// Reads a boolean column: BOOLEAN on PostgreSQL, INTEGER 0/1 on SQLite (the `Any` driver
/// does not decode SQLite booleans).
pub(crate) fn get_bool(r: &sqlx::any::AnyRow, col: &str) -> Result<bool> {
    use sqlx::Row;
    match r.try_get::<bool, _>(col) {
        Ok(b) => Ok(b),
        Err(_) => Ok(r.try_get::<i64, _>(col)? != 0),
    }
}

/// One bind value.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    I64(Option<i64>),
    Text(Option<String>),
    Bool(bool),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::I64(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::I64(v)
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}

/// SQL text plus its binds; `bind` writes the next `$n` placeholder.
#[derive(Debug, Default, Clone)]
pub(crate) struct Sql {
    pub text: String,
    args: Vec<Arg>,
}

/// Rows one multi-row `INSERT` writes at most: 200 rows of up to 14 values stay well under
/// both engines' bind-parameter limits (SQLite 32,766, PostgreSQL 65,535).
pub(crate) const ROWS_PER_STATEMENT: usize = 200;

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    pub fn bind(&mut self, arg: impl Into<Arg>) -> &mut Self {
        self.args.push(arg.into());
        self.text.push_str(&format!("${}", self.args.len()));
        self
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut q = sqlx::query(&self.text);
        for a in &self.args {
            q = match a {
                Arg::I64(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
                Arg::Bool(v) => q.bind(*v),
            };
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_engine() {
        assert_eq!(
            normalise_url("postgres://u@h/db").unwrap().0,
            Backend::Postgres
        );
        assert_eq!(
            normalise_url("sqlite://x.db?mode=rwc").unwrap().0,
            Backend::Sqlite
        );
        let (b, u) = normalise_url("/data/x.db").unwrap();
        assert_eq!(
            (b, u.as_str()),
            (Backend::Sqlite, "sqlite:///data/x.db?mode=rwc")
        );
        let err = normalise_url("mysql://u:pw@h/db").unwrap_err().to_string();
        assert!(err.contains("mysql") && !err.contains("pw"), "{err}");
    }

    #[test]
    fn binds_number_placeholders() {
        let mut s = Sql::new("SELECT 1 WHERE a = ");
        s.bind(1i64).push(" AND b = ").bind("x");
        assert_eq!(s.text, "SELECT 1 WHERE a = $1 AND b = $2");
    }
}
