//! A reader for the parts of an ONNX file this model needs: every `Conv` node's weight and bias,
//! named by the node's module path (`/stage1/rebnconvin/conv_s1/Conv` → `stage1.rebnconvin.conv_s1`).
//!
//! Only the few protobuf fields used are declared (field numbers from `onnx.proto`); everything else
//! in the file is skipped by the decoder. FLOAT16 weights are widened to f32.

use std::collections::BTreeMap;

use prost::Message;

use crate::Error;

#[derive(Clone, PartialEq, Message)]
pub struct ModelProto {
    #[prost(message, optional, tag = "7")]
    pub graph: Option<GraphProto>,
}

#[derive(Clone, PartialEq, Message)]
pub struct GraphProto {
    #[prost(message, repeated, tag = "1")]
    pub node: Vec<NodeProto>,
    #[prost(message, repeated, tag = "5")]
    pub initializer: Vec<TensorProto>,
}

#[derive(Clone, PartialEq, Message)]
pub struct NodeProto {
    #[prost(string, repeated, tag = "1")]
    pub input: Vec<String>,
    #[prost(string, repeated, tag = "2")]
    pub output: Vec<String>,
    #[prost(string, tag = "3")]
    pub name: String,
    #[prost(string, tag = "4")]
    pub op_type: String,
}

#[derive(Clone, PartialEq, Message)]
pub struct TensorProto {
    #[prost(int64, repeated, tag = "1")]
    pub dims: Vec<i64>,
    #[prost(int32, tag = "2")]
    pub data_type: i32,
    #[prost(float, repeated, tag = "4")]
    pub float_data: Vec<f32>,
    #[prost(int32, repeated, tag = "5")]
    pub int32_data: Vec<i32>,
    #[prost(string, tag = "8")]
    pub name: String,
    #[prost(bytes = "vec", tag = "9")]
    pub raw_data: Vec<u8>,
}

const FLOAT: i32 = 1;
const FLOAT16: i32 = 10;

/// A dense f32 tensor read from the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Weight {
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

/// Parameter name (`stage1.rebnconvin.conv_s1.weight`) → weight, for every Conv node.
pub type ConvWeights = BTreeMap<String, Weight>;

/// Reads every Conv node's weight and bias from an ONNX file's bytes.
pub fn read_conv_weights(bytes: &[u8]) -> Result<ConvWeights, Error> {
    let model = ModelProto::decode(bytes).map_err(|err| Error::Onnx(err.to_string()))?;
    let graph = model
        .graph
        .ok_or_else(|| Error::Onnx("the file holds no graph".into()))?;
    let initializers: BTreeMap<&str, &TensorProto> = graph
        .initializer
        .iter()
        .map(|tensor| (tensor.name.as_str(), tensor))
        .collect();

    let mut weights = ConvWeights::new();
    for node in graph.node.iter().filter(|node| node.op_type == "Conv") {
        let module = module_path(&node.name).ok_or_else(|| {
            Error::Onnx(format!("a Conv node has no module path: {:?}", node.name))
        })?;
        for (slot, suffix) in [(1, "weight"), (2, "bias")] {
            let Some(input) = node.input.get(slot).filter(|name| !name.is_empty()) else {
                continue;
            };
            let tensor = initializers
                .get(input.as_str())
                .ok_or_else(|| Error::MissingWeight(format!("{module}.{suffix}")))?;
            weights.insert(format!("{module}.{suffix}"), to_weight(tensor)?);
        }
    }
    Ok(weights)
}

/// `/stage1/rebnconvin/conv_s1/Conv` → `stage1.rebnconvin.conv_s1`.
fn module_path(node_name: &str) -> Option<String> {
    let path = node_name.strip_prefix('/')?.strip_suffix("/Conv")?;
    (!path.is_empty()).then(|| path.replace('/', "."))
}

fn to_weight(tensor: &TensorProto) -> Result<Weight, Error> {
    let shape = tensor
        .dims
        .iter()
        .map(|&d| {
            usize::try_from(d)
                .map_err(|_| Error::Onnx(format!("{}: negative dimension", tensor.name)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let count: usize = shape.iter().product();
    let values: Vec<f32> = match tensor.data_type {
        FLOAT if !tensor.raw_data.is_empty() => tensor
            .raw_data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        FLOAT => tensor.float_data.clone(),
        FLOAT16 if !tensor.raw_data.is_empty() => tensor
            .raw_data
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        // Without raw_data, ONNX stores each f16's bits in the low half of an int32.
        FLOAT16 => tensor
            .int32_data
            .iter()
            .map(|&bits| half::f16::from_bits(bits as u16).to_f32())
            .collect(),
        other => {
            return Err(Error::Onnx(format!(
                "{}: unsupported element type {other} (expected FLOAT or FLOAT16)",
                tensor.name
            )));
        }
    };
    if values.len() != count {
        return Err(Error::Onnx(format!(
            "{}: {} values for shape {shape:?}",
            tensor.name,
            values.len()
        )));
    }
    Ok(Weight { shape, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f16_tensor(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
        TensorProto {
            dims: dims.to_vec(),
            data_type: FLOAT16,
            raw_data: values
                .iter()
                .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
                .collect(),
            name: name.into(),
            ..Default::default()
        }
    }

    fn conv(name: &str, inputs: &[&str]) -> NodeProto {
        NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![format!("{name}_out")],
            name: name.into(),
            op_type: "Conv".into(),
        }
    }

    #[test]
    fn conv_weights_are_named_by_module_path_and_widened_to_f32() {
        let model = ModelProto {
            graph: Some(GraphProto {
                node: vec![
                    conv(
                        "/stage1/rebnconvin/conv_s1/Conv",
                        &["x", "onnx::Conv_1", "onnx::Conv_2"],
                    ),
                    conv("/side1/Conv", &["y", "side1.weight", "side1.bias"]),
                    NodeProto {
                        name: "/Relu".into(),
                        op_type: "Relu".into(),
                        ..Default::default()
                    },
                ],
                initializer: vec![
                    f16_tensor("onnx::Conv_1", &[2, 1, 1, 1], &[0.5, -2.0]),
                    f16_tensor("onnx::Conv_2", &[2], &[1.0, 0.25]),
                    f16_tensor("side1.weight", &[1, 2, 1, 1], &[3.0, 4.0]),
                    TensorProto {
                        dims: vec![1],
                        data_type: FLOAT,
                        float_data: vec![0.125],
                        name: "side1.bias".into(),
                        ..Default::default()
                    },
                ],
            }),
        };
        let weights = read_conv_weights(&model.encode_to_vec()).unwrap();
        assert_eq!(weights.len(), 4);
        let w = &weights["stage1.rebnconvin.conv_s1.weight"];
        assert_eq!(
            (w.shape.as_slice(), w.values.as_slice()),
            (&[2, 1, 1, 1][..], &[0.5, -2.0][..])
        );
        assert_eq!(
            weights["stage1.rebnconvin.conv_s1.bias"].values,
            vec![1.0, 0.25]
        );
        assert_eq!(weights["side1.weight"].values, vec![3.0, 4.0]);
        assert_eq!(weights["side1.bias"].values, vec![0.125]);
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let err = read_conv_weights(b"definitely not protobuf \xff\xff\xff").unwrap_err();
        assert!(matches!(err, Error::Onnx(_)), "{err:?}");
    }

    #[test]
    fn a_missing_initializer_names_the_parameter() {
        let model = ModelProto {
            graph: Some(GraphProto {
                node: vec![conv("/side2/Conv", &["x", "nowhere", ""])],
                initializer: vec![],
            }),
        };
        let err = read_conv_weights(&model.encode_to_vec()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the model file has no weights for `side2.weight`"
        );
    }
}
