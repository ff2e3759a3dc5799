//! Puts published weights into an [`IsNet`]: the explicit map from this crate's module fields to the
//! ONNX module paths, with a shape check on every tensor.

use burn::module::Param;
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
