//! The coarse dimensions a counter keeps: a route's template, a device class, whether a user
//! agent is a robot, and a referring site's host. Everything else in a request is dropped.

/// The route's template as the router matched it (`/r/{key}`), cut to the column's width.
pub(super) fn route(template: &str) -> String {
    let mut route: String = template
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(80)
        .collect();
    if route.is_empty() {
        route.push('/');
    }
    route
}

/// `mobile`, `tablet` or `desktop`, from the user agent (the "Mobi" rule browsers follow).
pub fn device_class(user_agent: &str) -> &'static str {
    if user_agent.contains("iPad")
        || user_agent.contains("Tablet")
        || (user_agent.contains("Android") && !user_agent.contains("Mobi"))
    {
        "tablet"
    } else if user_agent.contains("Mobi") {
        "mobile"
    } else {
        "desktop"
    }
}

/// Robots, scripts and headless browsers: not visitors, so not counted.
pub fn is_robot(user_agent: &str) -> bool {
    const MARKERS: [&str; 14] = [
        "bot",
        "crawl",
        "spider",
        "slurp",
        "headless",
        "curl/",
        "wget/",
        "python",
        "go-http-client",
        "java/",
        "okhttp",
        "libwww",
        "httpclient",
        "preview",
    ];
    let lower = user_agent.to_ascii_lowercase();
    lower.trim().is_empty() || MARKERS.iter().any(|marker| lower.contains(marker))
}

/// The referring site's host (`news.example.org`; `www.` dropped), or `None` when there is none
/// worth keeping: no header, this site itself, or anything that is not an http(s) URL with a
/// plausible host name. Never the path or the query.
pub fn referrer_host(referer: &str, public_url: &str) -> Option<String> {
    if referer.len() > 2048 {
        return None;
    }
    let url = url::Url::parse(referer.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let own = url::Url::parse(public_url)
        .ok()
        .and_then(|own| own.host_str().map(str::to_ascii_lowercase));
    if own.as_deref() == Some(host.as_str()) {
        return None;
    }
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    let plausible = !host.is_empty()
        && host.len() <= 64
        && host.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || b == b'.'
                || b == b'-'
                || b == b':'
                || b == b'['
                || b == b']'
        });
    plausible.then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Version/18.1 Mobile/15E148 Safari/604.1";
        let ipad = "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Version/18.1 Mobile/15E148 Safari/604.1";
        let pixel = "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36";
        let tab = "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 Chrome/131.0 Safari/537.36";
        let linux = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(device_class(iphone), "mobile");
        assert_eq!(device_class(pixel), "mobile");
        assert_eq!(device_class(ipad), "tablet");
        assert_eq!(device_class(tab), "tablet");
        assert_eq!(device_class(linux), "desktop");
    }

    #[test]
    fn robots() {
        for ua in [
            "",
            "Googlebot/2.1 (+http://www.google.com/bot.html)",
            "Mozilla/5.0 AppleWebKit/537.36 HeadlessChrome/131.0 Safari/537.36",
            "curl/8.5.0",
            "python-requests/2.32",
        ] {
            assert!(is_robot(ua), "{ua}");
        }
        assert!(!is_robot(
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
        ));
    }

    #[test]
    fn referrers_keep_the_host_only() {
        let own = "https://imgigo.example";
        assert_eq!(
            referrer_host("https://www.News.example.org/a/b?utm=1&key=secret", own).as_deref(),
            Some("news.example.org")
        );
        assert_eq!(
            referrer_host("https://imgigo.example/r/abc", own),
            None,
            "this site"
        );
        assert_eq!(referrer_host("android-app://com.x", own), None);
        assert_eq!(referrer_host("not a url", own), None);
        let long = format!("https://{}.example/", "a".repeat(100));
        assert_eq!(referrer_host(&long, own), None, "too long a host");
        assert_eq!(route(""), "/");
        assert_eq!(route(&"x".repeat(500)).len(), 80);
    }
}
