//! `/metrics` on its own listener: after a cutout, a refused upload and a page, the OpenMetrics
//! text parses with prometheus-client's strict parser (PyPI) and holds the request counts by
//! route template and status, the refusals, each cutout stage's time, the queue, the model, the
//! result store, the mail outbox and the database pool. The site itself does not serve it.

mod support;
use support::*;

use std::io::Write;

use http::StatusCode;

/// prometheus-client's OpenMetrics parser reads stdin; prints `name{labels} value` per sample.
const PARSE: &str = "import sys\nfrom prometheus_client.openmetrics.parser import text_string_to_metric_families\nfor family in text_string_to_metric_families(sys.stdin.read()):\n    for s in family.samples:\n        labels = ','.join(f'{k}={v}' for k, v in sorted(s.labels.items()))\n        print(f'{s.name}{{{labels}}} {s.value}')\n";

fn parsed(text: &str) -> Vec<String> {
    let mut child = std::process::Command::new(services::testing::SmtpSink::python())
        .args(["-c", PARSE])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python with prometheus-client (make smtp-sink)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("the parser");
    assert!(
        output.status.success(),
        "the OpenMetrics parser refused /metrics: {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn value(samples: &[String], series: &str) -> f64 {
    samples
        .iter()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {series} in\n{}", samples.join("\n")))
}

#[tokio::test]
async fn metrics_parse_and_count_requests_refusals_stages_and_state() {
    let _turn = page_turn().await;
    let app = TestApp::fake().await;
    let upload = png(&photo(40, 30, 3));
    let done = app.post_form(&[("image", Part::File(upload))], None).await;
    assert!(done.status().is_success());
    let refused = app
        .post_form(
            &[("image", Part::File(b"GIF89a not really".to_vec()))],
            None,
        )
        .await;
    let refused_status = refused.status().as_u16();
    assert!([415, 422].contains(&refused_status), "{refused_status}");
    assert_eq!(app.get("/pricing", None).await.status(), StatusCode::OK);
    assert_eq!(
        app.get("/metrics", None).await.status(),
        StatusCode::NOT_FOUND,
        "the site's own address does not serve the metrics"
    );

    let addr = server::metrics::serve(app.app.clone(), "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("the metrics listener");
    let response = reqwest_get(&format!("http://{addr}/metrics")).await;
    assert_eq!(response.0, 200);
    assert!(
        response.1.starts_with("application/openmetrics-text"),
        "{}",
        response.1
    );
    let samples = parsed(&response.2);

    let cutouts = "imgigo_http_requests_total{route=/api/v1/cutouts,status=200}";
    assert_eq!(value(&samples, cutouts), 1.0);
    assert_eq!(
        value(
            &samples,
            &format!("imgigo_http_requests_total{{route=/api/v1/cutouts,status={refused_status}}}")
        ),
        1.0
    );
    assert_eq!(
        value(
            &samples,
            "imgigo_http_requests_total{route=/pricing,status=200}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &samples,
            &format!("imgigo_refusals_total{{status={refused_status}}}")
        ),
        1.0
    );
    assert_eq!(
        value(
            &samples,
            "imgigo_http_request_duration_seconds_count{route=/api/v1/cutouts,status=200}"
        ),
        1.0
    );
    // The refused upload stopped in decoding; the finished one went through every stage.
    for (stage, count) in [
        ("decode", 2.0),
        ("inference", 1.0),
        ("compose", 1.0),
        ("encode", 1.0),
    ] {
        assert_eq!(
            value(
                &samples,
                &format!("imgigo_cutout_stage_seconds_count{{stage={stage}}}")
            ),
            count,
            "{stage}"
        );
    }
    assert_eq!(value(&samples, "imgigo_model_state{state=ready}"), 1.0);
    assert_eq!(value(&samples, "imgigo_model_state{state=loading}"), 0.0);
    assert_eq!(value(&samples, "imgigo_queue_in_use{}"), 0.0);
    assert!(value(&samples, "imgigo_queue_capacity{}") >= 1.0);
    assert_eq!(value(&samples, "imgigo_results_held{}"), 1.0);
    assert!(value(&samples, "imgigo_results_ram_bytes{}") > 0.0);
    assert_eq!(value(&samples, "imgigo_mail_outbox{state=waiting}"), 0.0);
    assert!(value(&samples, "imgigo_db_pool_connections{state=idle}") >= 0.0);
    assert!(
        !response.2.contains("key="),
        "no result key or URL in the metrics"
    );
}

/// A plain HTTP/1.1 GET: (status, content type, body).
async fn reqwest_get(url: &str) -> (u16, String, String) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<axum::body::Body>();
    let response = client
        .get(url.parse().expect("uri"))
        .await
        .expect("the metrics listener answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}
