//! `elder-sync plugin ...`: talks to a running service's `/api/v1/plugins` routes and
//! prints what it answered (a table for `list`, one line per change otherwise).

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::api_client::Client as ApiClient;
use base64::Engine as _;
use serde_json::{Value, json};

use crate::cli::PluginCommand;

/// Runs one plugin command against `api_url`.
pub async fn run(api_url: &str, token: Option<&str>, command: PluginCommand) -> Result<()> {
    let client = Client::new(api_url, token)?;
    match command {
        PluginCommand::List => print_list(&client.send("GET", "", None).await?),
        PluginCommand::Install { file, manifest } => {
            let body = upload_body(&file, manifest.as_deref())?;
            print_install(&client.send("POST", "", Some(body)).await?);
        }
        PluginCommand::Enable { id } => print_one(&client.action(&id, "enable").await?),
        PluginCommand::Disable { id } => print_one(&client.action(&id, "disable").await?),
        PluginCommand::Rollback { id } => print_one(&client.action(&id, "rollback").await?),
        PluginCommand::Approve { id } => print_one(&client.action(&id, "approve").await?),
        PluginCommand::Check { .. } | PluginCommand::New { .. } => {
            bail!("`plugin check` and `plugin new` run locally, without the service")
        }
    }
    Ok(())
}

struct Client(ApiClient);

impl Client {
    fn new(api_url: &str, token: Option<&str>) -> Result<Client> {
        Ok(Client(ApiClient::new(api_url, "/api/v1/plugins", token)?))
    }

    async fn action(&self, id: &str, action: &str) -> Result<Value> {
        self.send("POST", &format!("/{id}/{action}"), None).await
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        self.0.send(method, path, body).await
    }
}

fn upload_body(file: &Path, manifest: Option<&Path>) -> Result<Value> {
    let component = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let manifest_path = manifest.map_or_else(|| file.with_extension("toml"), Path::to_path_buf);
    let manifest = std::fs::read_to_string(&manifest_path).with_context(|| {
        format!(
            "reading the manifest {} (pass --manifest)",
            manifest_path.display()
        )
    })?;
    Ok(json!({
        "manifest": manifest,
        "component": base64::engine::general_purpose::STANDARD.encode(component),
    }))
}

fn short(hash: &Value) -> String {
    hash.as_str().unwrap_or("").chars().take(12).collect()
}

fn print_list(body: &Value) {
    println!(
        "{:<14} {:<10} {:<12} {:<8} {:>8} {:>7}  {:<12}  LOADED AT",
        "ID", "VERSION", "PLATFORM", "ENABLED", "CALLS", "ERRORS", "HASH"
    );
    for p in body["plugins"].as_array().into_iter().flatten() {
        println!(
            "{:<14} {:<10} {:<12} {:<8} {:>8} {:>7}  {:<12}  {}",
            p["id"].as_str().unwrap_or(""),
            p["version"].as_str().unwrap_or(""),
            p["platform"].as_str().unwrap_or(""),
            p["enabled"].as_bool().unwrap_or(false),
            p["calls"].as_u64().unwrap_or(0),
            p["errors"].as_u64().unwrap_or(0),
            short(&p["source_hash"]),
            p["loaded_at"].as_str().unwrap_or(""),
        );
    }
    for p in body["pending"].as_array().into_iter().flatten() {
        print_pending(p);
    }
}

fn print_pending(p: &Value) {
    println!(
        "pending approval: {} {} ({}) asks for new hosts {} and changes its security surface \
         in {} way(s); approve with `elder-sync plugin approve {}`",
        p["id"].as_str().unwrap_or(""),
        p["version"].as_str().unwrap_or(""),
        short(&p["source_hash"]),
        p["diff"]["added_hosts"],
        p["diff"]["surface"].as_array().map_or(0, Vec::len),
        p["id"].as_str().unwrap_or(""),
    );
    for line in p["diff"]["surface"].as_array().into_iter().flatten() {
        println!("    ! {}", line.as_str().unwrap_or(""));
    }
    for line in p["diff"]["lines"].as_array().into_iter().flatten() {
        println!("    {}", line.as_str().unwrap_or(""));
    }
}

fn print_install(body: &Value) {
    match body["status"].as_str() {
        Some("pending_approval") => print_pending(&body["pending"]),
        status => {
            print!("{}: ", status.unwrap_or("done"));
            print_one(body);
        }
    }
}

fn print_one(body: &Value) {
    let p = &body["plugin"];
    println!(
        "{} {} ({}) enabled={} hash={}",
        p["id"].as_str().unwrap_or(""),
        p["version"].as_str().unwrap_or(""),
        p["platform"].as_str().unwrap_or(""),
        p["enabled"].as_bool().unwrap_or(false),
        short(&p["source_hash"]),
    );
}
