//! `imgigo-fake`: the real server (same configuration, router, limits and shutdown) with the
//! deterministic fake engine instead of the model — a centred ellipse as the mask — for the tests
//! that need a running server without weights: schemathesis, the overload script, the SIGTERM test.
//! `IMGIGO_FAKE_DELAY_MS` makes each mask take that long (default 0). Never deploy it.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use server::cli::Cli;
use server::serve::Model;
use services::config::Config;
use services::cutout::fake::FakeEngine;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_settings(cli.settings, std::env::var("HOME").ok()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("imgigo-fake: invalid configuration: {err}");
            return ExitCode::from(2);
        }
    };
    if let Err(err) = server::telemetry::init(&config) {
        eprintln!("imgigo-fake: invalid configuration: {err}");
        return ExitCode::from(2);
    }
    let delay = match std::env::var("IMGIGO_FAKE_DELAY_MS") {
        Err(_) => Duration::ZERO,
        Ok(text) => match text.trim().parse::<u64>() {
            Ok(ms) if ms <= 600_000 => Duration::from_millis(ms),
            _ => {
                eprintln!(
                    "imgigo-fake: invalid configuration: IMGIGO_FAKE_DELAY_MS={text:?} is invalid: expected milliseconds from 0 to 600000"
                );
                return ExitCode::from(2);
            }
        },
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("imgigo-fake: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let engine = FakeEngine::with_delay(delay);
    match runtime.block_on(server::serve::run_with(config, Model::Fake(engine))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("imgigo-fake: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
