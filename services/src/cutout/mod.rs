//! Cutting the subject out of a photo: the model engine and the output encoders. The upload
//! pipeline, queue and result store build on these.

pub mod backdrop;
pub mod compose;
pub mod effects;
pub mod engine;
pub mod fake;
pub mod foreground;
mod grid;
pub mod guided;
pub mod layout;
pub mod output;
pub mod queue;
pub mod service;
pub mod solid;
pub mod subject;
pub mod upload;

/// Device selection (`IMGIGO_DEVICE`), re-exported for the binaries.
pub use segmentation::device;

pub use engine::{Engine, ModelSize};
pub use output::{OutputFormat, encode};
pub use queue::{InferenceQueue, QueueLimits};
pub use service::{BackgroundRequest, Cutout, CutoutRequest, CutoutService};
