//! Fetching a photo by URL (remove.bg's `image_url`, `bg_image_url`), only where the operator turned
//! it on (`IMGIGO_FETCH_URLS=true`), and then only from public addresses on the web's ports: the
//! resolver refuses a host if any of its addresses is in the IANA special-purpose registries
//! ([`V4_SPECIAL`], [`V6_SPECIAL`]) or otherwise not global unicast, and every connection
//! (redirects included) goes through it, so DNS rebinding cannot slip a private address in. Only
//! ports 80 and 443 are used (a URL naming another port is refused: internal services listen
//! there), and a redirect from https to http is refused. Size and time are limited; the bytes stay
//! in memory.
//!
//! No maintained crate classifies addresses by the registries (std's `is_global` is unstable; the
//! crates that copy it are unmaintained or parts of large networking libraries), hence the tables.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
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
    /// Lets loopback and private addresses, and any port, through (tests serve photos from
    /// loopback on a random port). Tests only: a real server must never.
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
    if !allow_private && !matches!(url.port_or_known_default(), Some(80 | 443)) {
        return Err("only the standard web ports (80 and 443) are fetched".into());
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
    // Leaving TLS would hand the rest of the exchange to anyone on the path.
    if base.scheme() == "https" && next.scheme() != "https" {
        return Err("a redirect from https to http is refused".into());
    }
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
            if !allow_private
                && let Some(block) = addresses
                    .iter()
                    .find_map(|address| refused_block(address.ip()))
            {
                // The range only: the address or host would tell the log who fetched what.
                tracing::info!(range = block, "URL fetch refused: the host is not public");
                return Err(std::io::Error::other(NOT_PUBLIC));
            }
            Ok(addresses.into_iter())
        })
    }
}

/// Globally routable unicast only: outside every refused block of the registries, and for IPv6
/// inside the global unicast space 2000::/3 (so blocks outside it — `100::/64`, `5f00::/16`,
/// `fc00::/7`, `fe80::/10`, multicast, the deprecated IPv4-compatible `::/96`, and whatever IANA
/// reserves there next — are refused even if a table misses them). Addresses that carry an IPv4
/// address (IPv4-mapped, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by that address.
pub fn is_public(ip: IpAddr) -> bool {
    refused_block(ip).is_none()
}

/// The registry name of the refused block `ip` lies in; `None` for a public address.
pub fn refused_block(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

fn refused_v4(v4: Ipv4Addr) -> Option<&'static str> {
    let bits = u128::from(v4.to_bits());
    V4_SPECIAL
        .iter()
        .find(|block| prefix_matches(bits, u128::from(block.network), block.len, 32))
        .map(|block| block.name)
}

fn refused_v6(v6: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return refused_v4(v4);
    }
    let bits = v6.to_bits();
    // NAT64's well-known prefix carries the IPv4 address in its last 32 bits.
    if prefix_matches(bits, NAT64.to_bits(), 96, 128) {
        return refused_v4(Ipv4Addr::from_bits(bits as u32));
    }
    // 6to4 carries it in bits 16..48.
    if prefix_matches(bits, SIX_TO_FOUR.to_bits(), 16, 128) {
        return refused_v4(Ipv4Addr::from_bits((bits >> 80) as u32));
    }
    if let Some(block) = V6_SPECIAL
        .iter()
        .find(|block| prefix_matches(bits, block.network.to_bits(), block.len, 128))
    {
        return Some(block.name);
    }
    (!prefix_matches(bits, GLOBAL_UNICAST.to_bits(), 3, 128))
        .then_some("outside global unicast 2000::/3 (RFC 4291)")
}

/// Whether the first `len` of `width` bits of `bits` and `network` agree.
fn prefix_matches(bits: u128, network: u128, len: u8, width: u32) -> bool {
    let shift = width.saturating_sub(u32::from(len));
    bits.checked_shr(shift).unwrap_or(0) == network.checked_shr(shift).unwrap_or(0)
}

struct V4Block {
    network: u32,
    len: u8,
    name: &'static str,
}

struct V6Block {
    network: Ipv6Addr,
    len: u8,
    name: &'static str,
}

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8, name: &'static str) -> V4Block {
    V4Block {
        network: Ipv4Addr::new(a, b, c, d).to_bits(),
        len,
        name,
    }
}

const fn v6(segments: [u16; 8], len: u8, name: &'static str) -> V6Block {
    let [a, b, c, d, e, f, g, h] = segments;
    V6Block {
        network: Ipv6Addr::new(a, b, c, d, e, f, g, h),
        len,
        name,
    }
}

const NAT64: Ipv6Addr = Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0);
const SIX_TO_FOUR: Ipv6Addr = Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0);
const GLOBAL_UNICAST: Ipv6Addr = Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0);

/// The IANA IPv4 Special-Purpose Address Registry's blocks that are not globally reachable, plus
/// multicast (its own registry). Entries the registry marks globally reachable are let through:
/// 192.0.0.9/32 and 192.0.0.10/32 (anycast, inside 192.0.0.0/24, refused with it here anyway),
/// 192.31.196.0/24 and 192.175.48.0/24 (AS112), 192.52.193.0/24 (AMT).
const V4_SPECIAL: &[V4Block] = &[
    v4(0, 0, 0, 0, 8, "\"this network\" (RFC 791)"),
    v4(10, 0, 0, 0, 8, "private use (RFC 1918)"),
    v4(100, 64, 0, 0, 10, "shared address space (RFC 6598)"),
    v4(127, 0, 0, 0, 8, "loopback (RFC 1122)"),
    v4(169, 254, 0, 0, 16, "link local (RFC 3927)"),
    v4(172, 16, 0, 0, 12, "private use (RFC 1918)"),
    v4(192, 0, 0, 0, 24, "IETF protocol assignments (RFC 6890)"),
    v4(192, 0, 2, 0, 24, "documentation TEST-NET-1 (RFC 5737)"),
    v4(
        192,
        88,
        99,
        0,
        24,
        "deprecated 6to4 relay anycast (RFC 7526)",
    ),
    v4(192, 168, 0, 0, 16, "private use (RFC 1918)"),
    v4(198, 18, 0, 0, 15, "benchmarking (RFC 2544)"),
    v4(198, 51, 100, 0, 24, "documentation TEST-NET-2 (RFC 5737)"),
    v4(203, 0, 113, 0, 24, "documentation TEST-NET-3 (RFC 5737)"),
    v4(224, 0, 0, 0, 4, "multicast (RFC 5771)"),
    v4(
        240,
        0,
        0,
        0,
        4,
        "reserved (RFC 1112), with limited broadcast 255.255.255.255/32",
    ),
];

/// The IANA IPv6 Special-Purpose Address Registry's blocks that are not globally reachable, and the
/// other blocks outside global unicast that [`is_public`] refuses anyway (listed so each has a
/// test). `::ffff:0:0/96`, `64:ff9b::/96` and `2002::/16` are judged by their IPv4 address. The
/// whole IETF block 2001::/23 is refused, its globally reachable anycast and AS112/AMT/ORCHIDv2/DET
/// entries too: no photo is served from them.
const V6_SPECIAL: &[V6Block] = &[
    v6([0, 0, 0, 0, 0, 0, 0, 0], 128, "unspecified (RFC 4291)"),
    v6([0, 0, 0, 0, 0, 0, 0, 1], 128, "loopback (RFC 4291)"),
    v6(
        [0, 0, 0, 0, 0, 0, 0, 0],
        96,
        "IPv4-compatible, deprecated (RFC 4291)",
    ),
    v6(
        [0x64, 0xff9b, 1, 0, 0, 0, 0, 0],
        48,
        "local-use IPv4/IPv6 translation (RFC 8215)",
    ),
    v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only (RFC 6666)"),
    v6(
        [0x100, 0, 0, 1, 0, 0, 0, 0],
        64,
        "dummy IPv6 prefix (RFC 9780)",
    ),
    v6(
        [0x2001, 0, 0, 0, 0, 0, 0, 0],
        23,
        "IETF protocol assignments (RFC 2928)",
    ),
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, "Teredo (RFC 4380)"),
    v6([0x2001, 2, 0, 0, 0, 0, 0, 0], 48, "benchmarking (RFC 5180)"),
    v6(
        [0x2001, 0x10, 0, 0, 0, 0, 0, 0],
        28,
        "ORCHID, deprecated (RFC 4843)",
    ),
    v6([0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28, "ORCHIDv2 (RFC 7343)"),
    v6(
        [0x2001, 0x30, 0, 0, 0, 0, 0, 0],
        28,
        "drone remote ID entity tags (RFC 9374)",
    ),
    v6(
        [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],
        32,
        "documentation (RFC 3849)",
    ),
    v6(
        [0x3fff, 0, 0, 0, 0, 0, 0, 0],
        20,
        "documentation (RFC 9637)",
    ),
    v6(
        [0x5f00, 0, 0, 0, 0, 0, 0, 0],
        16,
        "segment routing SIDs (RFC 9602)",
    ),
    v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "unique local (RFC 4193)"),
    v6(
        [0xfe80, 0, 0, 0, 0, 0, 0, 0],
        10,
        "link-local unicast (RFC 4291)",
    ),
    v6(
        [0xfec0, 0, 0, 0, 0, 0, 0, 0],
        10,
        "site-local, deprecated (RFC 3879)",
    ),
    v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast (RFC 4291)"),
];

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

    /// The first and the last address of every block in the tables, and the addresses just
    /// outside it where those are public.
    #[test]
    fn every_registry_block_is_refused_from_its_first_to_its_last_address() {
        for block in V4_SPECIAL {
            let size = 1u32.checked_shl(32 - u32::from(block.len)).unwrap_or(0);
            let last = block.network | size.wrapping_sub(1);
            for bits in [block.network, last] {
                let ip = IpAddr::V4(Ipv4Addr::from_bits(bits));
                assert!(refused_block(ip).is_some(), "{ip} in {}", block.name);
                let mapped = IpAddr::V6(Ipv4Addr::from_bits(bits).to_ipv6_mapped());
                assert!(!is_public(mapped), "{mapped} judged by its IPv4 address");
            }
        }
        for block in V6_SPECIAL {
            let size = 1u128.checked_shl(128 - u32::from(block.len)).unwrap_or(0);
            let first = block.network.to_bits();
            let last = first | size.wrapping_sub(1);
            for bits in [first, last] {
                let ip = IpAddr::V6(Ipv6Addr::from_bits(bits));
                assert!(refused_block(ip).is_some(), "{ip} in {}", block.name);
            }
        }
    }

    #[test]
    fn the_special_ipv6_ranges_named_in_the_registry_are_refused() {
        for (address, range) in [
            (
                "::ffff:127.0.0.1",
                "::ffff:0:0/96 judged by its IPv4 address",
            ),
            ("64:ff9b:1::1", "64:ff9b:1::/48"),
            ("64:ff9b:1:ffff::1", "64:ff9b:1::/48"),
            ("64:ff9b::a00:1", "64:ff9b::/96 carrying 10.0.0.1"),
            ("100::1", "100::/64"),
            ("100::ffff:ffff:ffff:ffff", "100::/64"),
            ("100:0:0:1::1", "100:0:0:1::/64"),
            ("3fff::1", "3fff::/20"),
            ("3fff:fff:ffff::1", "3fff::/20"),
            ("2001:2::1", "2001:2::/48"),
            ("2001:10::1", "2001:10::/28"),
            ("2001:1f:ffff::1", "2001:10::/28"),
            ("2001:20::1", "2001:20::/28"),
            ("2001:30::1", "2001:30::/28"),
            ("2001:1::1", "2001::/23"),
            ("2001:1ff::1", "2001::/23"),
            ("2001::1", "Teredo"),
            ("2001:db8::1", "documentation"),
            ("2002:a00:1::1", "6to4 carrying 10.0.0.1"),
            ("5f00::1", "5f00::/16"),
            ("5f00:ffff::1", "5f00::/16"),
            ("fe80::1", "fe80::/10"),
            ("febf:ffff::1", "fe80::/10"),
            ("fec0::1", "fec0::/10"),
            ("fc00::1", "fc00::/7"),
            ("fdff::1", "fc00::/7"),
            ("ff02::1", "multicast"),
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("::8.8.8.8", "IPv4-compatible"),
            ("4000::1", "outside 2000::/3"),
            ("1::1", "outside 2000::/3"),
        ] {
            let ip: IpAddr = address.parse().expect("ip");
            assert!(!is_public(ip), "{address} ({range})");
        }
        // Right next to the refused blocks, and what the embedded-IPv4 forms carry when public.
        for address in [
            "3fff:1000::1",
            "2001:200::1",
            "2001:4860:4860::8888",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "::ffff:8.8.8.8",
            "2600::1",
        ] {
            let ip: IpAddr = address.parse().expect("ip");
            assert!(is_public(ip), "{address}");
        }
    }

    #[test]
    fn only_the_web_ports_are_fetched_outside_tests() {
        for allowed in [
            "http://example.com/a.png",
            "http://example.com:80/a.png",
            "https://example.com/a.png",
            "https://example.com:443/a.png",
        ] {
            assert!(parse(allowed, false).is_ok(), "{allowed}");
        }
        for port in ["8080", "22", "6379", "1", "65535"] {
            let url = format!("http://example.com:{port}/a.png");
            let err = parse(&url, false).expect_err("another port");
            assert!(err.contains("80 and 443"), "{url}: {err}");
        }
        assert!(
            parse("http://example.com:8080/a.png", true).is_ok(),
            "tests serve photos on random loopback ports"
        );
    }

    #[tokio::test]
    async fn a_url_on_another_port_is_refused_before_any_connection() {
        let enabled = FetchPolicy {
            enabled: true,
            ..FetchPolicy::default()
        };
        let err = fetch("http://1.1.1.1:8080/x.png", "image_url", &enabled)
            .await
            .expect_err("port 8080");
        assert!(err.to_string().contains("80 and 443"), "{err}");
        assert!(err.to_string().starts_with("image_url"), "{err}");
    }

    #[test]
    fn a_redirect_from_https_to_http_is_refused() {
        let secure: hyper::Uri = "https://example.com/photo.png".parse().expect("uri");
        let plain: hyper::Uri = "http://example.com/photo.png".parse().expect("uri");
        for location in [
            "http://example.com/photo.png",
            "http://cdn.example.net/p.png",
        ] {
            let err = target_join(&secure, location, false).expect_err("downgrade");
            assert!(err.contains("https to http"), "{location}: {err}");
            assert!(
                target_join(&secure, location, true).is_err(),
                "not even in tests"
            );
        }
        assert!(target_join(&secure, "/other.png", false).is_ok());
        assert!(target_join(&secure, "https://cdn.example.net/p.png", false).is_ok());
        assert!(target_join(&plain, "https://example.com/p.png", false).is_ok());
        assert!(target_join(&plain, "/p.png", false).is_ok());
        let err = target_join(&secure, "https://example.com:8443/p.png", false)
            .expect_err("a redirect to another port");
        assert!(err.contains("80 and 443"), "{err}");
    }

    #[test]
    fn only_http_urls_without_credentials_are_accepted() {
        assert!(parse("https://example.com/a.png", false).is_ok());
        assert!(parse("http://example.com/a.png?x=1", false).is_ok());
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
        // On the web's port, so the resolver's check (not the port's) refuses the name.
        for url in [
            "http://127.0.0.1:9/x.png",
            "http://localhost/x.png",
            "http://[::1]:9/x.png",
        ] {
            let err = fetch(url, "image_url", &enabled)
                .await
                .expect_err("loopback");
            assert!(err.to_string().contains("not public"), "{url}: {err}");
        }
    }
}
