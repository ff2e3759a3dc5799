//! Replays the form reader fuzz target's inputs (`fuzz/`, see its README) through the same request
//! the target builds (`fuzz/common/form_input.rs`): every crash the fuzzer found
//! (`fuzz/regressions/form_reader/`) must now be a clean error or a form within the bounds, and
//! the hand-written seeds (`fuzz/seeds/form_reader/`) must be read as they were written.

use std::path::{Path, PathBuf};

use server::api::form::{self, Form};
use services::{Error, ErrorKind};

#[path = "../../fuzz/common/form_input.rs"]
mod form_input;

fn inputs(folder: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(folder);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file() && path.file_name().is_some_and(|n| n != ".gitkeep"))
        .map(|path: PathBuf| {
            let bytes =
                std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            (path.display().to_string(), bytes)
        })
        .collect();
    files.sort();
    files
}

/// Reads one input in a task of its own, so a panic is reported as this input's, not the test's.
async fn read(name: &str, data: Vec<u8>) -> Result<(Form, usize), Error> {
    let (request, query, max_bytes) = form_input::request(&data).expect("a non-empty input");
    let task = tokio::spawn(async move {
        form::read(request, query, max_bytes, &form_input::FIELDS)
            .await
            .map(|form| (form, max_bytes))
    });
    match task.await {
        Ok(result) => result,
        Err(err) => panic!("{name} panics in form::read: {err}"),
    }
}

#[tokio::test]
async fn crashes_found_by_fuzzing_are_clean_errors() {
    for (name, data) in inputs("regressions/form_reader") {
        match read(&name, data).await {
            Ok((form, max_bytes)) => form_input::check(&form, max_bytes),
            Err(err) => assert!(
                !err.public_message().is_empty(),
                "{name}: an error without a message"
            ),
        }
    }
}

#[tokio::test]
async fn seeds_are_read_as_written() {
    let seeds = inputs("seeds/form_reader");
    assert!(seeds.len() >= 10, "the form seeds are missing");
    let png = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../services/tests/corpus/one-pixel.png"),
    )
    .expect("one-pixel.png");
    for (name, data) in seeds {
        let file = Path::new(&name)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let outcome = read(&name, data).await;
        let expected_error = match file.as_str() {
            "multipart-too-large" | "raw-too-large" => Some(ErrorKind::TooLarge),
            "unsupported" => Some(ErrorKind::UnsupportedMedia),
            "json-not-object" | "json-bad-b64" | "multipart-no-name" | "multipart-unterminated" => {
                Some(ErrorKind::BadRequest)
            }
            _ => None,
        };
        match (outcome, expected_error) {
            (Err(err), Some(kind)) => assert_eq!(err.kind(), kind, "{file}: {err}"),
            (Err(err), None) => panic!("{file} was refused: {err}"),
            (Ok(_), Some(kind)) => panic!("{file} was accepted; expected {kind:?}"),
            (Ok((form, max_bytes)), None) => {
                form_input::check(&form, max_bytes);
                assert_eq!(
                    form.field("position"),
                    Some("original"),
                    "{file}: the query"
                );
                let photo = ["image_file", "image", "image_file_b64"]
                    .iter()
                    .find_map(|n| form.files.get(*n))
                    .unwrap_or_else(|| panic!("{file}: no photo"));
                assert_eq!(
                    photo.as_slice(),
                    png.as_slice(),
                    "{file}: the photo's bytes"
                );
            }
        }
    }
}
