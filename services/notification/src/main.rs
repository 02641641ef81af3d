//! `notification`: emails participants and organisers.
//!
//! `notification dead-letters list` prints the dead-letter queue as JSON lines;
//! `notification dead-letters replay` moves every dead letter back into the inbox.

use std::process::ExitCode;

use convene_shared::{config, consumer, shutdown::Shutdown, telemetry, topology};
use notification::startup::Application;
use notification::Settings;

const ABOUT: &str = "sends Convene's emails (confirmations, reminders, offers)

Commands:
  notification                      run the service
  notification dead-letters list    print each dead letter as one JSON line
  notification dead-letters replay  move every dead letter back into the inbox";

#[tokio::main]
async fn main() -> ExitCode {
    if config::wants_help("notification", ABOUT, notification::config::VARS) {
        return ExitCode::SUCCESS;
    }
    telemetry::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => run().await,
        ["dead-letters", "list"] => {
            consumer::dead_letters_command(topology::NOTIFICATION_INBOX, false).await
        }
        ["dead-letters", "replay"] => {
            consumer::dead_letters_command(topology::NOTIFICATION_INBOX, true).await
        }
        _ => Err(anyhow::anyhow!(
            "unknown command {:?} (see --help)",
            args.join(" ")
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("notification: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();
    let timeout = settings.common.shutdown_timeout;
    let app = Application::build(settings).await?;
    convene_shared::shutdown::bounded(app.run_until_stopped(shutdown.clone()), &shutdown, timeout)
        .await
}
