//! Replays the upload fuzz target's inputs (`fuzz/`, see its README) through the same calls the
//! target makes: every crash the fuzzer found (`fuzz/regressions/upload_decode/`) must now be a
//! clean error, and no seed (`fuzz/seeds/upload_decode/`) may panic.

use std::path::{Path, PathBuf};

#[path = "../../fuzz/common/upload_input.rs"]
mod upload_input;

fn inputs(folder: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(folder);
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file() && path.file_name().is_some_and(|n| n != ".gitkeep"))
        .map(|path| {
            let bytes =
                std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            (path, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn crashes_found_by_fuzzing_are_clean_errors() {
    for (path, bytes) in inputs("regressions/upload_decode") {
        let outcome = std::panic::catch_unwind(|| upload_input::run(&bytes));
        match outcome {
            Err(_) => panic!("{} still panics", path.display()),
            Ok(Ok(size)) => panic!("{} was accepted as {size:?}", path.display()),
            Ok(Err(err)) => assert!(
                !err.public_message().is_empty(),
                "{}: an error without a message",
                path.display()
            ),
        }
    }
}

#[test]
fn fuzz_seeds_decode_or_fail_cleanly() {
    let seeds = inputs("seeds/upload_decode");
    assert!(!seeds.is_empty(), "the upload seeds are missing");
    let mut decoded = 0;
    for (path, bytes) in seeds {
        match std::panic::catch_unwind(|| upload_input::run(&bytes)) {
            Err(_) => panic!("{} panics", path.display()),
            Ok(Ok(_)) => decoded += 1,
            Ok(Err(_)) => {}
        }
    }
    assert!(
        decoded > 0,
        "no seed decodes: the seeds no longer reach the decoders"
    );
}
