//! `scheduling`: decides when participants are reminded.

use std::process::ExitCode;

use convene_shared::{config, shutdown::Shutdown, telemetry};
use scheduling::startup::Application;
use scheduling::Settings;

#[tokio::main]
async fn main() -> ExitCode {
    let about = "decides when Convene's participants are reminded";
    if config::wants_help("scheduling", about, scheduling::config::VARS) {
        return ExitCode::SUCCESS;
    }
    telemetry::init();
    let result = async {
        let settings = Settings::from_env()?;
        let shutdown = Shutdown::new();
        shutdown.trigger_on_signals();
        let timeout = settings.common.shutdown_timeout;
        let app = Application::build(settings).await?;
        convene_shared::shutdown::bounded(
            app.run_until_stopped(shutdown.clone()),
            &shutdown,
            timeout,
        )
        .await
    };
    match result.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scheduling: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
