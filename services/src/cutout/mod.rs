//! Cutting the subject out of a photo: the model engine and the output encoders. The upload
//! pipeline, queue and result store build on these.

pub mod engine;
pub mod output;

pub use engine::{Engine, ModelSize};
pub use output::{OutputFormat, encode};
