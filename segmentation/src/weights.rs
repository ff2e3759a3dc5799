//! Puts weights into an [`IsNet`]: the published ones through the explicit map from this crate's
//! module fields to the ONNX module paths, with a shape check on every tensor ([`load`]); or
//! deterministic random ones of the same shapes, for measurements that need no weights file
//! ([`random`]).

use burn::module::{Module, ModuleMapper, Param};
use burn::nn::conv::Conv2d;
use burn::tensor::{Device, Tensor, TensorData};

use crate::Error;
use crate::isnet::{IsNet, IsNetConfig, RebnConv, Rsu, Rsu4F};
use crate::onnx::{ConvWeights, Weight};

/// Builds the model for `config` and fills every convolution from `weights`.
pub fn load(config: &IsNetConfig, weights: &ConvWeights, device: &Device) -> Result<IsNet, Error> {
    let mut model = config.init(device);
    let mut loader = Loader { weights, device };
    loader.conv(&mut model.conv_in, "conv_in")?;
    loader.rsu(&mut model.stage1, "stage1")?;
    loader.rsu(&mut model.stage2, "stage2")?;
    loader.rsu(&mut model.stage3, "stage3")?;
    loader.rsu(&mut model.stage4, "stage4")?;
    loader.rsu4f(&mut model.stage5, "stage5")?;
    loader.rsu4f(&mut model.stage6, "stage6")?;
    loader.rsu4f(&mut model.stage5d, "stage5d")?;
    loader.rsu(&mut model.stage4d, "stage4d")?;
    loader.rsu(&mut model.stage3d, "stage3d")?;
    loader.rsu(&mut model.stage2d, "stage2d")?;
    loader.rsu(&mut model.stage1d, "stage1d")?;
    loader.conv(&mut model.side1, "side1")?;
    Ok(model)
}

/// A model of `config`'s shapes whose weights are drawn from `seed`: the same values on every device
/// and machine, so latency and GPU-versus-CPU agreement can be measured anywhere. Not a segmenter.
///
/// Each convolution's weights are uniform with variance `2 / fan_in` (He), which keeps the
/// activations of this ReLU network in a range where f32 and f16 both behave, except the side
/// output's (scaled by `SIDE_GAIN`); biases are uniform in ±[`RANDOM_BIAS`].
pub fn random(config: &IsNetConfig, seed: u64, device: &Device) -> IsNet {
    config.init(device).map(&mut RandomWeights { state: seed })
}

/// Half-width of the random biases.
pub const RANDOM_BIAS: f32 = 0.05;

/// The side output's (the one convolution to a single channel) weights are scaled down by this:
/// with He weights there, the residual blocks' growth leaves 80–90 % of the sigmoid output
/// saturated, where it hides differences; at 1/4 about 98 % of it lies in 0.01..0.99 (measured on
/// the astronaut at 512²), where the sigmoid is most sensitive.
const SIDE_GAIN: f32 = 0.25;

/// Fills parameters in the module's (fixed) field order from a SplitMix64 stream.
struct RandomWeights {
    state: u64,
}

impl RandomWeights {
    /// Uniform in [-1, 1), from the top 24 bits of SplitMix64.
    fn next(&mut self) -> f32 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
}

impl ModuleMapper for RandomWeights {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|tensor| {
            let dims = tensor.dims();
            let bound = if D == 4 {
                let fan_in = dims[1..].iter().product::<usize>().max(1);
                let gain = if dims[0] == 1 { SIDE_GAIN } else { 1.0 };
                (6.0 / fan_in as f32).sqrt() * gain
            } else {
                RANDOM_BIAS
            };
            let count = dims.iter().product();
            let values: Vec<f32> = (0..count).map(|_| self.next() * bound).collect();
            Tensor::from_data(TensorData::new(values, dims), &tensor.device())
        })
    }
}

struct Loader<'a> {
    weights: &'a ConvWeights,
    device: &'a Device,
}

impl Loader<'_> {
    /// `down[i]` is `rebnconv{i+1}`; `up[j]` is `rebnconv{L-1-j}d` for a block of height L.
    fn rsu(&mut self, block: &mut Rsu, path: &str) -> Result<(), Error> {
        self.rebn(&mut block.rebnconvin, &format!("{path}.rebnconvin"))?;
        let height = block.down.len();
        for (index, conv) in block.down.iter_mut().enumerate() {
            self.rebn(conv, &format!("{path}.rebnconv{}", index + 1))?;
        }
        for (index, conv) in block.up.iter_mut().enumerate() {
            self.rebn(conv, &format!("{path}.rebnconv{}d", height - 1 - index))?;
        }
        Ok(())
    }

    fn rsu4f(&mut self, block: &mut Rsu4F, path: &str) -> Result<(), Error> {
        for (conv, name) in [
            (&mut block.rebnconvin, "rebnconvin"),
            (&mut block.rebnconv1, "rebnconv1"),
            (&mut block.rebnconv2, "rebnconv2"),
            (&mut block.rebnconv3, "rebnconv3"),
            (&mut block.rebnconv4, "rebnconv4"),
            (&mut block.rebnconv3d, "rebnconv3d"),
            (&mut block.rebnconv2d, "rebnconv2d"),
            (&mut block.rebnconv1d, "rebnconv1d"),
        ] {
            self.rebn(conv, &format!("{path}.{name}"))?;
        }
        Ok(())
    }

    fn rebn(&mut self, block: &mut RebnConv, path: &str) -> Result<(), Error> {
        self.conv(&mut block.conv_s1, &format!("{path}.conv_s1"))
    }

    fn conv(&mut self, conv: &mut Conv2d, path: &str) -> Result<(), Error> {
        let weight = self.tensor::<4>(&format!("{path}.weight"), &conv.weight.dims())?;
        conv.weight = Param::from_tensor(weight);
        if let Some(bias) = conv.bias.as_mut() {
            let loaded = self.tensor::<1>(&format!("{path}.bias"), &bias.dims())?;
            *bias = Param::from_tensor(loaded);
        }
        Ok(())
    }

    fn tensor<const D: usize>(
        &self,
        name: &str,
        expected: &[usize; D],
    ) -> Result<Tensor<D>, Error> {
        let Weight { shape, values } = self
            .weights
            .get(name)
            .ok_or_else(|| Error::MissingWeight(name.to_string()))?;
        if shape.as_slice() != expected.as_slice() {
            return Err(Error::ShapeMismatch {
                name: name.to_string(),
                expected: expected.to_vec(),
                found: shape.clone(),
            });
        }
        Ok(Tensor::from_data(
            TensorData::new(values.clone(), shape.clone()),
            self.device,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(model: &IsNet) -> Vec<Vec<f32>> {
        let conv = |conv: &Conv2d| {
            let mut values: Vec<f32> = conv.weight.val().into_data().iter::<f32>().collect();
            if let Some(bias) = &conv.bias {
                values.extend(bias.val().into_data().iter::<f32>());
            }
            values
        };
        vec![
            conv(&model.conv_in),
            conv(&model.stage3.down[1].conv_s1),
            conv(&model.stage5d.rebnconv2d.conv_s1),
            conv(&model.side1),
        ]
    }

    #[test]
    fn random_weights_depend_on_the_seed_alone_and_stay_in_their_bounds() {
        let device = Device::flex();
        let config = IsNetConfig::tiny();
        let first = values(&random(&config, 7, &device));
        assert_eq!(first, values(&random(&config, 7, &device)));
        assert_ne!(first, values(&random(&config, 8, &device)));

        let model = random(&config, 7, &device);
        let [_, in_channels, kh, kw] = model.conv_in.weight.dims();
        let bound = (6.0 / (in_channels * kh * kw) as f32).sqrt();
        let weights: Vec<f32> = model
            .conv_in
            .weight
            .val()
            .into_data()
            .iter::<f32>()
            .collect();
        assert!(weights.iter().all(|w| w.abs() <= bound), "bound {bound}");
        // Not degenerate: the values spread over most of the range.
        let spread = weights.iter().fold(0.0f32, |m, w| m.max(w.abs()));
        assert!(spread > bound * 0.8, "largest {spread} of {bound}");
        let bias: Vec<f32> = model
            .conv_in
            .bias
            .as_ref()
            .expect("every convolution has a bias")
            .val()
            .into_data()
            .iter::<f32>()
            .collect();
        assert!(bias.iter().all(|b| b.abs() <= RANDOM_BIAS));
    }
}
