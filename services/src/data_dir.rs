//! The data folder (`IMGIGO_DATA_DIR`): the SQLite file, the mail outbox, the encrypted result
//! files and `secret.key` live there, so it is created readable by its owner only (0700 on unix).
//! A folder that already exists keeps the mode its operator gave it; a warning says when group or
//! others can read it.

use std::path::Path;

use crate::Error;

/// Creates `dir` (and its parents) owner-only when it is missing; warns when an existing one is
/// open to group or others.
pub fn prepare(dir: &Path) -> Result<(), Error> {
    if dir.is_dir() {
        warn_if_open(dir);
        return Ok(());
    }
    create_private(dir).map_err(|err| {
        Error::Setup(format!(
            "cannot create the data folder {}: {err} (set IMGIGO_DATA_DIR to a folder this user may write)",
            dir.display()
        ))
    })
}

#[cfg(unix)]
fn create_private(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn warn_if_open(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(dir) {
        Ok(meta) if meta.permissions().mode() & 0o077 != 0 => tracing::warn!(
            data_dir = %dir.display(),
            mode = format_args!("{:o}", meta.permissions().mode() & 0o777),
            "the data folder can be read by other users; `chmod 700` it"
        ),
        Ok(_) => {}
        Err(err) => {
            tracing::warn!(data_dir = %dir.display(), error = %err, "cannot read the data folder's mode")
        }
    }
}

#[cfg(not(unix))]
fn warn_if_open(_: &Path) {}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).expect("meta").permissions().mode() & 0o777
    }

    #[test]
    fn a_missing_folder_is_created_owner_only_with_its_parents() {
        let root = tempfile::tempdir().expect("dir");
        let dir = root.path().join("a/b/data");
        prepare(&dir).expect("prepare");
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&root.path().join("a")), 0o700);
    }

    #[test]
    fn an_existing_folder_keeps_its_mode() {
        let root = tempfile::tempdir().expect("dir");
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        prepare(root.path()).expect("prepare");
        assert_eq!(mode(root.path()), 0o755);
    }

    #[test]
    fn a_folder_that_cannot_be_created_is_a_setup_error() {
        let root = tempfile::tempdir().expect("dir");
        let file = root.path().join("file");
        std::fs::write(&file, b"x").expect("write");
        let err = prepare(&file.join("data")).expect_err("under a file");
        assert!(matches!(err, Error::Setup(_)), "{err:?}");
    }
}
