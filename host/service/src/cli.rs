//! The command line: `elder-sync serve`, `elder-sync token create`, `elder-sync plugin ...`
//! (`list`, `install`, `enable`, `disable`, `rollback`, `approve` over the API; `check`
//! and `new` locally), `elder-sync sync run <config>` (over the API, with progress).

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
    /// Sync configs of a running service over its API.
    Sync {
        /// The service's base URL.
        #[arg(long, env = "ELDER_API_URL", default_value = "http://127.0.0.1:8000")]
        api_url: String,
        /// An API token (admin).
        #[arg(long, env = "ELDER_API_TOKEN", hide_env_values = true)]
        token: Option<String>,
        #[command(subcommand)]
        command: SyncCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Run a sync of a config now (a first import when it never ran), showing its progress:
    /// a progress bar on a terminal, plain lines otherwise; exits 1 when the run failed.
    Run {
        /// The config's name or id.
        config: String,
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
    /// Disable a connector: its configs' work waits (webhooks are accepted and held) until enabled.
    Disable { id: String },
    /// Swap back to the previous version.
    Rollback { id: String },
    /// Approve a version that waits because it asks for new hosts.
    Approve { id: String },
    /// Run the conformance kit on a component, locally (no service needed): the contract
    /// checks a host relies on, printed as a pass/fail table; exits 1 when one fails.
    Check {
        /// The component (`.wasm`).
        file: std::path::PathBuf,
        /// Its manifest (default: the `.toml` beside the component, when there is one).
        #[arg(long)]
        manifest: Option<std::path::PathBuf>,
        /// A config value `key=value` reaching a platform (repeat it); with one, the kit
        /// also pages through list-changes and calls get for every declared kind.
        /// Keys the component declares secret are applied by the host's egress as secrets.
        #[arg(long = "config", value_name = "KEY=VALUE")]
        config: Vec<String>,
        /// Let those calls reach loopback and private addresses (a local simulator or a
        /// self-hosted platform); off by default, as in the service.
        #[arg(long)]
        allow_private_networks: bool,
        /// Let those calls use plain http; off by default, as in the service.
        #[arg(long)]
        allow_http: bool,
    },
    /// Scaffold a connector crate from the SDK's template, locally: it builds to wasm and
    /// passes `plugin check` as it is.
    New {
        /// The connector id (lowercase letters, digits and dashes).
        name: String,
        /// Where to write it (default: ./<name>; `connectors/<name>` in an Elder Sync
        /// checkout makes it a workspace member that `make wasm` builds).
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
        /// The SDK to depend on by path when the crate is outside a checkout (default: the
        /// SDK this binary was built from).
        #[arg(long)]
        sdk_path: Option<std::path::PathBuf>,
    },
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
