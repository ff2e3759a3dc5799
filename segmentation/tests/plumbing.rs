//! The network's plumbing on a tiny random-weight ISNet: any input size, masks in 0..1 at the input's
//! size, and weights that go through the ONNX reader and the loader land where they belong.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::tensor::{Device, Distribution, Tensor};
use prost::Message;
use segmentation::isnet::{IsNet, IsNetConfig, RebnConv};
use segmentation::onnx::{GraphProto, ModelProto, NodeProto, TensorProto, read_conv_weights};
use segmentation::{Error, weights};

fn input(height: usize, width: usize, device: &Device) -> Tensor<4> {
    Tensor::random(
        [1, 3, height, width],
        Distribution::Uniform(-0.5, 0.5),
        device,
    )
}

#[test]
fn any_input_size_gives_a_mask_of_that_size_in_zero_to_one() {
    let device = Device::default();
    let model = IsNetConfig::tiny().init(&device);
    for (height, width) in [(64, 64), (37, 53), (96, 40)] {
        let mask = model.forward(input(height, width, &device));
        assert_eq!(mask.dims(), [1, 1, height, width]);
        let values: Vec<f32> = mask.into_data().try_to_vec::<f32>().expect("f32 mask");
        assert!(
            values.iter().all(|v| (0.0..=1.0).contains(v)),
            "sigmoid output"
        );
    }
}

#[test]
fn the_published_widths_add_up_to_44_million_parameters() {
    let device = Device::default();
    let params = IsNetConfig::dis().init(&device).num_params();
    assert!((43_900_000..44_100_000).contains(&params), "{params}");
}

/// Every convolution of a model as (ONNX node name, weight, bias), in the published naming.
fn onnx_convs(model: &IsNet) -> Vec<(String, Conv2d)> {
    let mut convs = vec![("/conv_in/Conv".to_string(), model.conv_in.clone())];
    let rsu = |path: &str, block: &segmentation::isnet::Rsu, out: &mut Vec<(String, Conv2d)>| {
        let push = |out: &mut Vec<(String, Conv2d)>, name: String, conv: &RebnConv| {
            out.push((format!("/{path}/{name}/conv_s1/Conv"), conv.conv_s1.clone()));
        };
        push(out, "rebnconvin".into(), &block.rebnconvin);
        let height = block.down.len();
        for (i, conv) in block.down.iter().enumerate() {
            push(out, format!("rebnconv{}", i + 1), conv);
        }
        for (j, conv) in block.up.iter().enumerate() {
            push(out, format!("rebnconv{}d", height - 1 - j), conv);
        }
    };
    let rsu4f =
        |path: &str, block: &segmentation::isnet::Rsu4F, out: &mut Vec<(String, Conv2d)>| {
            for (name, conv) in [
                ("rebnconvin", &block.rebnconvin),
                ("rebnconv1", &block.rebnconv1),
                ("rebnconv2", &block.rebnconv2),
                ("rebnconv3", &block.rebnconv3),
                ("rebnconv4", &block.rebnconv4),
                ("rebnconv3d", &block.rebnconv3d),
                ("rebnconv2d", &block.rebnconv2d),
                ("rebnconv1d", &block.rebnconv1d),
            ] {
                out.push((format!("/{path}/{name}/conv_s1/Conv"), conv.conv_s1.clone()));
            }
        };
    rsu("stage1", &model.stage1, &mut convs);
    rsu("stage2", &model.stage2, &mut convs);
    rsu("stage3", &model.stage3, &mut convs);
    rsu("stage4", &model.stage4, &mut convs);
    rsu4f("stage5", &model.stage5, &mut convs);
    rsu4f("stage6", &model.stage6, &mut convs);
    rsu4f("stage5d", &model.stage5d, &mut convs);
    rsu("stage4d", &model.stage4d, &mut convs);
    rsu("stage3d", &model.stage3d, &mut convs);
    rsu("stage2d", &model.stage2d, &mut convs);
    rsu("stage1d", &model.stage1d, &mut convs);
    convs.push(("/side1/Conv".to_string(), model.side1.clone()));
    convs
}

fn f16_initializer(name: String, tensor: Tensor<4>) -> TensorProto {
    let dims = tensor.dims().iter().map(|&d| d as i64).collect();
    f16_raw(
        name,
        dims,
        tensor.into_data().try_to_vec::<f32>().expect("f32"),
    )
}

fn f16_raw(name: String, dims: Vec<i64>, values: Vec<f32>) -> TensorProto {
    TensorProto {
        dims,
        data_type: 10,
        raw_data: values
            .iter()
            .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
            .collect(),
        name,
        ..Default::default()
    }
}

/// Writes `model` as an ONNX file holding just its Conv nodes, the way the published file names them
/// (anonymous initializers, module paths on the nodes), in shuffled order.
fn as_onnx(model: &IsNet) -> Vec<u8> {
    let mut graph = GraphProto::default();
    for (index, (node_name, conv)) in onnx_convs(model).into_iter().enumerate().rev() {
        let weight = format!("onnx::Conv_{}", 2 * index);
        let bias = format!("onnx::Conv_{}", 2 * index + 1);
        let bias_values: Vec<f32> = conv
            .bias
            .expect("every conv has a bias")
            .val()
            .into_data()
            .try_to_vec::<f32>()
            .expect("f32");
        graph
            .initializer
            .push(f16_initializer(weight.clone(), conv.weight.val()));
        graph.initializer.push(f16_raw(
            bias.clone(),
            vec![bias_values.len() as i64],
            bias_values,
        ));
        graph.node.push(NodeProto {
            input: vec![format!("x{index}"), weight, bias],
            output: vec![format!("y{index}")],
            name: node_name,
            op_type: "Conv".into(),
        });
    }
    ModelProto { graph: Some(graph) }.encode_to_vec()
}

#[test]
fn weights_read_from_onnx_reproduce_the_network() {
    let device = Device::default();
    let config = IsNetConfig::tiny();
    let original = config.init(&device);
    let bytes = as_onnx(&original);

    let convs = read_conv_weights(&bytes).expect("read");
    // 114 convolutions make the mask; the published file has 5 more (side2..side6, training outputs).
    assert_eq!(convs.len(), 2 * 114, "every convolution's weight and bias");
    let loaded = weights::load(&config, &convs, &device).expect("load");

    // Same weights (to f16 precision) → the same mask; a fresh random model differs.
    let x = input(48, 40, &device);
    let expected: Vec<f32> = original
        .forward(x.clone())
        .into_data()
        .try_to_vec::<f32>()
        .expect("f32");
    let got: Vec<f32> = loaded
        .forward(x.clone())
        .into_data()
        .try_to_vec::<f32>()
        .expect("f32");
    let max_diff = expected
        .iter()
        .zip(&got)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(max_diff < 2e-3, "loaded model drifts by {max_diff}");
    let other: Vec<f32> = config
        .init(&device)
        .forward(x)
        .into_data()
        .try_to_vec::<f32>()
        .expect("f32");
    let other_diff = expected
        .iter()
        .zip(&other)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(
        other_diff > max_diff,
        "a different model must give a different mask"
    );
}

#[test]
fn weights_of_the_wrong_shape_are_refused_with_their_name() {
    let device = Device::default();
    let bytes = as_onnx(&IsNetConfig::tiny().init(&device));
    let convs = read_conv_weights(&bytes).expect("read");
    let err =
        weights::load(&IsNetConfig::dis(), &convs, &device).expect_err("tiny weights, big model");
    match err {
        Error::ShapeMismatch {
            name,
            expected,
            found,
        } => {
            assert_eq!(name, "conv_in.weight");
            assert_eq!((expected, found), (vec![64, 3, 3, 3], vec![4, 3, 3, 3]));
        }
        other => panic!("expected a shape mismatch, got {other:?}"),
    }
}
