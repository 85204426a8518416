//! The command line: `elder-sync serve`, `elder-sync token create`, `elder-sync plugin ...`.

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
