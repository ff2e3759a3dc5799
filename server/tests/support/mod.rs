//! The one HTTP test app for the server's suites: the real router behind a loopback listener (every
//! `send` goes over TCP), a fresh database, a data folder with a small site in it, a clock moved by
//! hand, mail captured on request, and the request, cookie and image helpers the suites share. Each
//! suite uses part of it, hence `dead_code` is allowed here.
#![allow(dead_code)]

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use image::{GrayImage, RgbImage, RgbaImage};
use server::state::ServerState;
use services::AppState;
use services::config::Config;
use services::cutout::fake::FakeEngine;
use services::cutout::queue::Segment;
use services::cutout::upload::UploadLimits;
use services::cutout::{CutoutService, Engine, QueueLimits};
use services::mail::{Mail, Mailer};
use services::results::StoreLimits;
use services::testing::{ManualClock, TestDatabase};
use tower::ServiceExt;

/// The origin the site's own pages send (the default public address).
pub const ORIGIN: &str = "http://127.0.0.1:3000";
/// The password every test account gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// The configuration from `vars` alone (no process environment): the one place the server's tests
/// load a [`Config`].
pub fn config(vars: &[(&str, &str)]) -> Config {
    Config::load(|name| {
        vars.iter()
            .rev()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .expect("the test configuration loads")
}

/// The app behind a real HTTP listener on loopback (every `send` goes over TCP), plus the router
/// for the few in-process checks that need a peer address other than loopback.
pub struct TestApp {
    pub router: Router,
    pub app: AppState,
    pub addr: std::net::SocketAddr,
    pub server: tokio::task::JoinHandle<()>,
    pub clock: Arc<ManualClock>,
    /// The data folder; the site (`site/`) and the results (`results/`) are inside it.
    pub data: tempfile::TempDir,
    mail: Option<Arc<Mutex<Vec<Mail>>>>,
    pub _db: TestDatabase,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Builds the cutout service once the data folder and the clock exist.
type MakeCutouts =
    Box<dyn FnOnce(&Path, QueueLimits, StoreLimits, Arc<ManualClock>) -> CutoutService>;

/// How a [`TestApp`] is put together: [`TestApp::builder`], then options, then `build`.
pub struct TestAppBuilder {
    env: Vec<(String, String)>,
    cutouts: Option<MakeCutouts>,
    queue: QueueLimits,
    store: StoreLimits,
    upload: UploadLimits,
    mail_capture: bool,
    fetch: Option<services::fetch::FetchPolicy>,
}

impl TestApp {
    /// The tiny random-weight model, default limits, no mail capture.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            env: Vec::new(),
            cutouts: None,
            queue: QueueLimits::default(),
            store: StoreLimits::default(),
            upload: UploadLimits::default(),
            mail_capture: false,
            fetch: None,
        }
        .engine(tiny_engine())
    }

    /// With the tiny random-weight model.
    pub async fn new() -> Self {
        Self::builder().build().await
    }

    /// With the deterministic fake engine (a known mask: [`FakeEngine::is_subject`]).
    pub async fn fake() -> Self {
        Self::builder().engine(FakeEngine::new()).build().await
    }

    /// A server whose model is not (yet) there.
    pub async fn without_model() -> Self {
        Self::builder().without_model().build().await
    }
}

impl TestAppBuilder {
    /// Sets a configuration variable (a later value for the same name wins).
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// One instance of `engine` makes the masks.
    pub fn engine<S: Segment>(self, engine: S) -> Self {
        self.engines(vec![engine])
    }

    pub fn engines<S: Segment>(mut self, instances: Vec<S>) -> Self {
        self.cutouts = Some(Box::new(move |data, queue, store, clock| {
            CutoutService::with_instances(instances, queue, &data.join("results"), store, clock)
                .expect("the cutout service starts")
        }));
        self
    }

    /// No model: the cutout routes answer that it is not installed.
    pub fn without_model(mut self) -> Self {
        self.cutouts = None;
        self
    }

    pub fn queue(mut self, limits: QueueLimits) -> Self {
        self.queue = limits;
        self
    }

    pub fn store(mut self, limits: StoreLimits) -> Self {
        self.store = limits;
        self
    }

    pub fn upload(mut self, limits: UploadLimits) -> Self {
        self.upload = limits;
        self
    }

    /// Mail is kept in memory for [`TestApp::mail`] and [`TestApp::token`].
    pub fn mail_capture(mut self) -> Self {
        self.mail_capture = true;
        self
    }

    /// URL fetching (`image_url`) set to `policy`.
    pub fn fetch(mut self, policy: services::fetch::FetchPolicy) -> Self {
        self.fetch = Some(policy);
        self
    }

    pub async fn build(self) -> TestApp {
        let db = TestDatabase::new().await;
        let data = tempfile::tempdir().expect("data folder");
        let site = data.path().join("site");
        std::fs::create_dir_all(site.join("pkg")).expect("site folder");
        std::fs::write(site.join("pkg/imgigo.css"), "body{color:#111}").expect("css");
        std::fs::write(site.join("robots.txt"), "User-agent: *\n").expect("robots");
        let (data_dir, site_dir) = (
            data.path().display().to_string(),
            site.display().to_string(),
        );
        let mut vars = vec![
            ("DATABASE_URL", db.url.as_str()),
            ("IMGIGO_DATA_DIR", data_dir.as_str()),
            ("IMGIGO_SITE_ROOT", site_dir.as_str()),
            // Generous anonymous limits unless a test asks otherwise: tests share one address.
            ("IMGIGO_ANON_BURST", "1000"),
            ("IMGIGO_ANON_PER_MINUTE", "1000"),
            // Requests come from loopback; X-Forwarded-For (see `from`) names other clients.
            ("IMGIGO_TRUSTED_PROXIES", "127.0.0.1"),
        ];
        vars.extend(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let mut app = AppState::init(config(&vars)).await.expect("state");
        let clock = ManualClock::new();
        let mut mail = None;
        if self.mail_capture {
            let (mailer, captured) = Mailer::memory("imgigo <no-reply@imgigo.test>");
            app = app.with_mailer(mailer);
            mail = Some(captured);
        }
        if let Some(make) = self.cutouts {
            let service = make(data.path(), self.queue, self.store, clock.clone())
                .with_upload_limits(self.upload);
            app = app.with_cutouts(service);
        }
        if let Some(policy) = self.fetch {
            app.fetch = policy;
        }
        let router = server::router::build(ServerState::new(app.clone()));
        let (addr, server) = listen(router.clone()).await;
        TestApp {
            router,
            app,
            addr,
            server,
            clock,
            data,
            mail,
            _db: db,
        }
    }
}

/// Tests that render pages take turns within their test binary: hold the guard for the test.
///
/// Side by side in one process, each test with its own server, about one run in twenty of the page
/// tests stalled mid-body: the server sent its first chunk (3 kB) and then nothing, with every
/// worker idle (gdb, `ss`), always on a lazily loaded page whose server data sits in a
/// `<Suspense>` (/privacy, /backgrounds/licences, /cookies). One test at a time: 0 stalls in 90
/// runs under the same load, against 4 in 90 side by side. The production server, one per
/// process, never stalled under 8,000 concurrent requests mixing every page (`curl`, 32 at a
/// time). The cause — several servers rendering lazy routes in one process — is not found yet;
/// until it is, this keeps the suite from hanging while the tests still check every page.
pub async fn page_turn() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    TURN.lock().await
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
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener
        .set_nonblocking(true)
        .expect("non-blocking listener");
    let addr = listener.local_addr().expect("address");
    let task = server_runtime().spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
        server::connections::serve(listener, router, limits, std::future::pending()).await;
    });
    (addr, task)
}

/// The one runtime every test server runs on, multi-threaded as in production. Each
/// `#[tokio::test]` has a runtime of its own while Leptos' task spawner is process-wide
/// (`any_spawner`); with every test serving on its own runtime, about 1 run in 10 of the
/// accounts tests hung reading a streamed page's body (3 in 30), and none in 40 runs since.
fn server_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("test-server")
            .enable_all()
            .build()
            .expect("the test servers' runtime")
    })
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

// ---- requests ------------------------------------------------------------------------------------

impl TestApp {
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

    /// `GET path`, with a session `cookie` (`name=value`) if given.
    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Response<Body> {
        let mut request = Request::get(path);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).expect("request"))
            .await
    }

    pub async fn delete(&self, path: &str) -> Response<Body> {
        self.send(Request::delete(path).body(Body::empty()).expect("request"))
            .await
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

// ---- server functions, accounts and mail -----------------------------------------------------------

impl TestApp {
    /// Calls a server function the way the hydrated page does: a form-encoded POST from this
    /// origin, JSON back.
    pub async fn call(
        &self,
        name: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Response<Body> {
        self.call_from(name, form, cookie, Some(ORIGIN)).await
    }

    pub async fn call_from(
        &self,
        name: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
        origin: Option<&str>,
    ) -> Response<Body> {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut request = Request::post(format!("/_app/{name}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .header(header::HOST, "127.0.0.1:3000");
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(body)).expect("request"))
            .await
    }

    /// The latest captured mail of `kind` to `to`, waiting for it (account mail is sent in the
    /// background).
    pub async fn mail(&self, kind: &str, to: &str) -> Mail {
        let captured = self
            .mail
            .as_ref()
            .expect("mail is captured only when the app is built with .mail_capture()");
        for _ in 0..300 {
            if let Some(mail) = captured
                .lock()
                .expect("mail")
                .iter()
                .rev()
                .find(|m| m.kind == kind && m.to == to)
            {
                return mail.clone();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no {kind} mail to {to}");
    }

    /// How many mails of `kind` were sent so far.
    pub fn mail_count(&self, kind: &str) -> usize {
        self.mail.as_ref().map_or(0, |captured| {
            captured
                .lock()
                .expect("mail")
                .iter()
                .filter(|m| m.kind == kind)
                .count()
        })
    }

    /// The `token=` of the latest `kind` mail to `to`.
    pub async fn token(&self, kind: &str, to: &str) -> String {
        let mail = self.mail(kind, to).await;
        let start = mail.text.find("token=").expect("a token in the mail") + "token=".len();
        mail.text[start..]
            .split_whitespace()
            .next()
            .expect("token")
            .to_string()
    }

    /// The sign-up form for `email`, sent from `origin`.
    pub async fn register(&self, email: &str, origin: &str) -> Response<Body> {
        let form = [
            ("name", "Ada"),
            ("email", email),
            ("password", PASSWORD),
            ("age", "on"),
            ("policy", "on"),
        ];
        self.call_from("register", &form, None, Some(origin)).await
    }

    /// Registers and verifies `email` (needs mail capture); returns the session cookie of a login.
    pub async fn account(&self, email: &str) -> String {
        let response = self.register(email, ORIGIN).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{}",
            text(response).await
        );
        let token = self.token("verify_email", email).await;
        let response = self.call("verify_email", &[("token", &token)], None).await;
        assert_eq!(response.status(), StatusCode::OK);
        self.login(email, PASSWORD).await
    }

    /// An admin account made directly in the services (no mail); returns its session cookie.
    pub async fn admin(&self, name: &str, email: &str) -> String {
        services::accounts::roles::create_admin(&self.app, name, email, PASSWORD)
            .await
            .expect("admin");
        self.login(email, PASSWORD).await
    }

    /// Logs in; returns the session cookie (`name=value`).
    pub async fn login(&self, email: &str, password: &str) -> String {
        let response = self
            .call("login", &[("email", email), ("password", password)], None)
            .await;
        assert_eq!(response.status(), StatusCode::OK, "login of {email}");
        session_cookie(&response).expect("a session cookie after login")
    }
}

// ---- answers -------------------------------------------------------------------------------------

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

pub async fn text(response: Response<Body>) -> String {
    String::from_utf8(bytes(response).await).expect("a UTF-8 body")
}

pub async fn json(response: Response<Body>) -> serde_json::Value {
    serde_json::from_slice(&bytes(response).await).expect("json")
}

/// The native API's error sentence.
pub async fn message(response: Response<Body>) -> String {
    json(response).await["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

pub fn header<'a>(response: &'a Response<Body>, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("missing header {name}"))
        .to_str()
        .expect("ascii")
}

/// The header's value, if it is there.
pub fn header_opt<'a>(response: &'a Response<Body>, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

pub fn set_cookies(response: &Response<Body>) -> Vec<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect()
}

/// `name=value` of the session cookie set by `response`.
pub fn session_cookie(response: &Response<Body>) -> Option<String> {
    set_cookies(response)
        .into_iter()
        .find(|c| c.contains("imgigo_session=") && !c.contains("Max-Age=0"))
        .and_then(|c| c.split(';').next().map(str::to_string))
}

// ---- photos --------------------------------------------------------------------------------------

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

/// For the fake engine: a smooth green gradient for the subject where it sees one, and around it a black-and-white
/// checkerboard of single pixels, the hardest thing to keep or to blur unnoticed.
pub fn subject_photo(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        if FakeEngine::is_subject(x, y, width, height) {
            image::Rgb([
                40 + (x * 150 / width) as u8,
                150 + (y * 90 / height) as u8,
                60,
            ])
        } else if (x + y) % 2 == 0 {
            image::Rgb([0, 0, 0])
        } else {
            image::Rgb([255, 255, 255])
        }
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

pub fn decode_rgba(bytes: &[u8]) -> RgbaImage {
    image::load_from_memory(bytes).expect("an image").to_rgba8()
}

/// The fake engine's subject box in a `width`×`height` photo: (left, top, width, height).
pub fn fake_subject_box(width: u32, height: u32) -> (u32, u32, u32, u32) {
    let mask: GrayImage = FakeEngine::mask_for(width, height);
    let subject: Vec<(u32, u32)> = mask
        .enumerate_pixels()
        .filter(|(_, _, p)| p.0[0] == 255)
        .map(|(x, y, _)| (x, y))
        .collect();
    let left = subject.iter().map(|p| p.0).min().expect("a subject");
    let right = subject.iter().map(|p| p.0).max().expect("a subject");
    let top = subject.iter().map(|p| p.1).min().expect("a subject");
    let bottom = subject.iter().map(|p| p.1).max().expect("a subject");
    (left, top, right - left + 1, bottom - top + 1)
}

/// The subject exactly as photographed, and nothing at all (RGB 0, alpha 0) around it: what the
/// fake engine's transparent cutout of `photo` must be.
pub fn assert_transparent_cutout(what: &str, result: &RgbaImage, photo: &RgbImage) {
    assert_eq!(result.dimensions(), photo.dimensions(), "{what}");
    let (width, height) = photo.dimensions();
    let mut subject = 0;
    for (x, y, pixel) in result.enumerate_pixels() {
        if FakeEngine::is_subject(x, y, width, height) {
            let [r, g, b] = photo.get_pixel(x, y).0;
            assert_eq!(pixel.0, [r, g, b, 255], "{what}: subject at ({x}, {y})");
            subject += 1;
        } else {
            assert_eq!(
                pixel.0,
                [0, 0, 0, 0],
                "{what}: the background survives at ({x}, {y})"
            );
        }
    }
    assert!(
        subject * 8 > width * height,
        "{what}: a subject is there ({subject} pixels)"
    );
}

/// A member of a stored (uncompressed) ZIP, as imgigo writes them, read from its local header.
pub fn zip_member(zip: &[u8], name: &str) -> Vec<u8> {
    let le16 = |at: usize| usize::from(u16::from_le_bytes([zip[at], zip[at + 1]]));
    let le32 =
        |at: usize| u32::from_le_bytes([zip[at], zip[at + 1], zip[at + 2], zip[at + 3]]) as usize;
    let mut at = 0;
    while zip[at..].starts_with(b"PK\x03\x04") {
        assert_eq!(le16(at + 8), 0, "stored, not compressed");
        let size = le32(at + 18);
        let (name_len, extra_len) = (le16(at + 26), le16(at + 28));
        let data = at + 30 + name_len + extra_len;
        if &zip[at + 30..at + 30 + name_len] == name.as_bytes() {
            return zip[data..data + size].to_vec();
        }
        at = data + size;
    }
    panic!("no {name} in the zip");
}

// ---- remove.bg compatibility -------------------------------------------------------------------

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
