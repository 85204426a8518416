//! API tokens: created with a role, shown once in plaintext, stored as a SHA-256 hash.

use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;
use utoipa::ToSchema;

use crate::Store;
use crate::db::get_bool;
use crate::error::{Result, StoreError};
use crate::time::{from_ms, from_ms_opt, now_ms};

/// Prefix of every token, to make them recognisable (e.g. by secret scanners).
pub const TOKEN_PREFIX: &str = "est_";

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Role {
    /// GET requests only.
    #[serde(rename = "read-only")]
    ReadOnly,
    /// Everything.
    #[serde(rename = "admin")]
    Admin,
}

impl Role {
    /// The name stored in `api_tokens.role` and shown by the API (`read-only`, `admin`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ReadOnly => "read-only",
            Role::Admin => "admin",
        }
    }

    /// Parses `read-only` or `admin`.
    pub fn parse(s: &str) -> Result<Role> {
        match s {
            "read-only" | "readonly" | "read_only" => Ok(Role::ReadOnly),
            "admin" => Ok(Role::Admin),
            _ => Err(StoreError::invalid("role", "must be read-only or admin")),
        }
    }
}

/// A stored token (never its plaintext).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiToken {
    /// Row id of the token (`api_tokens.id`).
    pub id: i64,
    /// What the token may do.
    pub role: Role,
    /// When the token was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When the token was last presented (UTC); `None`: never used.
    pub last_used_at: Option<DateTime<Utc>>,
    /// True once revoked: the token is refused.
    pub revoked: bool,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Store {
    /// Creates a token and returns it with its plaintext, which is not stored anywhere.
    pub async fn create_token(&self, role: Role) -> Result<(ApiToken, String)> {
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let plain = format!("{TOKEN_PREFIX}{}", hex::encode(raw));
        let row = sqlx::query(
            "INSERT INTO api_tokens (token_hash, role, created_at) VALUES ($1, $2, $3) RETURNING *",
        )
        .bind(hash(&plain))
        .bind(role.as_str())
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await?;
        Ok((token_from_row(&row)?, plain))
    }

    /// The role of a valid, unrevoked token; `None` for anything else.
    pub async fn verify_token(&self, plain: &str) -> Result<Option<Role>> {
        Ok(self.authenticate(plain).await?.map(|t| t.role))
    }

    /// The stored token matching a valid, unrevoked plaintext; `None` for anything else.
    pub async fn authenticate(&self, plain: &str) -> Result<Option<ApiToken>> {
        if !plain.starts_with(TOKEN_PREFIX) || plain.len() > 200 {
            return Ok(None);
        }
        let row = sqlx::query("SELECT * FROM api_tokens WHERE token_hash = $1 AND revoked = $2")
            .bind(hash(plain))
            .bind(false)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    /// Token `id` while it is unrevoked; `None` once revoked or unknown (the console checks
    /// a signed-in session's token with it on every request).
    pub async fn active_token(&self, id: i64) -> Result<Option<ApiToken>> {
        let row = sqlx::query("SELECT * FROM api_tokens WHERE id = $1 AND revoked = $2")
            .bind(id)
            .bind(false)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    /// All tokens (without plaintext), by id.
    pub async fn list_tokens(&self) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query("SELECT * FROM api_tokens ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(token_from_row).collect()
    }

    /// Revokes a token by id.
    pub async fn revoke_token(&self, id: i64) -> Result<()> {
        let done = sqlx::query("UPDATE api_tokens SET revoked = $1 WHERE id = $2")
            .bind(true)
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("token {id}")));
        }
        Ok(())
    }
}

fn token_from_row(r: &AnyRow) -> Result<ApiToken> {
    let role: String = r.try_get("role")?;
    Ok(ApiToken {
        id: r.try_get("id")?,
        role: Role::parse(&role).map_err(|_| StoreError::Corrupt(format!("role {role}")))?,
        created_at: from_ms(r.try_get("created_at")?)?,
        last_used_at: from_ms_opt(r.try_get("last_used_at")?)?,
        revoked: get_bool(r, "revoked")?,
    })
}
