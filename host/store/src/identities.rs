//! The installation's identity table: Elder people (a unique `handle`, what Elder's
//! `assignees` hold; a name; an email) with their login or account id on each platform
//! (`identities`, `identity_accounts`, migration 0010). The engine translates assignees
//! through it; `/api/v1/identities` edits it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use utoipa::ToSchema;

use crate::Store;
use crate::db::Sql;
use crate::error::{Result, StoreError};
use crate::page::{PageRequest, Paged};
use crate::platform::PlatformId;
use crate::serde_util::double_option;
use crate::time::{from_ms, now_ms};

/// Longest handle, name or login, in characters.
const MAX_TEXT: usize = 200;
/// Longest email, in characters.
const MAX_EMAIL: usize = 320;
/// Most platform accounts one identity holds.
const MAX_ACCOUNTS: usize = 50;

/// An Elder person and their accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Identity {
    /// Row id.
    pub id: i64,
    /// Unique; what Elder issues list in `assignees` for this person.
    pub handle: String,
    /// Display name (may be empty).
    pub name: String,
    /// Email, unique case-insensitively; `None` when unknown.
    pub email: Option<String>,
    /// The person's login or account id per platform (`{"github": "ada", "jira": "5b10..."}`).
    pub accounts: BTreeMap<String, String>,
    /// When it was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

impl Identity {
    /// This person's login on `platform`, if known.
    pub fn login_on(&self, platform: &str) -> Option<&str> {
        self.accounts.get(platform).map(String::as_str)
    }
}

/// The body of a create request.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIdentity {
    /// 1 to 200 characters, unique.
    #[schema(min_length = 1, max_length = 200)]
    pub handle: String,
    /// At most 200 characters.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub name: String,
    /// An email address (contains `@`), unique case-insensitively.
    #[serde(default)]
    pub email: Option<String>,
    /// Login or account id per platform id; a (platform, login) pair belongs to one identity.
    #[serde(default)]
    pub accounts: BTreeMap<String, String>,
}

/// The body of a PATCH: only the fields given change. In `accounts`, a platform set to a
/// login adds or replaces that account and a platform set to `null` removes it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityPatch {
    /// New handle.
    pub handle: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New email; `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// Account changes per platform.
    #[schema(value_type = Option<BTreeMap<String, Option<String>>>)]
    pub accounts: Option<BTreeMap<String, Option<String>>>,
}

fn check_text(field: &str, v: &str, min: usize) -> Result<()> {
    let n = v.chars().count();
    if (min > 0 && v.trim().is_empty()) || n > MAX_TEXT {
        return Err(StoreError::invalid(
            field,
            format!("must be {min} to {MAX_TEXT} characters"),
        ));
    }
    Ok(())
}

fn check_email(v: &str) -> Result<()> {
    let at = v.find('@');
    let ok = v.chars().count() <= MAX_EMAIL
        && !v.chars().any(char::is_whitespace)
        && at.is_some_and(|i| i > 0 && i + 1 < v.len());
    if ok {
        Ok(())
    } else {
        Err(StoreError::invalid("email", "must be an email address"))
    }
}

fn check_accounts(accounts: &BTreeMap<String, String>) -> Result<()> {
    if accounts.len() > MAX_ACCOUNTS {
        return Err(StoreError::invalid(
            "accounts",
            format!("at most {MAX_ACCOUNTS} platforms"),
        ));
    }
    for (platform, login) in accounts {
        PlatformId::parse(platform).map_err(|_| {
            StoreError::invalid(
                format!("accounts.{platform}"),
                "not a platform id (a lowercase slug like github)",
            )
        })?;
        check_text(&format!("accounts.{platform}"), login, 1)?;
    }
    Ok(())
}

/// The columns of one identity, checked.
struct Fields {
    handle: String,
    name: String,
    email: Option<String>,
    accounts: BTreeMap<String, String>,
}

impl Fields {
    fn validate(&self) -> Result<()> {
        check_text("handle", &self.handle, 1)?;
        check_text("name", &self.name, 0)?;
        if let Some(e) = &self.email {
            check_email(e)?;
        }
        check_accounts(&self.accounts)
    }

    fn patched(cur: &Identity, p: &IdentityPatch) -> Self {
        let mut accounts = cur.accounts.clone();
        for (platform, login) in p.accounts.iter().flatten() {
            match login {
                Some(l) => accounts.insert(platform.clone(), l.clone()),
                None => accounts.remove(platform),
            };
        }
        Fields {
            handle: p.handle.clone().unwrap_or_else(|| cur.handle.clone()),
            name: p.name.clone().unwrap_or_else(|| cur.name.clone()),
            email: p.email.clone().unwrap_or_else(|| cur.email.clone()),
            accounts,
        }
    }
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound(format!("identity {id}"))
}

/// A unique key already held, said in words.
fn taken(e: StoreError, f: &Fields) -> StoreError {
    match e {
        StoreError::Conflict(_) => StoreError::Conflict(format!(
            "another identity already has the handle {:?}, the email or one of the accounts {:?}",
            f.handle, f.accounts
        )),
        other => other,
    }
}

fn identity_from_row(r: &AnyRow, accounts: BTreeMap<String, String>) -> Result<Identity> {
    Ok(Identity {
        id: r.try_get("id")?,
        handle: r.try_get("handle")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        accounts,
        created_at: from_ms(r.try_get("created_at")?)?,
        updated_at: from_ms(r.try_get("updated_at")?)?,
    })
}

async fn write_accounts(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    accounts: &BTreeMap<String, String>,
) -> Result<()> {
    sqlx::query("DELETE FROM identity_accounts WHERE identity_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for (platform, login) in accounts {
        sqlx::query(
            "INSERT INTO identity_accounts (identity_id, platform, login) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(platform.clone())
        .bind(login.clone())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl Store {
    /// Creates an identity with its accounts (409 when the handle, email or an account is
    /// another identity's).
    pub async fn create_identity(&self, new: &NewIdentity) -> Result<Identity> {
        let f = Fields {
            handle: new.handle.clone(),
            name: new.name.clone(),
            email: new.email.clone(),
            accounts: new.accounts.clone(),
        };
        f.validate()?;
        self.insert_identity(&f).await.map_err(|e| taken(e, &f))
    }

    async fn insert_identity(&self, f: &Fields) -> Result<Identity> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let mut sql = Sql::new(
            "INSERT INTO identities (handle, name, email, created_at, updated_at) VALUES (",
        );
        sql.bind(f.handle.clone()).push(", ").bind(f.name.clone());
        sql.push(", ").bind(f.email.clone()).push(", ").bind(now);
        sql.push(", ").bind(now).push(") RETURNING id");
        let id: i64 = sql.query().fetch_one(&mut *tx).await?.try_get("id")?;
        write_accounts(&mut tx, id, &f.accounts).await?;
        tx.commit().await?;
        self.get_identity(id).await
    }

    /// One identity.
    pub async fn get_identity(&self, id: i64) -> Result<Identity> {
        let row = sqlx::query("SELECT * FROM identities WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| not_found(id))?;
        let accounts = self.accounts_of(id).await?;
        identity_from_row(&row, accounts)
    }

    async fn accounts_of(&self, id: i64) -> Result<BTreeMap<String, String>> {
        let rows =
            sqlx::query("SELECT platform, login FROM identity_accounts WHERE identity_id = $1")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("platform")?, r.try_get("login")?)))
            .collect()
    }

    /// Identities by id, one page at a time.
    pub async fn list_identities(&self, page: PageRequest) -> Result<Paged<Identity>> {
        let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM identities")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let mut sql = Sql::new("SELECT * FROM identities ORDER BY id LIMIT ");
        sql.bind(page.limit()).push(" OFFSET ").bind(page.offset());
        let rows = sql.query().fetch_all(&self.pool).await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            let accounts = self.accounts_of(r.try_get("id")?).await?;
            items.push(identity_from_row(r, accounts)?);
        }
        Ok(Paged::new(items, total, page))
    }

    /// Applies a patch (accounts change per platform; see [`IdentityPatch`]).
    pub async fn update_identity(&self, id: i64, patch: &IdentityPatch) -> Result<Identity> {
        let cur = self.get_identity(id).await?;
        let f = Fields::patched(&cur, patch);
        f.validate()?;
        self.write_identity(id, &f).await.map_err(|e| taken(e, &f))
    }

    async fn write_identity(&self, id: i64, f: &Fields) -> Result<Identity> {
        let mut tx = self.pool.begin().await?;
        let mut sql = Sql::new("UPDATE identities SET handle = ");
        sql.bind(f.handle.clone())
            .push(", name = ")
            .bind(f.name.clone());
        sql.push(", email = ").bind(f.email.clone());
        sql.push(", updated_at = ").bind(now_ms());
        sql.push(" WHERE id = ").bind(id);
        if sql.query().execute(&mut *tx).await?.rows_affected() == 0 {
            return Err(not_found(id));
        }
        write_accounts(&mut tx, id, &f.accounts).await?;
        tx.commit().await?;
        self.get_identity(id).await
    }

    /// Deletes an identity and its accounts. Elder issues keep the handle as a plain name.
    pub async fn delete_identity(&self, id: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM identity_accounts WHERE identity_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let gone = sqlx::query("DELETE FROM identities WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if gone.rows_affected() == 0 {
            return Err(not_found(id));
        }
        tx.commit().await?;
        Ok(())
    }

    /// The identity holding `login` on `platform` (exact).
    pub async fn identity_by_account(
        &self,
        platform: &str,
        login: &str,
    ) -> Result<Option<Identity>> {
        let row = sqlx::query(
            "SELECT identity_id FROM identity_accounts WHERE platform = $1 AND login = $2",
        )
        .bind(platform)
        .bind(login)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some(self.get_identity(r.try_get("identity_id")?).await?)),
            None => Ok(None),
        }
    }

    /// The identity whose handle is `handle` (exact).
    pub async fn identity_by_handle(&self, handle: &str) -> Result<Option<Identity>> {
        let row = sqlx::query("SELECT id FROM identities WHERE handle = $1")
            .bind(handle)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some(self.get_identity(r.try_get("id")?).await?)),
            None => Ok(None),
        }
    }

    /// Identities with no account on `platform` that `login` (or `email`, when the
    /// platform exposed one) matches, case-insensitively: a login they have on another
    /// platform equal to `login`, or their email equal to `login` or to `email`.
    pub async fn identities_matching(
        &self,
        platform: &str,
        login: &str,
        email: Option<&str>,
    ) -> Result<Vec<Identity>> {
        let email = email.unwrap_or(login).to_lowercase();
        let mut sql = Sql::new(
            "SELECT DISTINCT i.id FROM identities i \
             LEFT JOIN identity_accounts a ON a.identity_id = i.id AND a.platform <> ",
        );
        sql.bind(platform.to_string());
        sql.push(" WHERE NOT EXISTS (SELECT 1 FROM identity_accounts o WHERE o.identity_id = i.id AND o.platform = ")
            .bind(platform.to_string())
            .push(") AND (LOWER(a.login) = ")
            .bind(login.to_lowercase())
            .push(" OR LOWER(i.email) = ")
            .bind(login.to_lowercase())
            .push(" OR LOWER(i.email) = ")
            .bind(email)
            .push(") ORDER BY i.id");
        let rows = sql.query().fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.get_identity(r.try_get("id")?).await?);
        }
        Ok(out)
    }

    /// Adds `login` on `platform` to identity `id`; `false` when that account is already
    /// held (by this identity or another one: a concurrent sync linked it first).
    pub async fn link_account(&self, id: i64, platform: &str, login: &str) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO identity_accounts (identity_id, platform, login) VALUES ($1, $2, $3) \
             ON CONFLICT (platform, login) DO NOTHING",
        )
        .bind(id)
        .bind(platform)
        .bind(login)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a person first seen as `login` on `platform`: a new identity holding that one
    /// account, its handle the login (or `login@platform`, then with a number, when that
    /// handle is taken). Returns the identity holding the account afterwards (another one
    /// when a concurrent sync recorded it first).
    pub async fn record_seen_person(&self, platform: &str, login: &str) -> Result<Identity> {
        let mut candidates = vec![login.to_string(), format!("{login}@{platform}")];
        candidates.extend((2..20).map(|n| format!("{login}@{platform}-{n}")));
        for handle in candidates {
            if let Some(found) = self.identity_by_account(platform, login).await? {
                return Ok(found);
            }
            let f = Fields {
                handle,
                name: String::new(),
                email: None,
                accounts: BTreeMap::from([(platform.to_string(), login.to_string())]),
            };
            if f.validate().is_err() {
                continue;
            }
            match self.insert_identity(&f).await {
                Ok(i) => return Ok(i),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Conflict(format!(
            "no free handle for {login:?} on {platform}"
        )))
    }
}
