//! Fetching a photo by URL (remove.bg's `image_url`, `bg_image_url`), only where the operator turned
//! it on (`IMGIGO_FETCH_URLS=true`), and then only from public addresses: the resolver refuses a
//! host if any of its addresses is loopback, private, link-local, shared, reserved or otherwise not
//! globally routable, and every connection (redirects included) goes through it, so DNS rebinding
//! cannot slip a private address in. Size and time are limited; the bytes stay in memory.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::TokioExecutor;
use zeroize::Zeroizing;

use crate::Error;

/// Whether and how URLs are fetched.
#[derive(Clone, Copy, Debug)]
pub struct FetchPolicy {
    pub enabled: bool,
    pub max_bytes: usize,
    /// For the whole download, redirects included.
    pub timeout: Duration,
    /// Lets loopback and private addresses through. Tests only: a real server must never.
    pub allow_private: bool,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        Self {
            enabled: false,
            max_bytes: 25 * 1000 * 1000,
            timeout: Duration::from_secs(15),
            allow_private: false,
        }
    }
}

const MAX_REDIRECTS: usize = 3;

/// Downloads `url` under `policy`. Every failure is a `BadRequest` naming the field.
pub async fn fetch(
    url: &str,
    field: &str,
    policy: &FetchPolicy,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    if !policy.enabled {
        return Err(Error::BadRequest(format!(
            "{field} is disabled on this server: upload the file instead"
        )));
    }
    match tokio::time::timeout(policy.timeout, download(url, field, policy)).await {
        Ok(result) => result,
        Err(_) => Err(Error::BadRequest(format!(
            "{field}: the download took longer than {} s",
            policy.timeout.as_secs()
        ))),
    }
}

async fn download(
    url: &str,
    field: &str,
    policy: &FetchPolicy,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let refused = |why: &str| Error::BadRequest(format!("{field}: {why}"));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
        .map_err(|_| Error::Internal("TLS set-up failed".into()))?
        .https_or_http()
        .enable_http1()
        .wrap_connector({
            let mut http = HttpConnector::new_with_resolver(PublicResolver {
                allow_private: policy.allow_private,
            });
            http.enforce_http(false);
            http
        });
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(https);
    let mut target = parse(url, policy.allow_private).map_err(|why| refused(&why))?;
    for _ in 0..=MAX_REDIRECTS {
        let request = hyper::Request::get(target.clone())
            .header(hyper::header::USER_AGENT, "imgigo")
            .body(Empty::new())
            .map_err(|_| refused("not a valid address"))?;
        let response = client.request(request).await.map_err(|err| {
            let text = error_chain(&err);
            if text.contains(NOT_PUBLIC) {
                refused(NOT_PUBLIC_SENTENCE)
            } else {
                refused("the image could not be downloaded")
            }
        })?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(hyper::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .ok_or_else(|| refused("a redirect without a location"))?;
            let next = target_join(&target, location, policy.allow_private)
                .map_err(|why| refused(&why))?;
            target = next;
            continue;
        }
        if !status.is_success() {
            return Err(refused(&format!("the server answered {status}")));
        }
        let mut body = response.into_body();
        let mut bytes = Zeroizing::new(Vec::new());
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| refused("the download was interrupted"))?;
            if let Some(chunk) = frame.data_ref() {
                if bytes.len() + chunk.len() > policy.max_bytes {
                    return Err(Error::TooLarge(format!(
                        "{field}: the image is over the {} MB limit",
                        policy.max_bytes.div_ceil(1_000_000)
                    )));
                }
                bytes.extend_from_slice(chunk);
            }
        }
        return Ok(bytes);
    }
    Err(refused("too many redirects"))
}

/// `http`/`https` URLs with a host and without credentials; a literal IP address must be public
/// (the connector does not resolve those, so the resolver's check would not see them).
fn parse(text: &str, allow_private: bool) -> Result<hyper::Uri, String> {
    let url = url::Url::parse(text.trim()).map_err(|_| "not a valid web address".to_string())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("only http and https addresses are fetched".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("addresses with credentials are refused".into());
    }
    let literal = match url.host() {
        None => return Err("the address has no host".into()),
        Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
        Some(url::Host::Domain(_)) => None,
    };
    if let Some(ip) = literal
        && !allow_private
        && !is_public(ip)
    {
        return Err(NOT_PUBLIC_SENTENCE.into());
    }
    url.as_str()
        .parse::<hyper::Uri>()
        .map_err(|_| "not a valid web address".to_string())
}

fn target_join(
    base: &hyper::Uri,
    location: &str,
    allow_private: bool,
) -> Result<hyper::Uri, String> {
    let base = url::Url::parse(&base.to_string()).map_err(|_| "a bad redirect".to_string())?;
    let next = base
        .join(location)
        .map_err(|_| "a bad redirect".to_string())?;
    parse(next.as_str(), allow_private)
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

const NOT_PUBLIC: &str = "resolves to a non-public address";
const NOT_PUBLIC_SENTENCE: &str =
    "the address is not public; only public web addresses are fetched";

/// Resolves a host and refuses it unless every address is public.
#[derive(Clone, Copy)]
struct PublicResolver {
    allow_private: bool,
}

impl tower_service::Service<Name> for PublicResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name
                .as_str()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string();
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addresses.is_empty() {
                return Err(std::io::Error::other("no address"));
            }
            if !allow_private && addresses.iter().any(|address| !is_public(address.ip())) {
                return Err(std::io::Error::other(NOT_PUBLIC));
            }
            Ok(addresses.into_iter())
        })
    }
}

/// Globally routable unicast only.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let segments = v6.segments();
            let embedded_v4 = |high: u16, low: u16| {
                Ipv4Addr::new((high >> 8) as u8, high as u8, (low >> 8) as u8, low as u8)
            };
            // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address: judge that one.
            if segments[0] == 0x64 && segments[1] == 0xff9b && segments[2..6] == [0, 0, 0, 0] {
                return is_public_v4(embedded_v4(segments[6], segments[7]));
            }
            if segments[0] == 0x2002 {
                return is_public_v4(embedded_v4(segments[1], segments[2]));
            }
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (segments[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (segments[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (segments[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
                || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
                || (segments[0] == 0x2001 && segments[1] == 0) // Teredo
                || v6.to_ipv4().is_some()) // IPv4-compatible ::a.b.c.d
        }
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    !(v4.is_unspecified()
        || a == 0 // "this network"
        || v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_broadcast()
        || v4.is_multicast()
        || a >= 240 // reserved
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || (a == 198 && (18..20).contains(&b))) // benchmarking
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_globally_routable_addresses_are_public() {
        for public in [
            "1.1.1.1",
            "8.8.8.8",
            "151.101.1.69",
            "2606:4700::1111",
            "2a00:1450:4001:81b::200e",
        ] {
            assert!(is_public(public.parse().expect("ip")), "{public}");
        }
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "::",
            "::1",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
            "2001::1",
            "::127.0.0.1",
        ] {
            assert!(!is_public(private.parse().expect("ip")), "{private}");
        }
    }

    #[test]
    fn only_http_urls_without_credentials_are_accepted() {
        assert!(parse("https://example.com/a.png", false).is_ok());
        assert!(parse("http://example.com:8080/a.png?x=1", false).is_ok());
        assert!(parse("http://1.1.1.1/a.png", false).is_ok());
        for bad in [
            "file:///etc/passwd",
            "ftp://example.com/a",
            "https://user:pw@example.com/",
            "not a url",
            "gopher://x",
            "http://127.0.0.1/",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data",
        ] {
            assert!(parse(bad, false).is_err(), "{bad}");
        }
        assert!(
            parse("http://127.0.0.1/", true).is_ok(),
            "tests may allow loopback"
        );
    }

    #[tokio::test]
    async fn disabled_by_default_and_loopback_refused_when_enabled() {
        let err = fetch(
            "http://127.0.0.1:9/x.png",
            "image_url",
            &FetchPolicy::default(),
        )
        .await
        .expect_err("disabled");
        assert!(err.to_string().contains("disabled"), "{err}");
        let enabled = FetchPolicy {
            enabled: true,
            ..FetchPolicy::default()
        };
        for url in [
            "http://127.0.0.1:9/x.png",
            "http://localhost:9/x.png",
            "http://[::1]:9/x.png",
        ] {
            let err = fetch(url, "image_url", &enabled)
                .await
                .expect_err("loopback");
            assert!(err.to_string().contains("not public"), "{url}: {err}");
        }
    }
}
