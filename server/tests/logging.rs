//! Request logging, alone in its own test binary: tracing's per-callsite interest cache is shared
//! by every thread of a process, so a scoped subscriber only sees everything when no other test runs.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use http::{Request, StatusCode};

mod support;
use support::*;

/// Collects everything the tracing subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn request_logs_carry_the_path_but_never_the_query() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = TestApp::without_model().await;
    for uri in [
        "/healthz?key=SECRET-RESULT-KEY&x=1",
        "/privacy?token=SECRET-TOKEN",
    ] {
        // In process: the request is handled on this thread, where the subscriber is set.
        let request = Request::get(uri).body(Body::empty()).expect("request");
        let response = app.send_in_process(request).await;
        assert_eq!(response.status(), StatusCode::OK);
        let _ = bytes(response).await;
    }

    let logs = String::from_utf8(captured.0.lock().expect("log buffer").clone()).expect("utf-8");
    assert!(
        logs.contains("path=/healthz"),
        "request line logged: {logs}"
    );
    assert!(
        logs.contains("path=/privacy"),
        "request line logged: {logs}"
    );
    assert!(logs.contains("status=200"), "{logs}");
    assert!(!logs.contains("SECRET"), "a query reached the log: {logs}");
}
