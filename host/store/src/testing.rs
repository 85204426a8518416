//! Test helpers (used by this crate's and the API's tests): a fresh database per test on
//! SQLite (temporary file) or PostgreSQL (a new randomly named database under
//! `ELDER_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`, dropped when the
//! helper is dropped).

use sqlx::{Connection, Executor};

/// The engine of a test database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestEngine {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A new database on the PostgreSQL server of `ELDER_TEST_POSTGRES_URL`.
    Postgres,
}

/// The PostgreSQL base URL for tests.
pub fn postgres_base_url() -> String {
    std::env::var("ELDER_TEST_POSTGRES_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A throwaway database; its URL stays valid until it is dropped (so tests can reopen it).
#[derive(Debug)]
pub struct TestDb {
    /// The database URL to open the store with.
    pub url: String,
    /// Which engine the database runs on.
    pub engine: TestEngine,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

fn with_database(base: &str, name: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h, format!("?{q}")),
        None => (base, String::new()),
    };
    let scheme_end = head.find("://").map_or(0, |i| i + 3);
    let prefix = match head[scheme_end..].find('/') {
        Some(i) => &head[..scheme_end + i],
        None => head,
    };
    format!("{prefix}/{name}{query}")
}

impl TestDb {
    /// A fresh database on `engine`. Panics when PostgreSQL is unreachable: the PG tests must run.
    pub async fn new(engine: TestEngine) -> TestDb {
        match engine {
            TestEngine::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                TestDb {
                    url,
                    engine,
                    _dir: Some(dir),
                    pg: None,
                }
            }
            TestEngine::Postgres => {
                sqlx::any::install_default_drivers();
                let base = postgres_base_url();
                let name = format!("elder_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::AnyConnection::connect(&base)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL at {base} is required for tests: {e}"));
                conn.execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create test database");
                conn.close().await.ok();
                TestDb {
                    url: with_database(&base, &name),
                    engine,
                    _dir: None,
                    pg: Some((base, name)),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((base, name)) = self.pg.take() else {
            return;
        };
        let dropper = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok(mut conn) = sqlx::AnyConnection::connect(&base).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = conn.execute(sql.as_str()).await;
                    let _ = conn.close().await;
                }
            });
        });
        let _ = dropper.join();
    }
}

/// A fixed secret key for tests (base64 of 32 bytes).
pub fn test_secret_key() -> crate::SecretBox {
    crate::SecretBox::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").expect("test key")
}

/// Runs each `async fn case(engine: TestEngine)` of a test file on SQLite and on
/// PostgreSQL: `both_engines!(case_a, case_b);` declares a module per case with a
/// `sqlite` and a `postgres` test.
#[macro_export]
macro_rules! both_engines {
    ($($case:ident),+ $(,)?) => {
        $(
            mod $case {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$case($crate::testing::TestEngine::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$case($crate::testing::TestEngine::Postgres).await
                }
            }
        )+
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_replaces_the_path() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/test?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
    }
}
