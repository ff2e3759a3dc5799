//! The CPU path of the network. burn's Flex backend lowers every convolution to im2col + GEMM and
//! allocates a fresh tensor for every intermediate result, which made a 1024² pass about three
//! times slower than onnxruntime (see `imgigo-bench --layers`). On a CPU device [`network`] runs
//! the RSU stages instead with:
//! - [`winograd`]: F(4×4, 3×3) and F(2×2, 3×3) convolutions with bias, ReLU and residual fused,
//!   reading concatenated inputs in place;
//! - [`feature`]: the pool and upsampling between them, with burn's exact semantics;
//! - [`buffers`]: a pool that recycles the feature maps' memory between layers and passes;
//! - [`kernels`]: the instruction set (AVX-512, AVX2 or baseline) their loops run with, chosen at
//!   run time.
//!
//! The weights stay in the burn module; other devices (wgpu) run [`crate::IsNet::forward`]'s burn
//! graph unchanged.

mod buffers;
mod feature;
mod gemm;
pub mod kernels;
pub(crate) mod network;
pub(crate) mod winograd;

use std::sync::atomic::{AtomicBool, Ordering};

use burn::tensor::{DType, Device, Tensor};

pub use kernels::{KernelSet, cpu_features, cpu_model, gemm_kernels, kernels, use_kernels};
pub(crate) use winograd::{Filter, Tile};

static STOCK_ONLY: AtomicBool = AtomicBool::new(false);

/// Routes every convolution through burn's own kernels (`true`) or, on CPU, the Winograd path
/// (`false`, the default). For benchmarks and tests that compare the two in one process.
pub fn use_stock_convolutions(stock: bool) {
    STOCK_ONLY.store(stock, Ordering::Relaxed);
}

/// Whether `x` should take the CPU path: an f32 tensor on the Flex (CPU) device.
pub(crate) fn applies_to(x: &Tensor<4>) -> bool {
    !STOCK_ONLY.load(Ordering::Relaxed) && x.device() == Device::flex() && x.dtype() == DType::F32
}
