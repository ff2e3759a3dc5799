use std::process::ExitCode;

use clap::Parser;
use server::cli::{Cli, Command};
use services::config::Config;

/// Exit code for configuration a person must fix (as clap uses for bad flags and variables).
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A build step, not a server: it needs no configuration.
    if let Some(Command::Weights(args)) = &cli.command {
        return match services::cutout::engine::convert_weights(&args.package, &args.out) {
            Ok(count) => {
                println!("converted {count} tensors into {}", args.out.display());
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("imgigo weights: {err}");
                ExitCode::FAILURE
            }
        };
    }
    let config = match Config::from_settings(cli.settings, std::env::var("HOME").ok()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("imgigo: invalid configuration: {err}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if let Err(err) = server::telemetry::init(&config) {
        eprintln!("imgigo: invalid configuration: {err}");
        return ExitCode::from(EXIT_CONFIG);
    }
    if let Some(Command::Cutout(args)) = &cli.command {
        return server::cutout_cli::run(&config, args);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("imgigo: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(Command::Admin(command)) = &cli.command {
        return runtime.block_on(server::admin_cli::run(config, command));
    }
    let result = runtime.block_on(async {
        match cli.command {
            Some(Command::Migrate) => server::serve::migrate(config).await,
            Some(Command::Purge) => server::serve::purge(config).await,
            _ => server::serve::run(config).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "imgigo stopped");
            eprintln!("imgigo: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
