//! The `imgigo` binary as a person runs it: bad configuration stops it with exit code 2 and names
//! the variable; `imgigo migrate` creates the SQLite database in the data folder.

use std::process::{Command, Output};

mod support;

/// Runs `imgigo ARGS` with only the given configuration variables set.
fn imgigo(vars: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_imgigo"));
    for (name, _) in std::env::vars() {
        if name.starts_with("IMGIGO_") || name == "DATABASE_URL" {
            command.env_remove(name);
        }
    }
    command
        .envs(vars.iter().copied())
        .args(args)
        .output()
        .expect("run imgigo")
}

fn assert_config_error(output: &Output, variable: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(variable),
        "the message names {variable}: {stderr}"
    );
}

#[test]
fn an_invalid_address_stops_at_start_with_exit_code_2() {
    let output = imgigo(&[("IMGIGO_ADDR", "not-an-address")], &["serve"]);
    assert_config_error(&output, "IMGIGO_ADDR");
    assert!(String::from_utf8_lossy(&output.stderr).contains("not-an-address"));
}

#[test]
fn an_invalid_flag_value_names_its_variable_too() {
    let output = imgigo(&[], &["--addr", "999.1.1.1:80", "serve"]);
    assert_config_error(&output, "IMGIGO_ADDR");
}

#[test]
fn an_invalid_log_filter_names_its_variable() {
    assert_config_error(
        &imgigo(&[("IMGIGO_LOG", "info,=[[")], &["migrate"]),
        "IMGIGO_LOG",
    );
}

#[test]
fn an_unknown_database_url_names_database_url() {
    let output = imgigo(&[("DATABASE_URL", "mongodb://x/y")], &["migrate"]);
    assert_config_error(&output, "DATABASE_URL");
}

#[test]
fn an_unreadable_or_empty_privacy_policy_stops_at_start_with_exit_code_2() {
    let folder = tempfile::tempdir().expect("folder");
    let missing = folder.path().join("missing.txt").display().to_string();
    let output = imgigo(&[("IMGIGO_PRIVACY_POLICY", &missing)], &["serve"]);
    assert_config_error(&output, "IMGIGO_PRIVACY_POLICY");
    let empty = folder.path().join("empty.txt");
    std::fs::write(&empty, "\n").expect("empty file");
    let empty = empty.display().to_string();
    let output = imgigo(&[], &["--privacy-policy", &empty, "serve"]);
    assert_config_error(&output, "IMGIGO_PRIVACY_POLICY");
    assert!(String::from_utf8_lossy(&output.stderr).contains("empty"));
}

#[test]
fn an_unknown_device_names_imgigo_device() {
    let output = imgigo(&[("IMGIGO_DEVICE", "tpu")], &["serve"]);
    assert_config_error(&output, "IMGIGO_DEVICE");
    assert!(String::from_utf8_lossy(&output.stderr).contains("auto, cpu or gpu"));
}

/// `gpu` never falls back to the CPU: without GPU support the server refuses to start and says why.
#[cfg(not(feature = "wgpu"))]
#[test]
fn serve_with_gpu_requested_but_unavailable_stops_with_a_message() {
    let dir = tempfile::tempdir().expect("temp");
    let data = dir.path().display().to_string();
    for args in [&["serve"][..], &["--device", "gpu", "serve"][..]] {
        let vars: &[(&str, &str)] = if args.len() == 1 {
            &[
                ("IMGIGO_DEVICE", "gpu"),
                ("IMGIGO_DATA_DIR", &data),
                ("IMGIGO_ADDR", "127.0.0.1:0"),
            ]
        } else {
            &[("IMGIGO_DATA_DIR", &data), ("IMGIGO_ADDR", "127.0.0.1:0")]
        };
        let output = imgigo(vars, args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("IMGIGO_DEVICE=gpu"), "{stderr}");
        assert!(stderr.contains("--features wgpu"), "{stderr}");
        assert!(stderr.contains("IMGIGO_DEVICE=cpu"), "{stderr}");
    }
    // Nothing was created: the check comes before the database.
    assert!(!dir.path().join("imgigo.db").exists());
}

#[test]
fn migrate_creates_the_sqlite_database_in_the_data_folder() {
    let dir = tempfile::tempdir().expect("temp");
    let data = dir.path().join("data");
    let data_text = data.display().to_string();
    let output = imgigo(&[("IMGIGO_DATA_DIR", &data_text)], &["migrate"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(data.join("imgigo.db").is_file());
}

#[test]
fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().expect("temp");
    let data_text = dir.path().display().to_string();
    let output = imgigo(
        &[
            ("IMGIGO_DATA_DIR", &data_text),
            ("IMGIGO_LOG_FORMAT", "json"),
        ],
        &["migrate"],
    );
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty(), "migrate logs what it did");
    for line in lines {
        let json: serde_json::Value = serde_json::from_str(line).expect("a JSON log line");
        assert!(
            json["level"].is_string() && json["timestamp"].is_string(),
            "{line}"
        );
    }
    assert!(stderr.contains("migrations applied"));
}

#[test]
fn help_lists_the_subcommands() {
    let output = imgigo(&[], &["--help"]);
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("serve") && stdout.contains("migrate"),
        "{stdout}"
    );
}

#[test]
fn cutout_without_weights_says_how_to_get_them() {
    let dir = tempfile::tempdir().expect("temp");
    let missing = dir.path().join("no-model.bpk");
    let photo = dir.path().join("photo.png");
    image::RgbImage::new(8, 8).save(&photo).expect("photo");
    let out = dir.path().join("out");
    let output = imgigo(
        &[("IMGIGO_MODEL_FILE", &missing.display().to_string())],
        &[
            "cutout",
            &photo.display().to_string(),
            "--out",
            &out.display().to_string(),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("make weights"), "{stderr}");
}

#[test]
fn cutout_refuses_unknown_formats_and_sizes_before_loading_anything() {
    let dir = tempfile::tempdir().expect("temp");
    let out = dir.path().join("out").display().to_string();
    let output = imgigo(&[], &["cutout", "x.png", "--out", &out, "--format", "gif"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("png, webp, jpg, mask"));
    let output = imgigo(&[], &["cutout", "x.png", "--out", &out, "--size", "1000"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("multiple of 32"));
}

/// Runs `imgigo ARGS` with `stdin` as standard input.
fn imgigo_with_input(vars: &[(&str, &str)], args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut command = Command::new(env!("CARGO_BIN_EXE_imgigo"));
    for (name, _) in std::env::vars() {
        if name.starts_with("IMGIGO_") || name == "DATABASE_URL" {
            command.env_remove(name);
        }
    }
    let mut child = command
        .envs(vars.iter().copied())
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run imgigo");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write the password");
    child.wait_with_output().expect("imgigo finishes")
}

#[test]
fn admin_create_bootstraps_one_admin_with_the_password_from_stdin() {
    let data = tempfile::tempdir().expect("data folder");
    let dir = data.path().display().to_string();
    let vars = [("IMGIGO_DATA_DIR", dir.as_str())];
    let args = [
        "admin",
        "create",
        "--email",
        "Root@Example.com",
        "--name",
        "Root",
    ];

    let short = imgigo_with_input(&vars, &args, "short\n");
    assert_eq!(short.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));

    let created = imgigo_with_input(&vars, &args, "a long admin passphrase\n");
    let stdout = String::from_utf8_lossy(&created.stdout);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(
        stdout.contains("Created admin account root@example.com"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("passphrase")
            && !String::from_utf8_lossy(&created.stderr).contains("passphrase")
    );

    let again = imgigo_with_input(&vars, &args, "a long admin passphrase\n");
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));

    // The admin can log in with that password.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let url = format!("sqlite://{}/imgigo.db?mode=rwc", dir);
        let db = services::db::connect(&url).await.expect("db");
        let config = support::config(&[]);
        let app = services::AppState::new(config, db, services::cutout::device::cpu());
        let admin = services::accounts::login::authenticate(
            &app,
            "root@example.com",
            "a long admin passphrase",
            std::net::IpAddr::from([127, 0, 0, 1]),
        )
        .await
        .expect("the admin logs in");
        assert_eq!(admin.role, services::accounts::Role::Admin);
    });
}

#[test]
fn purge_runs_the_retention_jobs_once_and_prints_counts() {
    let data = tempfile::tempdir().expect("data folder");
    let dir = data.path().display().to_string();
    let output = imgigo(&[("IMGIGO_DATA_DIR", dir.as_str())], &["purge"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(
            "purged: 0 expired results, 0 sessions, 0 mailed links, 0 unconfirmed accounts, 0 closed requests, 0 outbox mails, 0 delivered or given-up mail rows"
        ),
        "{stdout}"
    );
}

/// Runs `imgigo ARGS` like [`imgigo`], but gives up after a minute: a server that should have
/// refused to start would otherwise serve forever.
#[cfg(unix)]
fn imgigo_within_a_minute(vars: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_imgigo"));
    for (name, _) in std::env::vars() {
        if name.starts_with("IMGIGO_") || name == "DATABASE_URL" {
            command.env_remove(name);
        }
    }
    let mut child = command
        .envs(vars.iter().copied())
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run imgigo");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().expect("kill");
            let output = child.wait_with_output().expect("output");
            panic!(
                "imgigo {args:?} kept running: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("meta").permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn serve_refuses_a_secret_key_others_can_read_with_exit_code_2() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp");
    let secret = dir.path().join("secret.key");
    std::fs::write(&secret, [7u8; 32]).expect("write");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let data = dir.path().display().to_string();
    let output = imgigo_within_a_minute(
        &[("IMGIGO_DATA_DIR", &data), ("IMGIGO_ADDR", "127.0.0.1:0")],
        &["serve"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("can be read by other users")
            && stderr.contains(&format!("chmod 600 {}", secret.display())),
        "the message says what to do: {stderr}"
    );
    assert_eq!(
        mode(&secret),
        0o644,
        "left as it was, for the operator to see"
    );
}

#[cfg(unix)]
#[test]
fn serve_creates_a_fresh_data_folder_owner_only() {
    let dir = tempfile::tempdir().expect("temp");
    let data = dir.path().join("new/data");
    let data_text = data.display().to_string();
    // A port that is taken: the server prepares everything, then cannot listen and exits.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("address").to_string();
    let output = imgigo_within_a_minute(
        &[
            ("IMGIGO_DATA_DIR", &data_text),
            ("IMGIGO_ADDR", &addr),
            // No model to load in the background before the exit.
            ("IMGIGO_MODEL_FILE", "/nonexistent/imgigo-model.bpk"),
        ],
        &["serve"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot listen"), "{stderr}");
    assert_eq!(mode(&data), 0o700, "{stderr}");
    assert_eq!(mode(&dir.path().join("new")), 0o700);
    assert_eq!(mode(&data.join("secret.key")), 0o600);
    assert!(data.join("imgigo.db").is_file());
}

#[test]
fn weights_from_a_package_that_is_not_the_verified_one_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let package = dir.path().join("package");
    std::fs::create_dir_all(package.join("dist")).expect("dist");
    let out = dir.path().join("model.bpk");
    let out_arg = out.to_string_lossy().into_owned();
    let package_arg = package.to_string_lossy().into_owned();
    // `imgigo weights` on the package: it must fail with exit code 1; returns its stderr.
    let refused = || {
        let output = imgigo(
            &[],
            &["weights", "--package", &package_arg, "--out", &out_arg],
        );
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        stderr
    };

    // No resources.json at all.
    let stderr = refused();
    assert!(stderr.contains("resources.json"), "{stderr}");

    // A listed chunk whose bytes are not the published model's.
    let hash = "ab".repeat(32);
    std::fs::write(package.join("dist").join(&hash), b"not the model").expect("chunk");
    std::fs::write(
        package.join("dist/resources.json"),
        format!(r#"{{"/models/medium": {{"size": 13, "chunks": [{{"hash": "{hash}", "offsets": [0, 13]}}]}}}}"#),
    )
    .expect("index");
    let stderr = refused();
    assert!(stderr.starts_with("imgigo weights: "), "{stderr}");
    assert!(
        !out.exists(),
        "nothing written for a package that fails its checks"
    );
}
