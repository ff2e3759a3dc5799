//! Logging: an `EnvFilter` from `IMGIGO_LOG`, human or JSON lines from `IMGIGO_LOG_FORMAT`.

use services::config::{Config, ConfigError, LogFormat};
use tracing_subscriber::{EnvFilter, fmt};

/// Installs the global subscriber. A filter that does not parse is a configuration error.
pub fn init(config: &Config) -> Result<(), ConfigError> {
    let filter = EnvFilter::try_new(&config.log_filter).map_err(|err| ConfigError {
        variable: "IMGIGO_LOG".into(),
        value: config.log_filter.clone(),
        reason: format!("not a tracing filter such as `info` or `imgigo=debug,info` ({err})"),
    })?;
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second init (tests) keeps the first subscriber; that is not an error worth stopping for.
    let _ = match config.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    Ok(())
}
