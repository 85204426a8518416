//! Storage for Elder Sync: sqlx on SQLite and PostgreSQL, migrations, encrypted secrets. (being written)
