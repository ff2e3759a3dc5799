//! The one HTTP test app for the server's suites: the real router behind a loopback listener (every
//! `send` goes over TCP), a fresh database, a data folder, a clock moved by hand, and the request and
//! image helpers the suites share. Each suite uses part of it, hence `dead_code` is allowed here.
#![allow(dead_code)]

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use image::RgbImage;
use server::state::ServerState;
use services::AppState;
use services::config::Config;
use services::cutout::queue::Segment;
use services::cutout::upload::UploadLimits;
use services::cutout::{CutoutService, Engine, QueueLimits};
use services::results::StoreLimits;
use services::testing::{ManualClock, TestDatabase};
use tower::ServiceExt;

/// The app behind a real HTTP listener on loopback (every `send` goes over TCP), plus the router
/// for the few in-process checks that need a peer address other than loopback.
pub struct TestApi {
    pub router: Router,
    pub app: AppState,
    pub addr: std::net::SocketAddr,
    pub server: tokio::task::JoinHandle<()>,
    pub clock: Arc<ManualClock>,
    pub data: tempfile::TempDir,
    pub _db: TestDatabase,
}

impl Drop for TestApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Serves `router` on a fresh loopback port, with peer addresses for the rate limiter.
pub async fn listen(router: Router) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    listen_with(router, server::connections::ConnectionLimits::default()).await
}

/// The same through the production accept loop with `limits` (timeouts, connection cap).
pub async fn listen_with(
    router: Router,
    limits: server::connections::ConnectionLimits,
) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let task = tokio::spawn(server::connections::serve(
        listener,
        router,
        limits,
        std::future::pending(),
    ));
    (addr, task)
}

/// The tiny random-weight network, run for real through the engine, with its mask lifted so that
/// its brightest part is opaque. Random weights know no subject: their masks are noise around one
/// level, and without the lift the service would (rightly) answer "no subject found" for about
/// half the photos. Tests of that answer use the fake engine, which is deterministic.
pub struct TinyModel(Engine);

impl Segment for TinyModel {
    fn mask(
        &self,
        image: &RgbImage,
        size: services::cutout::ModelSize,
    ) -> Result<image::GrayImage, services::Error> {
        let mut mask = self.0.mask(image, size)?;
        let brightest = mask.pixels().map(|p| p.0[0]).max().unwrap_or(u8::MAX);
        let lift = u8::MAX - brightest;
        for pixel in mask.pixels_mut() {
            pixel.0[0] = pixel.0[0].saturating_add(lift);
        }
        Ok(mask)
    }
}

pub fn tiny_engine() -> TinyModel {
    let cpu = services::cutout::device::cpu();
    let model = segmentation::IsNetConfig::tiny().init(&cpu.device);
    TinyModel(Engine::from_segmenter(segmentation::Segmenter::new(
        model, cpu.device,
    )))
}

impl TestApi {
    pub async fn new() -> Self {
        Self::with(
            vec![tiny_engine()],
            QueueLimits::default(),
            StoreLimits::default(),
            UploadLimits::default(),
            true,
        )
        .await
    }

    /// A server whose model is not (yet) there.
    pub async fn without_model() -> Self {
        Self::with(
            Vec::<Engine>::new(),
            QueueLimits::default(),
            StoreLimits::default(),
            UploadLimits::default(),
            false,
        )
        .await
    }

    pub async fn with<S: Segment>(
        instances: Vec<S>,
        queue: QueueLimits,
        store: StoreLimits,
        upload: UploadLimits,
        cutouts: bool,
    ) -> Self {
        Self::with_env(instances, queue, store, upload, cutouts, &[]).await
    }

    pub async fn with_env<S: Segment>(
        instances: Vec<S>,
        queue: QueueLimits,
        store: StoreLimits,
        upload: UploadLimits,
        cutouts: bool,
        env: &[(&str, &str)],
    ) -> Self {
        let db = TestDatabase::new().await;
        let data = tempfile::tempdir().expect("data folder");
        let mut vars = vec![
            ("DATABASE_URL".to_string(), db.url.clone()),
            (
                "IMGIGO_DATA_DIR".to_string(),
                data.path().display().to_string(),
            ),
            // Generous anonymous limits unless a test asks otherwise: tests share one address.
            ("IMGIGO_ANON_BURST".to_string(), "1000".to_string()),
            ("IMGIGO_ANON_PER_MINUTE".to_string(), "1000".to_string()),
            // Requests come from loopback; X-Forwarded-For (see `from`) names other clients.
            (
                "IMGIGO_TRUSTED_PROXIES".to_string(),
                "127.0.0.1".to_string(),
            ),
        ];
        for (name, value) in env {
            vars.retain(|(k, _)| k != name);
            vars.push((name.to_string(), value.to_string()));
        }
        let config =
            Config::load(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
                .expect("config");
        let mut app = AppState::init(config).await.expect("state");
        let clock = ManualClock::new();
        if cutouts {
            let service = CutoutService::with_instances(
                instances,
                queue,
                &data.path().join("results"),
                store,
                clock.clone(),
            )
            .expect("service")
            .with_upload_limits(upload);
            app = app.with_cutouts(service);
        }
        let router = server::router::build(ServerState::new(app.clone()));
        let (addr, server) = listen(router.clone()).await;
        Self {
            router,
            app,
            addr,
            server,
            clock,
            data,
            _db: db,
        }
    }

    /// Sends `request` over HTTP/1.1 to the listener and hands the answer back.
    pub async fn send(&self, request: Request<Body>) -> Response<Body> {
        let (mut parts, body) = request.into_parts();
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_string();
        parts.uri = format!("http://{}{path}", self.addr).parse().expect("uri");
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<Body>();
        let response = client
            .request(Request::from_parts(parts, body))
            .await
            .expect("the server answers");
        let (parts, body) = response.into_parts();
        Response::from_parts(parts, Body::new(body))
    }

    /// Through the router in process: for peer addresses that loopback cannot have.
    pub async fn send_in_process(&self, request: Request<Body>) -> Response<Body> {
        self.router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible")
    }

    pub async fn post_raw(
        &self,
        query: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Response<Body> {
        self.send(
            Request::post(format!("/api/v1/cutouts{query}"))
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(bytes))
                .expect("request"),
        )
        .await
    }

    pub async fn post_form(&self, parts: &[(&str, Part)], accept: Option<&str>) -> Response<Body> {
        self.post_form_with("/api/v1/cutouts", parts, accept).await
    }

    pub async fn post_form_to(&self, path: &str, parts: &[(&str, Part)]) -> Response<Body> {
        self.post_form_with(path, parts, None).await
    }

    pub async fn post_form_with(
        &self,
        path: &str,
        parts: &[(&str, Part)],
        accept: Option<&str>,
    ) -> Response<Body> {
        let (content_type, body) = multipart(parts);
        let mut request = Request::post(path).header(header::CONTENT_TYPE, content_type);
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT, accept);
        }
        self.send(request.body(Body::from(body)).expect("request"))
            .await
    }
}

pub enum Part {
    Text(&'static str),
    File(Vec<u8>),
}

pub async fn bytes(response: Response<Body>) -> Vec<u8> {
    response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec()
}

pub async fn json(response: Response<Body>) -> serde_json::Value {
    serde_json::from_slice(&bytes(response).await).expect("json")
}

pub fn header<'a>(response: &'a Response<Body>, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("missing header {name}"))
        .to_str()
        .expect("ascii")
}

/// A photo whose pixels follow a distinctive pseudo-random pattern.
pub fn photo(width: u32, height: u32, seed: u32) -> RgbImage {
    let mut state = seed.wrapping_mul(2_654_435_761) | 1;
    RgbImage::from_fn(width, height, |_, _| {
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        };
        image::Rgb([next(), next(), next()])
    })
}

pub fn png(image: &RgbImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

pub fn corpus(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../services/tests/corpus")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}
// ---- remove.bg compatibility -------------------------------------------------------------------

impl TestApi {
    pub async fn removebg(
        &self,
        content_type: &str,
        body: Vec<u8>,
        extra: &[(&str, &str)],
    ) -> Response<Body> {
        let mut request =
            Request::post("/v1.0/removebg").header(header::CONTENT_TYPE, content_type);
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::from(body)).expect("request"))
            .await
    }
}

pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn errors(value: &serde_json::Value) -> (String, String) {
    let first = &value["errors"][0];
    (
        first["code"].as_str().unwrap_or_default().to_string(),
        first["detail"].as_str().unwrap_or_default().to_string(),
    )
}
// ---- anonymous rate limit --------------------------------------------------------------------------

/// The request as if `ip` sent it: over the socket the peer is loopback, a trusted proxy in these
/// tests, so the client is named in `X-Forwarded-For`.
pub fn from(ip: &str, mut request: Request<Body>) -> Request<Body> {
    let value = http::HeaderValue::from_str(ip).expect("address");
    request.headers_mut().insert("x-forwarded-for", value);
    request
}

/// The request arriving in process from peer `ip` (no proxy involved).
pub fn from_peer(ip: &str, mut request: Request<Body>) -> Request<Body> {
    let ip: std::net::IpAddr = ip.parse().expect("address");
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(
            ip, 40000,
        )));
    request
}
// ---- over a real socket ------------------------------------------------------------------------------

/// One HTTP/1.1 exchange over TCP (`Connection: close`): status, headers (lower-case) and body.
pub async fn exchange(
    addr: std::net::SocketAddr,
    head: &str,
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    try_exchange(addr, head, body)
        .await
        .expect("an HTTP answer over the socket")
}

pub fn value<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("missing header {name}"))
}
// ---- image_url -----------------------------------------------------------------------------------------

impl TestApi {
    /// This API with URL fetching set to `policy`.
    pub async fn fetching(policy: services::fetch::FetchPolicy) -> Self {
        let mut api = TestApi::new().await;
        api.app.fetch = policy;
        api.router = server::router::build(ServerState::new(api.app.clone()));
        api.server.abort();
        (api.addr, api.server) = listen(api.router.clone()).await;
        api
    }
}

/// A little web server on loopback: `/photo.png`, `/big.png` (over 2 MB), `/moved` (a redirect).
pub async fn photo_host() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    use axum::routing::get;
    let photo = png(&photo(30, 20, 21));
    let app = axum::Router::new()
        .route("/photo.png", get(move || async move { photo.clone() }))
        .route("/big.png", get(|| async { vec![0u8; 3_000_000] }))
        .route(
            "/moved",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/photo.png")]) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, task)
}

pub fn url_body(url: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "image_url": url, "size": "full" })).expect("json")
}

/// `imgigo-fake` (the real server binary's code with the fake engine) running as its own process
/// on a free loopback port, with a data folder and SQLite database of its own; killed on drop.
pub struct FakeServer {
    pub addr: std::net::SocketAddr,
    pub child: std::process::Child,
    pub data: tempfile::TempDir,
}

impl FakeServer {
    /// Starts it with `vars` on top of generous rate limits, and waits until the model is ready.
    pub async fn start(vars: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .expect("a free port");
        let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
        let data = tempfile::tempdir().expect("data folder");
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_imgigo-fake"));
        for (name, _) in std::env::vars() {
            if name.starts_with("IMGIGO_") || name == "DATABASE_URL" {
                command.env_remove(name);
            }
        }
        command
            .env("IMGIGO_ADDR", addr.to_string())
            .env("IMGIGO_DATA_DIR", data.path())
            .env("IMGIGO_ANON_BURST", "1000")
            .env("IMGIGO_ANON_PER_MINUTE", "1000")
            .env("IMGIGO_LOG", "warn")
            .envs(vars.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit());
        let child = command.spawn().expect("start imgigo-fake");
        let server = Self { addr, child, data };
        for _ in 0..300 {
            if let Ok((200, _, body)) =
                tokio::time::timeout(std::time::Duration::from_secs(2), server.get("/readyz"))
                    .await
                    .unwrap_or(Err(()))
                && String::from_utf8_lossy(&body).contains("\"ready\"")
                && String::from_utf8_lossy(&body).contains("\"model\":\"ready\"")
            {
                return server;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("imgigo-fake did not become ready on {addr}");
    }

    /// `GET path`: status, headers, body; `Err` when the connection fails.
    pub async fn get(&self, path: &str) -> Result<(u16, Vec<(String, String)>, Vec<u8>), ()> {
        try_exchange(self.addr, &format!("GET {path} HTTP/1.1"), b"").await
    }

    /// The server's peak resident memory so far (VmHWM), in bytes.
    pub fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .expect("VmHWM")
            * 1024
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// [`exchange`] that reports a failed connection instead of panicking.
pub async fn try_exchange(
    addr: std::net::SocketAddr,
    head: &str,
    body: &[u8],
) -> Result<(u16, Vec<(String, String)>, Vec<u8>), ()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.map_err(|_| ())?;
    let request = format!(
        "{head}\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.map_err(|_| ())?;
    stream.write_all(body).await.map_err(|_| ())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.map_err(|_| ())?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or(())?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or(())?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok((status, headers, raw[split + 4..].to_vec()))
}

/// A multipart body with `parts` and its content type.
pub fn multipart(parts: &[(&str, Part)]) -> (String, Vec<u8>) {
    let boundary = "imgigo-test-boundary";
    let mut body = Vec::new();
    for (name, part) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match part {
            Part::Text(value) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            ),
            Part::File(bytes) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"photo\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
