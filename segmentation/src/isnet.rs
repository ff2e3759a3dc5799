//! ISNet (Qin et al., "Highly Accurate Dichotomous Image Segmentation", the DIS repository's
//! `ISNetDIS`), written out by hand so it runs at any input size.
//!
//! `conv_in` (stride 2) → six encoder stages (RSU7, RSU6, RSU5, RSU4, RSU4F, RSU4F) joined by
//! ceil-mode 2×2 max pools → five decoder stages, each fed the upsampled deeper stage concatenated with
//! its encoder twin → `side1` (3×3 to one channel) → bilinear upsample to the input size → sigmoid.
//! BatchNorm is folded into every convolution's bias in the published weights, so a "REBNCONV" here
//! is Conv + ReLU. Field names follow the ONNX module paths, which is how weights are matched.

use std::sync::{Arc, OnceLock};

use burn::config::Config;
use burn::module::{Module, ModuleMapper, Param};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::module::{interpolate, max_pool2d};
use burn::tensor::ops::{InterpolateMode, InterpolateOptions, MaxPoolOptions};
use burn::tensor::{Device, FloatDType, Tensor};
use rayon::prelude::*;

use crate::cpu::{self, Filter, Tile};
use crate::device::Precision;
use crate::profile;

/// Channel widths of the network. [`IsNetConfig::dis`] is the published model; [`IsNetConfig::tiny`]
/// keeps the exact structure with few channels, for fast plumbing tests.
#[derive(Config, Debug)]
pub struct IsNetConfig {
    /// Input channels (3 for RGB).
    #[config(default = 3)]
    pub in_channels: usize,
    /// `[in, mid, out]` of the encoder stages 1–6.
    pub encoder: [[usize; 3]; 6],
    /// `[in, mid, out]` of the decoder stages 5d, 4d, 3d, 2d, 1d.
    pub decoder: [[usize; 3]; 5],
}

impl IsNetConfig {
    /// The published ISNet-DIS widths (44 M parameters).
    pub fn dis() -> Self {
        Self::new(
            [
                [64, 32, 64],
                [64, 32, 128],
                [128, 64, 256],
                [256, 128, 512],
                [512, 256, 512],
                [512, 256, 512],
            ],
            [
                [1024, 256, 512],
                [1024, 128, 256],
                [512, 64, 128],
                [256, 32, 64],
                [128, 16, 64],
            ],
        )
    }

    /// Same graph, widths divided so a 1024² forward pass takes well under a second in a debug build.
    pub fn tiny() -> Self {
        Self::new(
            [
                [4, 2, 4],
                [4, 2, 4],
                [4, 2, 4],
                [4, 2, 4],
                [4, 2, 4],
                [4, 2, 4],
            ],
            [[8, 2, 4], [8, 2, 4], [8, 2, 4], [8, 2, 4], [8, 2, 4]],
        )
    }

    /// A model with freshly initialised (random) weights.
    pub fn init(&self, device: &Device) -> IsNet {
        let [e1, e2, e3, e4, e5, e6] = self.encoder;
        let [d5, d4, d3, d2, d1] = self.decoder;
        let side = |channels: usize| conv3x3(channels, 1, 1, device);
        IsNet {
            conv_in: Conv2dConfig::new([self.in_channels, e1[0]], [3, 3])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device),
            stage1: Rsu::new(7, e1, device),
            stage2: Rsu::new(6, e2, device),
            stage3: Rsu::new(5, e3, device),
            stage4: Rsu::new(4, e4, device),
            stage5: Rsu4F::new(e5, device),
            stage6: Rsu4F::new(e6, device),
            stage5d: Rsu4F::new(d5, device),
            stage4d: Rsu::new(4, d4, device),
            stage3d: Rsu::new(5, d3, device),
            stage2d: Rsu::new(6, d2, device),
            stage1d: Rsu::new(7, d1, device),
            side1: side(d1[2]),
        }
    }
}

/// The ISNet segmentation network. `forward` maps `[batch, 3, H, W]` to a `[batch, 1, H, W]` mask in 0..1.
#[derive(Module, Debug)]
pub struct IsNet {
    pub conv_in: Conv2d,
    pub stage1: Rsu,
    pub stage2: Rsu,
    pub stage3: Rsu,
    pub stage4: Rsu,
    pub stage5: Rsu4F,
    pub stage6: Rsu4F,
    pub stage5d: Rsu4F,
    pub stage4d: Rsu,
    pub stage3d: Rsu,
    pub stage2d: Rsu,
    pub stage1d: Rsu,
    pub side1: Conv2d,
}

impl IsNet {
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [_, _, height, width] = x.dims();
        let hxin = self.conv_in.forward(x);
        let hx1d = if cpu::applies_to(&hxin) {
            match cpu::network::stages(self, hxin) {
                Ok(hx1d) => hx1d,
                Err(hxin) => self.stages(hxin),
            }
        } else {
            self.stages(hxin)
        };
        let d1 = self.side1.forward(hx1d);
        sigmoid(upsample_to(d1, [height, width]))
    }

    /// The same network with every parameter stored in `precision`'s float type; it then computes
    /// in that type for inputs of that type.
    pub fn with_precision(self, precision: Precision) -> Self {
        if precision == Precision::F32 {
            return self;
        }
        self.map(&mut CastParams(precision.dtype()))
    }

    /// Builds the CPU path's transformed filters now instead of at the first forward pass, when the
    /// model lives on the CPU. Call after loading the weights. Builds the F(4×4) form, which every
    /// layer takes at the trained size but the dilation-8 one of the 16×16 stage; that layer's
    /// F(2×2) form (4 MB) is built when first used.
    pub fn prepare(&self) {
        if self.conv_in.weight.device() != Device::flex() {
            return;
        }
        let mut layers: Vec<&RebnConv> = Vec::new();
        for block in [
            &self.stage1,
            &self.stage2,
            &self.stage3,
            &self.stage4,
            &self.stage4d,
            &self.stage3d,
            &self.stage2d,
            &self.stage1d,
        ] {
            layers.push(&block.rebnconvin);
            layers.extend(block.down.iter().chain(&block.up));
        }
        for block in [&self.stage5, &self.stage6, &self.stage5d] {
            layers.extend([
                &block.rebnconvin,
                &block.rebnconv1,
                &block.rebnconv2,
                &block.rebnconv3,
                &block.rebnconv4,
                &block.rebnconv3d,
                &block.rebnconv2d,
                &block.rebnconv1d,
            ]);
        }
        layers.par_iter().for_each(|layer| {
            layer.cpu_filter(Tile::F4);
        });
    }

    /// The encoder and decoder stages on burn's tensors: stem output in, stage 1d's output out.
    fn stages(&self, hxin: Tensor<4>) -> Tensor<4> {
        let hx1 = self.stage1.forward(hxin);
        let hx2 = self.stage2.forward(pool(hx1.clone()));
        let hx3 = self.stage3.forward(pool(hx2.clone()));
        let hx4 = self.stage4.forward(pool(hx3.clone()));
        let hx5 = self.stage5.forward(pool(hx4.clone()));
        let hx6 = self.stage6.forward(pool(hx5.clone()));

        let hx5d = self.stage5d.forward(cat_up(hx6, hx5));
        let hx4d = self.stage4d.forward(cat_up(hx5d, hx4));
        let hx3d = self.stage3d.forward(cat_up(hx4d, hx3));
        let hx2d = self.stage2d.forward(cat_up(hx3d, hx2));
        self.stage1d.forward(cat_up(hx2d, hx1))
    }
}

/// Casts every float parameter.
struct CastParams(FloatDType);

impl ModuleMapper for CastParams {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|tensor| tensor.cast(self.0))
    }
}

/// Conv 3×3 (dilated by `dilation`, padded to keep the size) + ReLU: the folded "REBNCONV".
/// On a CPU device the network's CPU path runs it as a Winograd convolution ([`crate::cpu`]) whose
/// transformed filter is built from `conv_s1` at the first forward pass (so load the weights first,
/// then run).
#[derive(Module, Debug)]
pub struct RebnConv {
    pub conv_s1: Conv2d,
    /// One per [`Tile`] size, built on first use.
    #[module(skip)]
    cpu_filters: [OnceLock<Option<Arc<Filter>>>; 2],
}

impl RebnConv {
    fn new(in_channels: usize, out_channels: usize, dilation: usize, device: &Device) -> Self {
        Self {
            conv_s1: conv3x3(in_channels, out_channels, dilation, device),
            cpu_filters: [OnceLock::new(), OnceLock::new()],
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [_, _, height, width] = x.dims();
        let [out_channels, in_channels, _, _] = self.conv_s1.weight.dims();
        let shape = [
            in_channels,
            out_channels,
            self.conv_s1.dilation[0],
            height,
            width,
        ];
        profile::layer(shape, || relu(self.conv_s1.forward(x)))
    }

    /// The dilation of `conv_s1`.
    pub(crate) fn dilation(&self) -> usize {
        self.conv_s1.dilation[0]
    }

    /// The Winograd form of `conv_s1` for `tile`, built once; `None` if its weights cannot be read
    /// as f32.
    pub(crate) fn cpu_filter(&self, tile: Tile) -> Option<&Filter> {
        self.cpu_filters[tile.index()]
            .get_or_init(|| {
                let conv = &self.conv_s1;
                let [out_channels, in_channels, _, _] = conv.weight.dims();
                let weight = conv.weight.val().into_data().try_to_vec::<f32>().ok()?;
                let bias = match &conv.bias {
                    Some(bias) => bias.val().into_data().try_to_vec::<f32>().ok()?,
                    None => vec![0.0; out_channels],
                };
                Some(Arc::new(Filter::new(
                    &weight,
                    &bias,
                    in_channels,
                    out_channels,
                    conv.dilation[0],
                    tile,
                )))
            })
            .as_deref()
    }
}

/// A residual U-block of height `L` (RSU7…RSU4): an encoder of `L - 1` convolutions with a pool
/// between each, a dilated bottom, a decoder that upsamples and concatenates, plus the input branch.
/// `rebnconv1..L` go down, `rebnconv(L-1)d..1d` come up.
#[derive(Module, Debug)]
pub struct Rsu {
    pub rebnconvin: RebnConv,
    pub down: Vec<RebnConv>,
    pub up: Vec<RebnConv>,
}

impl Rsu {
    fn new(height: usize, [in_ch, mid_ch, out_ch]: [usize; 3], device: &Device) -> Self {
        let rebnconvin = RebnConv::new(in_ch, out_ch, 1, device);
        // rebnconv1 … rebnconv(L-1) at dilation 1, then rebnconvL at dilation 2.
        let mut down = vec![RebnConv::new(out_ch, mid_ch, 1, device)];
        for _ in 2..height {
            down.push(RebnConv::new(mid_ch, mid_ch, 1, device));
        }
        down.push(RebnConv::new(mid_ch, mid_ch, 2, device));
        // rebnconv(L-1)d … rebnconv2d, then rebnconv1d to the output width.
        let mut up = Vec::new();
        for _ in 2..height {
            up.push(RebnConv::new(mid_ch * 2, mid_ch, 1, device));
        }
        up.push(RebnConv::new(mid_ch * 2, out_ch, 1, device));
        Self {
            rebnconvin,
            down,
            up,
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let hxin = self.rebnconvin.forward(x);
        let levels = self.down.len(); // L
        // Encoder: keep each level's output for the skip connections.
        let mut skips: Vec<Tensor<4>> = Vec::with_capacity(levels);
        let mut hx = hxin.clone();
        for (index, conv) in self.down.iter().enumerate() {
            let input = match index {
                0 => hx,
                // A pool between levels 1…L-1; the dilated bottom sees level L-1 unpooled.
                i if i < levels - 1 => pool(hx),
                _ => hx,
            };
            hx = conv.forward(input);
            skips.push(hx.clone());
        }
        // Decoder: bottom (level L) with level L-1, then upsample and join with each level above.
        let mut skips = skips.into_iter().rev();
        let mut deeper = skips.next().expect("an RSU block has at least two levels");
        for (index, (conv, skip)) in self.up.iter().zip(skips).enumerate() {
            let joined = if index == 0 {
                Tensor::cat(vec![deeper, skip], 1)
            } else {
                cat_up(deeper, skip)
            };
            deeper = conv.forward(joined);
        }
        deeper + hxin
    }
}

/// The flat residual U-block (RSU4F): no pooling; dilations 1, 2, 4, 8 down and 4, 2, 1 up.
#[derive(Module, Debug)]
pub struct Rsu4F {
    pub rebnconvin: RebnConv,
    pub rebnconv1: RebnConv,
    pub rebnconv2: RebnConv,
    pub rebnconv3: RebnConv,
    pub rebnconv4: RebnConv,
    pub rebnconv3d: RebnConv,
    pub rebnconv2d: RebnConv,
    pub rebnconv1d: RebnConv,
}

impl Rsu4F {
    fn new([in_ch, mid_ch, out_ch]: [usize; 3], device: &Device) -> Self {
        Self {
            rebnconvin: RebnConv::new(in_ch, out_ch, 1, device),
            rebnconv1: RebnConv::new(out_ch, mid_ch, 1, device),
            rebnconv2: RebnConv::new(mid_ch, mid_ch, 2, device),
            rebnconv3: RebnConv::new(mid_ch, mid_ch, 4, device),
            rebnconv4: RebnConv::new(mid_ch, mid_ch, 8, device),
            rebnconv3d: RebnConv::new(mid_ch * 2, mid_ch, 4, device),
            rebnconv2d: RebnConv::new(mid_ch * 2, mid_ch, 2, device),
            rebnconv1d: RebnConv::new(mid_ch * 2, out_ch, 1, device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let hxin = self.rebnconvin.forward(x);
        let hx1 = self.rebnconv1.forward(hxin.clone());
        let hx2 = self.rebnconv2.forward(hx1.clone());
        let hx3 = self.rebnconv3.forward(hx2.clone());
        let hx4 = self.rebnconv4.forward(hx3.clone());
        let hx3d = self.rebnconv3d.forward(Tensor::cat(vec![hx4, hx3], 1));
        let hx2d = self.rebnconv2d.forward(Tensor::cat(vec![hx3d, hx2], 1));
        let hx1d = self.rebnconv1d.forward(Tensor::cat(vec![hx2d, hx1], 1));
        hx1d + hxin
    }
}

fn conv3x3(in_channels: usize, out_channels: usize, dilation: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([in_channels, out_channels], [3, 3])
        .with_dilation([dilation, dilation])
        .with_padding(PaddingConfig2d::Explicit(
            dilation, dilation, dilation, dilation,
        ))
        .init(device)
}

/// 2×2 max pool, stride 2, ceil mode (odd sizes keep their last row and column).
fn pool(x: Tensor<4>) -> Tensor<4> {
    max_pool2d(x, MaxPoolOptions::new([2, 2]).with_ceil_mode(true))
}

/// Bilinear resize with half-pixel centres (PyTorch's `align_corners=False`), no antialiasing. The
/// pipeline's pre- and post-processing resize with it too.
pub(crate) fn upsample_to(x: Tensor<4>, size: [usize; 2]) -> Tensor<4> {
    let [_, _, height, width] = x.dims();
    if [height, width] == size {
        return x;
    }
    interpolate(
        x,
        InterpolateOptions::new(InterpolateMode::Bilinear)
            .with_align_corners(false)
            .with_output_size(size),
    )
}

/// Upsamples the deeper feature map to its skip's size and joins them along channels.
fn cat_up(deeper: Tensor<4>, skip: Tensor<4>) -> Tensor<4> {
    let [_, _, height, width] = skip.dims();
    Tensor::cat(vec![upsample_to(deeper, [height, width]), skip], 1)
}
