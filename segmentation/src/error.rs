/// Everything that can go wrong while loading or running the model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the model file is not a readable ONNX model: {0}")]
    Onnx(String),
    #[error("the model file has no weights for `{0}`")]
    MissingWeight(String),
    #[error("`{name}` has shape {found:?}, the model expects {expected:?}")]
    ShapeMismatch {
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
}
