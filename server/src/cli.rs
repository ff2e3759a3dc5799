//! The `imgigo` command line.

use clap::{Parser, Subcommand};
use services::config::Settings;

#[derive(Debug, Parser)]
#[command(
    name = "imgigo",
    version,
    about = "Private, self-hostable background removal"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Every setting, as a flag and its `IMGIGO_*` variable (global: before or after the command).
    #[command(flatten)]
    pub settings: Settings,
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
    /// Convert the published weights into the model file (`make weights` runs this): rebuilds the
    /// ONNX model from an unpacked `@imgly/background-removal-data@1.4.5` npm package, checks its
    /// sha256 and writes a Burnpack file.
    Weights(WeightsArgs),
}

#[derive(Debug, clap::Args, Clone, PartialEq, Eq)]
pub struct WeightsArgs {
    /// The unpacked npm package (the folder holding `dist/resources.json`).
    #[arg(long)]
    pub package: std::path::PathBuf,
    /// The model file to write.
    #[arg(long)]
    pub out: std::path::PathBuf,
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
    /// A background colour instead of transparency: #rrggbb, #rrggbbaa (see-through) or a name.
    #[arg(long)]
    pub bg_color: Option<String>,
    /// Crop to the subject with this margin: 20px, 10%, or two or four values ("10px 5%").
    #[arg(long)]
    pub crop_margin: Option<String>,
    /// A marketplace layout: amazon (white, 2000×2000, 85 %) or ebay (white, 1600×1600, 90 %).
    #[arg(long)]
    pub preset: Option<String>,
    /// A shadow under the subject: drop or contact.
    #[arg(long)]
    pub shadow: Option<String>,
    /// An outline around the subject, 1 to 200 pixels wide.
    #[arg(long)]
    pub outline_width: Option<String>,
    /// The outline's colour (default white).
    #[arg(long)]
    pub outline_color: Option<String>,
    /// none (default) or guided: the mask's edges refined by the photo (fast guided filter).
    #[arg(long)]
    pub refine: Option<String>,
}
