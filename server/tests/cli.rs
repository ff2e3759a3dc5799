//! The `imgigo` binary as a person runs it: bad configuration stops it with exit code 2 and names
//! the variable; `imgigo migrate` creates the SQLite database in the data folder.

use std::process::Command;

fn imgigo() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_imgigo"));
    for (name, _) in std::env::vars() {
        if name.starts_with("IMGIGO_") || name == "DATABASE_URL" {
            command.env_remove(name);
        }
    }
    command
}

#[test]
fn an_invalid_address_stops_at_start_with_exit_code_2() {
    let output = imgigo()
        .env("IMGIGO_ADDR", "not-an-address")
        .arg("serve")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("IMGIGO_ADDR"), "{stderr}");
    assert!(stderr.contains("not-an-address"), "{stderr}");
}

#[test]
fn an_invalid_log_filter_names_its_variable() {
    let output = imgigo()
        .env("IMGIGO_LOG", "info,=[[")
        .arg("migrate")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("IMGIGO_LOG"));
}

#[test]
fn an_unknown_database_url_names_database_url() {
    let output = imgigo()
        .env("DATABASE_URL", "mongodb://x/y")
        .arg("migrate")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("DATABASE_URL"));
}

#[test]
fn migrate_creates_the_sqlite_database_in_the_data_folder() {
    let dir = tempfile::tempdir().expect("temp");
    let data = dir.path().join("data");
    let output = imgigo()
        .env("IMGIGO_DATA_DIR", &data)
        .arg("migrate")
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(data.join("imgigo.db").is_file());
}

#[test]
fn help_lists_the_subcommands() {
    let output = imgigo().arg("--help").output().expect("run");
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("serve") && stdout.contains("migrate"),
        "{stdout}"
    );
}
