//! The command line: `elder-sync serve`, `elder-sync token create`, `elder-sync plugin ...`
//! (`list`, `install`, `enable`, `disable`, `rollback`, `approve`).

use clap::{Parser, Subcommand, ValueEnum};

/// Elder Sync: two-way sync between Elder and GitHub, GitLab, Jira Cloud, Trello and
/// OpenProject, through sandboxed WebAssembly connectors. Settings come from the
/// environment (see README.md).
#[derive(Debug, Parser)]
#[command(name = "elder-sync", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service: API, webhooks, scheduler and workers.
    Serve,
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage the connectors of a running service over its API.
    Plugin {
        /// The service's base URL.
        #[arg(long, env = "ELDER_API_URL", default_value = "http://127.0.0.1:8000")]
        api_url: String,
        /// An API token (admin for anything but `list`).
        #[arg(long, env = "ELDER_API_TOKEN", hide_env_values = true)]
        token: Option<String>,
        #[command(subcommand)]
        command: PluginCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// List installed connectors and versions waiting for approval.
    List,
    /// Upload a connector component; the service validates it and swaps it in.
    Install {
        /// The component (`.wasm`).
        file: std::path::PathBuf,
        /// Its manifest (default: the `.toml` beside the component).
        #[arg(long)]
        manifest: Option<std::path::PathBuf>,
    },
    /// Enable a connector: its configs sync again.
    Enable { id: String },
    /// Disable a connector: its configs stop syncing, its webhooks answer 409.
    Disable { id: String },
    /// Swap back to the previous version.
    Rollback { id: String },
    /// Approve a version that waits because it asks for new hosts.
    Approve { id: String },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print it once (it is stored hashed).
    Create {
        /// What the token may do.
        #[arg(long, value_enum, default_value_t = Role::ReadOnly)]
        role: Role,
        /// A note to remember what the token is for.
        #[arg(long)]
        name: Option<String>,
    },
}

/// API token roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// Reads only.
    ReadOnly,
    /// Reads and writes.
    Admin,
}
