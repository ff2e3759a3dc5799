//! The `imgigo` command line.

use clap::{Parser, Subcommand};
use services::config::Overrides;

#[derive(Debug, Parser)]
#[command(
    name = "imgigo",
    version,
    about = "Private, self-hostable background removal"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Listen address [env: IMGIGO_ADDR] [default: 127.0.0.1:3000]
    #[arg(long, global = true)]
    pub addr: Option<String>,

    /// Folder for the SQLite file, mail outbox and encrypted cache [env: IMGIGO_DATA_DIR] [default: data]
    #[arg(long, global = true)]
    pub data_dir: Option<String>,

    /// sqlite://… or postgres://… [env: DATABASE_URL] [default: a SQLite file in the data folder]
    #[arg(long, global = true)]
    pub database_url: Option<String>,

    /// The compiled site (wasm, CSS, static files) [env: IMGIGO_SITE_ROOT] [default: target/site]
    #[arg(long, global = true)]
    pub site_root: Option<String>,

    /// `text` or `json` log lines [env: IMGIGO_LOG_FORMAT] [default: text]
    #[arg(long, global = true)]
    pub log_format: Option<String>,

    /// Where the model runs: auto (a real GPU if present, else the CPU), cpu or gpu [env: IMGIGO_DEVICE] [default: auto]
    #[arg(long, global = true)]
    pub device: Option<String>,

    /// A plain-text privacy policy of your own, shown on /privacy and named by consent records [env: IMGIGO_PRIVACY_POLICY] [default: the bundled policy]
    #[arg(long, global = true)]
    pub privacy_policy: Option<String>,
}

#[derive(Debug, Subcommand, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run the web server (the default).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Cut the subject out of photos on this machine: writes OUT/<name>.<ext> for each input.
    Cutout(CutoutArgs),
    /// Run the retention jobs once (for cron): expired results, sessions and links, accounts never
    /// confirmed within 7 days.
    Purge,
    /// Manage staff accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Subcommand, Clone, PartialEq, Eq)]
pub enum AdminCommand {
    /// Create a confirmed admin account. The password is asked for twice on a terminal, or read
    /// from the first line of standard input otherwise.
    Create {
        /// The admin's email address (used to log in).
        #[arg(long)]
        email: String,
        /// The admin's name.
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, clap::Args, Clone, PartialEq, Eq)]
pub struct CutoutArgs {
    /// Photos to cut out (JPEG, PNG or WebP).
    #[arg(required = true)]
    pub inputs: Vec<std::path::PathBuf>,
    /// Folder for the results (created if missing).
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// png (transparent), webp (lossless, transparent), jpg (on white), mask (8-bit alpha PNG) or zip (color.jpg + alpha.png).
    #[arg(long, default_value = "png")]
    pub format: String,
    /// Model size: 1024 (trained, best) down to 256 (faster preview), a multiple of 32.
    #[arg(long, default_value_t = 1024)]
    pub size: usize,
    /// The converted weights [env: IMGIGO_MODEL_FILE] [default: ~/.cache/imgigo/models/…]
    #[arg(long)]
    pub model_file: Option<String>,
}

impl Cli {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            addr: self.addr.clone(),
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            site_root: self.site_root.clone(),
            log_format: self.log_format.clone(),
            model_file: match &self.command {
                Some(Command::Cutout(args)) => args.model_file.clone(),
                _ => None,
            },
            device: self.device.clone(),
            privacy_policy: self.privacy_policy.clone(),
        }
    }
}
