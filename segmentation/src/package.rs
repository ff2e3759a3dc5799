//! The published weights: IMG.LY's npm package `@imgly/background-removal-data` splits the ONNX file
//! into 4 MiB chunks named by their sha256; `dist/resources.json` lists them in order. This rebuilds
//! the file and checks it byte for byte against the sha256 the project has verified.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::Error;

/// The npm package and version the weights come from.
pub const NPM_PACKAGE: &str = "@imgly/background-removal-data@1.4.5";
/// The resource holding the fp16 ISNet model.
pub const MEDIUM_RESOURCE: &str = "/models/medium";
/// Size and sha256 of the rebuilt `/models/medium` ONNX file.
pub const MEDIUM_SIZE: usize = 88_188_479;
pub const MEDIUM_SHA256: &str = "b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb";

/// Rebuilds `resource` from an unpacked package folder (the one holding `dist/resources.json`) and
/// checks it against `expected_sha256`.
pub fn assemble(
    package_dir: &Path,
    resource: &str,
    expected_sha256: &str,
) -> Result<Vec<u8>, Error> {
    let dist = package_dir.join("dist");
    let index_path = dist.join("resources.json");
    let index = std::fs::read(&index_path)
        .map_err(|err| Error::Package(format!("{}: {err}", index_path.display())))?;
    let index: serde_json::Value = serde_json::from_slice(&index)
        .map_err(|err| Error::Package(format!("{}: {err}", index_path.display())))?;
    let entry = &index[resource];
    let chunks = entry["chunks"].as_array().ok_or_else(|| {
        Error::Package(format!(
            "{resource} is not listed in {}",
            index_path.display()
        ))
    })?;
    let mut bytes = Vec::with_capacity(entry["size"].as_u64().unwrap_or(0) as usize);
    for chunk in chunks {
        let hash = chunk["hash"]
            .as_str()
            .filter(|h| h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit()));
        let (Some(hash), Some(start), Some(end)) = (
            hash,
            chunk["offsets"][0].as_u64(),
            chunk["offsets"][1].as_u64(),
        ) else {
            return Err(Error::Package(format!(
                "{resource}: a malformed chunk entry: {chunk}"
            )));
        };
        let data = std::fs::read(dist.join(hash))
            .map_err(|err| Error::Package(format!("chunk {hash}: {err}")))?;
        let length = end
            .checked_sub(start)
            .ok_or_else(|| Error::Package(format!("chunk {hash}: bad offsets")))?
            as usize;
        let part = data.get(..length).ok_or_else(|| {
            Error::Package(format!("chunk {hash} is shorter than its offsets say"))
        })?;
        bytes.extend_from_slice(part);
    }
    let digest = format!("{:x}", Sha256::digest(&bytes));
    if digest != expected_sha256 {
        return Err(Error::Checksum {
            expected: expected_sha256.to_string(),
            found: digest,
        });
    }
    Ok(bytes)
}

/// Rebuilds the ONNX model from an unpacked package folder, checks its sha256 and converts its
/// weights (f16 → f32, Conv node path → parameter name) into a Burnpack file at `out`. Returns the
/// number of tensors written. Used by `imgigo weights` (what `make weights` runs).
pub fn convert(package_dir: &Path, out: &Path) -> Result<usize, Error> {
    let bytes = assemble(package_dir, MEDIUM_RESOURCE, MEDIUM_SHA256)?;
    let convs = crate::onnx::read_conv_weights(&bytes)?;
    let device = burn::tensor::Device::default();
    let model = crate::weights::load(&crate::IsNetConfig::dis(), &convs, &device)?;
    crate::store::save(&model, out)?;
    Ok(convs.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(bytes: &[u8]) -> String {
        format!("{:x}", Sha256::digest(bytes))
    }

    /// A package with `content` split into chunks of `chunk` bytes, laid out like IMG.LY's.
    fn fake_package(content: &[u8], chunk: usize) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let dist = dir.path().join("dist");
        std::fs::create_dir_all(&dist).unwrap();
        let mut entries = Vec::new();
        for (index, part) in content.chunks(chunk).enumerate() {
            let name = sha(part);
            std::fs::write(dist.join(&name), part).unwrap();
            let start = index * chunk;
            entries
                .push(serde_json::json!({ "hash": name, "offsets": [start, start + part.len()] }));
        }
        let index =
            serde_json::json!({ "/models/x": { "chunks": entries, "size": content.len() } });
        std::fs::write(dist.join("resources.json"), index.to_string()).unwrap();
        dir
    }

    #[test]
    fn rebuilds_the_file_from_its_chunks_in_order() {
        let content: Vec<u8> = (0..10_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let dir = fake_package(&content, 4096);
        let bytes = assemble(dir.path(), "/models/x", &sha(&content)).unwrap();
        assert_eq!(bytes, content);
    }

    #[test]
    fn a_wrong_checksum_is_refused() {
        let dir = fake_package(b"some model bytes", 4);
        let err = assemble(dir.path(), "/models/x", &sha(b"other bytes")).unwrap_err();
        assert!(matches!(err, Error::Checksum { .. }), "{err:?}");
    }

    #[test]
    fn a_missing_chunk_or_resource_says_what_is_missing() {
        let dir = fake_package(b"abcdefgh", 4);
        let err = assemble(dir.path(), "/models/medium", "00").unwrap_err();
        assert!(
            err.to_string().contains("/models/medium is not listed"),
            "{err}"
        );
        let first = sha(b"abcd");
        std::fs::remove_file(dir.path().join("dist").join(&first)).unwrap();
        let err = assemble(dir.path(), "/models/x", "00").unwrap_err();
        assert!(err.to_string().contains(&first), "{err}");
    }
}
