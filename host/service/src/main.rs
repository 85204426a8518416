//! `elder-sync`: the service (`serve`) and its operator commands (`token create`, `plugin ...`,
//! `sync run`).
//! Settings come from the environment; see README.md.

mod api_client;
mod catalog;
mod cli;
mod http_server;
mod memory;
mod plugin_check;
mod plugin_cli;
mod plugin_new;
mod plugins;
mod serve;
mod settings;
mod sync_cli;

use anyhow::Result;
use clap::Parser;

use cli::{Cli, Command, Role, TokenCommand};

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve => serve::serve().await,
        Command::Token {
            command: TokenCommand::Create { role, name },
        } => create_token(role, name).await,
        Command::Plugin {
            command:
                cli::PluginCommand::Check {
                    file,
                    manifest,
                    config,
                    allow_private_networks,
                    allow_http,
                },
            ..
        } => {
            let passed = plugin_check::run(plugin_check::CheckArgs {
                file,
                manifest,
                config,
                allow_private_networks,
                allow_http,
            })
            .await?;
            std::process::exit(if passed { 0 } else { 1 })
        }
        Command::Plugin {
            command:
                cli::PluginCommand::New {
                    name,
                    dir,
                    sdk_path,
                },
            ..
        } => plugin_new::run(plugin_new::NewArgs {
            name,
            dir,
            sdk_path,
        }),
        Command::Plugin {
            api_url,
            token,
            command,
        } => plugin_cli::run(&api_url, token.as_deref(), command).await,
        Command::Sync {
            api_url,
            token,
            command,
        } => sync_cli::run(&api_url, token.as_deref(), command).await,
    }
}

async fn create_token(role: Role, name: Option<String>) -> Result<()> {
    let settings = settings::Settings::from_env()?;
    std::fs::create_dir_all(&settings.data_dir)?;
    // Tokens never touch stored secrets, so no ELDER_SECRET_KEY is needed for them.
    let store =
        elder_sync_store::Store::open_without_secrets(&settings.effective_database_url()).await?;
    let role = match role {
        Role::Admin => elder_sync_store::Role::Admin,
        Role::ReadOnly => elder_sync_store::Role::ReadOnly,
    };
    let (token, plain) = store.create_token(role).await?;
    let note = name.map(|n| format!(" ({n})")).unwrap_or_default();
    eprintln!(
        "created {role:?} token #{}{note}; it is shown once, store it now:",
        token.id
    );
    println!("{plain}");
    store.close().await;
    Ok(())
}
