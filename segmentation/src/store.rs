//! The converted weights on disk: a burn-store (Burnpack) file of the whole [`IsNet`], written once by
//! the set-up and read at every start.

use std::path::Path;

use burn::store::{BurnpackStore, ModuleSnapshot};
use burn::tensor::Device;

use crate::Error;
use crate::isnet::{IsNet, IsNetConfig};

/// Writes every parameter of `model` to `path` (replacing an older file).
pub fn save(model: &IsNet, path: &Path) -> Result<(), Error> {
    let fail = |reason: String| Error::Weights {
        path: path.display().to_string(),
        reason,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|err| fail(err.to_string()))?;
    }
    let mut store = BurnpackStore::from_file(path)
        .auto_extension(false)
        .overwrite(true)
        .metadata("source", crate::package::NPM_PACKAGE);
    model
        .save_into(&mut store)
        .map_err(|err| fail(format!("{err:?}")))
}

/// Builds the model for `config` and fills it from `path`. A missing file, a truncated one, or one
/// for another architecture is an error that says how to get the right file.
pub fn load(config: &IsNetConfig, path: &Path, device: &Device) -> Result<IsNet, Error> {
    let fail = |reason: String| Error::Weights {
        path: path.display().to_string(),
        reason,
    };
    if !path.is_file() {
        return Err(fail("the file does not exist".into()));
    }
    let mut model = config.init(device);
    let mut store = BurnpackStore::from_file(path).auto_extension(false);
    let result = model
        .load_from(&mut store)
        .map_err(|err| fail(format!("{err:?}")))?;
    if !result.errors.is_empty() || !result.missing.is_empty() {
        return Err(fail(format!(
            "{} tensors do not fit this model and {} are missing",
            result.errors.len(),
            result.missing.len()
        )));
    }
    Ok(model)
}
