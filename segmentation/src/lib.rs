//! Background segmentation with ISNet (the DIS architecture) on burn. No web or database code here:
//! the server asks for a mask, this crate computes it.
//!
//! - [`isnet`]: the hand-written model (RSU blocks, ceil-mode pools, bilinear upsampling), any input size.
//! - [`onnx`]: reads the published ONNX file's convolution weights by module path, without Python.
//! - [`weights`]: turns those weights into a loaded model.
//! - [`cpu`]: the Winograd 3×3 convolution the model uses on a CPU device.
//! - [`profile`]: per-layer timing for the benchmark.

pub mod cpu;
pub mod device;
pub mod error;
pub mod isnet;
pub mod onnx;
pub mod package;
pub mod pipeline;
pub mod profile;
mod resize;
pub mod store;
pub mod weights;

/// The burn version this crate is built on, for callers that name devices or tensors.
pub use burn;
pub use error::Error;
pub use isnet::{IsNet, IsNetConfig};
pub use pipeline::{Segmenter, TRAINED_SIZE};
