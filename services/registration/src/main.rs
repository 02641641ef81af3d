//! `registration`: the HTTP service participants, co-sponsors and organisers use.

use std::process::ExitCode;

use convene_shared::{config, shutdown::Shutdown, telemetry};
use registration::startup::Application;
use registration::Settings;

#[tokio::main]
async fn main() -> ExitCode {
    let about = "registration forms, exchanges and the JSON API of Convene";
    if config::wants_help("registration", about, registration::config::VARS) {
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
            eprintln!("registration: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
