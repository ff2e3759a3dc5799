//! The network's forward pass on the CPU path: the same graph as [`IsNet::forward`], with every
//! RSU stage on [`Feature`] maps and Winograd convolutions. The stem (`conv_in`, stride 2), the side
//! output and the final upsampling + sigmoid stay on burn (a few percent of the work); concatenations are never materialised
//! (a convolution reads its inputs side by side) and the residual adds are fused into the last
//! convolution of each block.

use burn::tensor::{Tensor, TensorData};

use super::feature::Feature;
use super::winograd::{Inputs, Tile};
use crate::isnet::{IsNet, RebnConv, Rsu, Rsu4F};
use crate::profile;

/// The RSU stages for the stem's output `[batch, 64, h, w]`: returns stage 1d's output, or the
/// stem back when a convolution's weights cannot be read as f32 (burn's path then takes over).
// The error hands the stem back by value, once per pass: its size does not matter.
#[allow(clippy::result_large_err)]
pub(crate) fn stages(model: &IsNet, stem: Tensor<4>) -> Result<Tensor<4>, Tensor<4>> {
    let device = stem.device();
    let [batch, channels, h, w] = stem.dims();
    let data = stem.into_data();
    let Ok(values) = data.as_slice::<f32>() else {
        return Err(Tensor::from_data(data, &device));
    };
    let mut outputs = Vec::with_capacity(batch);
    for image in values.chunks(channels * h * w) {
        match image_stages(model, Inputs::new(vec![(image, channels)], h, w)) {
            Some(hx1d) => outputs.push(hx1d),
            None => return Err(Tensor::from_data(data, &device)),
        }
    }
    let shape = match outputs.first() {
        Some(first) => [batch, first.channels, first.height, first.width],
        None => return Err(Tensor::from_data(data, &device)),
    };
    let joined = if batch == 1 {
        outputs
            .pop()
            .map(|only| only.data.into_vec())
            .unwrap_or_default()
    } else {
        outputs
            .iter()
            .flat_map(|output| output.data.iter().copied())
            .collect()
    };
    Ok(Tensor::from_data(TensorData::new(joined, shape), &device))
}

fn image_stages(model: &IsNet, x: Inputs<'_>) -> Option<Feature> {
    let hx1 = rsu(&model.stage1, x)?;
    let hx2 = rsu(&model.stage2, whole(&hx1.pool()))?;
    let hx3 = rsu(&model.stage3, whole(&hx2.pool()))?;
    let hx4 = rsu(&model.stage4, whole(&hx3.pool()))?;
    let hx5 = rsu4f(&model.stage5, whole(&hx4.pool()))?;
    let hx6 = rsu4f(&model.stage6, whole(&hx5.pool()))?;

    let up = hx6.upsample(hx5.height, hx5.width);
    let hx5d = rsu4f(&model.stage5d, pair(&up, &hx5))?;
    let up = hx5d.upsample(hx4.height, hx4.width);
    let hx4d = rsu(&model.stage4d, pair(&up, &hx4))?;
    let up = hx4d.upsample(hx3.height, hx3.width);
    let hx3d = rsu(&model.stage3d, pair(&up, &hx3))?;
    let up = hx3d.upsample(hx2.height, hx2.width);
    let hx2d = rsu(&model.stage2d, pair(&up, &hx2))?;
    let up = hx2d.upsample(hx1.height, hx1.width);
    rsu(&model.stage1d, pair(&up, &hx1))
}

fn rsu(block: &Rsu, x: Inputs<'_>) -> Option<Feature> {
    let hxin = conv(&block.rebnconvin, &x, None)?;
    let levels = block.down.len();
    let mut skips: Vec<Feature> = Vec::with_capacity(levels);
    for (index, layer) in block.down.iter().enumerate() {
        let next = match (index, skips.last()) {
            (0, _) => conv(layer, &whole(&hxin), None)?,
            (i, Some(previous)) if i < levels - 1 => conv(layer, &whole(&previous.pool()), None)?,
            (_, Some(previous)) => conv(layer, &whole(previous), None)?,
            (_, None) => return None,
        };
        skips.push(next);
    }
    let bottom = skips.pop()?;
    let mut deeper = bottom;
    let ups = block.up.len();
    for (index, layer) in block.up.iter().enumerate() {
        let skip = skips.pop()?;
        let residual = (index + 1 == ups).then_some(&hxin);
        deeper = if index == 0 {
            conv(layer, &pair(&deeper, &skip), residual)?
        } else {
            let up = deeper.upsample(skip.height, skip.width);
            conv(layer, &pair(&up, &skip), residual)?
        };
    }
    Some(deeper)
}

fn rsu4f(block: &Rsu4F, x: Inputs<'_>) -> Option<Feature> {
    let hxin = conv(&block.rebnconvin, &x, None)?;
    let hx1 = conv(&block.rebnconv1, &whole(&hxin), None)?;
    let hx2 = conv(&block.rebnconv2, &whole(&hx1), None)?;
    let hx3 = conv(&block.rebnconv3, &whole(&hx2), None)?;
    let hx4 = conv(&block.rebnconv4, &whole(&hx3), None)?;
    let hx3d = conv(&block.rebnconv3d, &pair(&hx4, &hx3), None)?;
    let hx2d = conv(&block.rebnconv2d, &pair(&hx3d, &hx2), None)?;
    conv(&block.rebnconv1d, &pair(&hx2d, &hx1), Some(&hxin))
}

/// One Conv+ReLU (+ residual) into a new map.
fn conv(layer: &RebnConv, x: &Inputs<'_>, residual: Option<&Feature>) -> Option<Feature> {
    let filter = layer.cpu_filter(Tile::for_map(x.height, x.width, layer.dilation()))?;
    let shape = [
        filter.in_channels(),
        filter.out_channels(),
        filter.dilation(),
        x.height,
        x.width,
    ];
    Some(profile::layer(shape, || {
        let mut out = Feature::new(filter.out_channels(), x.height, x.width);
        filter.conv_relu(x, residual.map(|r| &r.data[..]), &mut out.data);
        out
    }))
}

fn whole(x: &Feature) -> Inputs<'_> {
    Inputs::new(vec![(&x.data[..], x.channels)], x.height, x.width)
}

/// `cat([a, b], channels)` without the copy.
fn pair<'a>(a: &'a Feature, b: &'a Feature) -> Inputs<'a> {
    Inputs::new(
        vec![(&a.data[..], a.channels), (&b.data[..], b.channels)],
        b.height,
        b.width,
    )
}
