//! `elder-sync sync run <config>`: starts a manual sync run of a config on a running service
//! (`POST /api/v1/sync/configs/{id}/run`) and, while it runs, shows its progress as the
//! service reports it (`running` of the config in `GET /api/v1/sync/status`): an indicatif
//! progress bar when stderr is a terminal, plain lines otherwise; then what the run did.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use crate::api_client::Client;
use crate::cli::SyncCommand;

/// How often the status is read while the run goes on.
const POLL_EVERY: Duration = Duration::from_millis(500);

/// How often a plain progress line is printed (when something changed).
const LINE_EVERY: Duration = Duration::from_secs(2);

/// Runs one sync command against `api_url`.
pub async fn run(api_url: &str, token: Option<&str>, command: SyncCommand) -> Result<()> {
    let client = Client::new(api_url, "/api/v1/sync", token)?;
    let SyncCommand::Run { config } = command;
    let id = config_id(&client, &config).await?;
    let runner = client.clone();
    let mut run = tokio::spawn(async move {
        runner
            .send("POST", &format!("/configs/{id}/run"), None)
            .await
    });
    let mut view = View::new(std::io::stderr().is_terminal());
    let answer = loop {
        tokio::select! {
            done = &mut run => break done?,
            () = tokio::time::sleep(POLL_EVERY) => {
                if let Ok(status) = client.send("GET", "/status", None).await {
                    view.show(running_of(&status, id));
                }
            }
        }
    };
    view.finish();
    let answer = answer?;
    println!("{}", summary(&answer));
    if answer["success"].as_bool() != Some(true) {
        std::process::exit(1);
    }
    Ok(())
}

/// The id of `config`: a number is an id, anything else a config's name.
async fn config_id(client: &Client, config: &str) -> Result<i64> {
    if let Ok(id) = config.parse() {
        return Ok(id);
    }
    let configs = client.send("GET", "/configs", None).await?;
    match configs
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["name"].as_str() == Some(config))
    {
        Some(c) => c["id"]
            .as_i64()
            .ok_or_else(|| anyhow::anyhow!("the service answered a config without an id")),
        None => bail!("no sync config named {config:?} (give its name or id)"),
    }
}

/// The `running` progress of config `id` in a status answer (`None`: not reporting).
fn running_of(status: &Value, id: i64) -> Option<&Value> {
    status["configs"]
        .as_array()?
        .iter()
        .find(|c| c["id"].as_i64() == Some(id))
        .map(|c| &c["running"])
        .filter(|r| r.is_object())
}

/// One progress line: items done, rate, and the ETA or why there is none.
pub fn progress_line(p: &Value) -> String {
    let done = p["items_done"].as_i64().unwrap_or(0);
    let rate = p["items_per_second"].as_f64().unwrap_or(0.0);
    match (p["estimated_total"].as_i64(), p["eta_secs"].as_i64()) {
        (Some(total), Some(eta)) => {
            format!("{done} of ~{total} items, {rate:.0} items/s, ETA {eta} s")
        }
        _ => format!("{done} items, {rate:.0} items/s, ETA unknown (total not yet estimable)"),
    }
}

/// The last line: what the run did.
fn summary(answer: &Value) -> String {
    let items = &answer["items"];
    let n = |k: &str| items[k].as_i64().unwrap_or(0);
    let outcome = match answer["error"].as_str() {
        None => "finished".to_string(),
        Some(e) => format!("failed: {e}"),
    };
    format!(
        "run #{} {outcome}: {} synced, {} unchanged, {} conflicts, {} failed",
        answer["history_id"].as_i64().unwrap_or(0),
        n("synced"),
        n("unchanged"),
        n("conflicts"),
        n("failed"),
    )
}

/// Where progress goes: a bar on a terminal, lines otherwise.
enum View {
    Bar(ProgressBar),
    Lines { last: Option<(Instant, i64)> },
}

impl View {
    fn new(terminal: bool) -> View {
        if terminal {
            let bar = ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(120));
            bar.set_message("starting");
            View::Bar(bar)
        } else {
            View::Lines { last: None }
        }
    }

    fn show(&mut self, progress: Option<&Value>) {
        let Some(p) = progress else { return };
        let done = p["items_done"].as_i64().unwrap_or(0);
        match self {
            View::Bar(bar) => {
                let total = p["estimated_total"].as_u64();
                bar.set_style(style(total.is_some()));
                if let Some(total) = total {
                    bar.set_length(total);
                }
                bar.set_position(u64::try_from(done).unwrap_or(0));
                bar.set_message(progress_line(p));
            }
            View::Lines { last } => {
                let due = last.is_none_or(|(at, n)| n != done && at.elapsed() >= LINE_EVERY);
                if due {
                    eprintln!("{}", progress_line(p));
                    *last = Some((Instant::now(), done));
                }
            }
        }
    }

    fn finish(&mut self) {
        if let View::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

/// The bar's look: a bar when the total is estimated, a spinner otherwise.
fn style(with_total: bool) -> ProgressStyle {
    let template = if with_total {
        "{spinner} [{elapsed_precise}] {wide_bar} {msg}"
    } else {
        "{spinner} [{elapsed_precise}] {msg}"
    };
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_line_names_the_eta_or_why_there_is_none() {
        let known = json!({"items_done": 500, "items_per_second": 250.0,
                           "estimated_total": 1000, "eta_secs": 2});
        assert_eq!(
            progress_line(&known),
            "500 of ~1000 items, 250 items/s, ETA 2 s"
        );
        let unknown = json!({"items_done": 500, "items_per_second": 250.0,
                             "estimated_total": null, "eta_secs": null});
        assert_eq!(
            progress_line(&unknown),
            "500 items, 250 items/s, ETA unknown (total not yet estimable)"
        );
    }

    #[test]
    fn the_running_progress_is_found_by_config_id() {
        let status = json!({"configs": [
            {"id": 1, "running": null},
            {"id": 2, "running": {"items_done": 7}},
        ]});
        assert!(running_of(&status, 1).is_none());
        assert_eq!(running_of(&status, 2).unwrap()["items_done"], 7);
        assert!(running_of(&status, 3).is_none());
    }
}
