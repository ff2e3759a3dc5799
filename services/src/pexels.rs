//! The background library: Pexels photos, searched and downloaded by this server for the editor, so
//! a visitor's address never reaches Pexels (and never their photo: only the search words go), and
//! the page's CSP keeps images to our own origin. On only with an operator's API key
//! (`IMGIGO_PEXELS_KEY`). Pexels asks that every photo shown names its photographer and links to
//! Pexels; each result carries what is needed for that.
//!
//! Photos are fetched by id only (never by a URL a caller gives), from the image host the config
//! names, within a size and time limit. The ids seen in searches are remembered (a bounded map) so
//! showing a photo costs one request to the image host, not another to the API.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::config::PexelsConfig;

/// Results per page.
pub const PER_PAGE: u32 = 24;
/// The last page one may ask for, and the longest query.
pub const MAX_PAGE: u32 = 50;
pub const MAX_QUERY: usize = 100;
/// Photos remembered from searches.
const REMEMBERED: usize = 2000;
/// The largest photo fetched, and how long one exchange with Pexels may take.
const MAX_IMAGE_BYTES: usize = 15 * 1000 * 1000;
const MAX_ANSWER_BYTES: usize = 2 * 1000 * 1000;
const TIMEOUT: Duration = Duration::from_secs(15);

/// One photo as the editor shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Photo {
    pub id: u64,
    pub width: u32,
    pub height: u32,
    pub alt: String,
    pub photographer: String,
    pub photographer_url: String,
    /// The photo's page on Pexels (the credit links there).
    pub pexels_url: String,
    #[serde(skip)]
    sources: Sources,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Sources {
    small: String,
    large: String,
}

/// A page of results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Page {
    pub photos: Vec<Photo>,
    pub page: u32,
    pub more: bool,
}

/// Which size of a photo to fetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// About 350 px high: the search results.
    Small,
    /// About 1880 px wide: a background.
    Large,
}

// Pexels' answers, as its API documents them (only the fields used).
#[derive(Deserialize)]
struct SearchAnswer {
    #[serde(default)]
    photos: Vec<PhotoAnswer>,
    #[serde(default)]
    next_page: Option<String>,
}

#[derive(Deserialize)]
struct PhotoAnswer {
    id: u64,
    width: u32,
    height: u32,
    #[serde(default)]
    alt: Option<String>,
    photographer: String,
    photographer_url: String,
    url: String,
    src: SourceAnswer,
}

#[derive(Deserialize)]
struct SourceAnswer {
    medium: String,
    large2x: String,
}

impl From<PhotoAnswer> for Photo {
    fn from(answer: PhotoAnswer) -> Self {
        Self {
            id: answer.id,
            width: answer.width,
            height: answer.height,
            alt: answer.alt.unwrap_or_default(),
            photographer: answer.photographer,
            photographer_url: answer.photographer_url,
            pexels_url: answer.url,
            sources: Sources {
                small: answer.src.medium,
                large: answer.src.large2x,
            },
        }
    }
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

pub struct Pexels {
    config: PexelsConfig,
    client: HttpsClient,
    remembered: Mutex<Remembered>,
}

/// The photos seen lately, oldest forgotten first.
#[derive(Default)]
struct Remembered {
    photos: HashMap<u64, Photo>,
    order: VecDeque<u64>,
}

impl Remembered {
    fn keep(&mut self, photo: &Photo) {
        if self.photos.insert(photo.id, photo.clone()).is_none() {
            self.order.push_back(photo.id);
        }
        while self.order.len() > REMEMBERED {
            if let Some(old) = self.order.pop_front() {
                self.photos.remove(&old);
            }
        }
    }
}

impl Pexels {
    pub fn new(config: PexelsConfig) -> Result<Self, Error> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(|_| Error::Internal("TLS set-up failed".into()))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            config,
            client: Client::builder(TokioExecutor::new()).build(https),
            remembered: Mutex::new(Remembered::default()),
        })
    }

    /// Photos for `query` (1–100 characters), page 1–50.
    pub async fn search(&self, query: &str, page: u32) -> Result<Page, Error> {
        let query = query.trim();
        if query.is_empty() || query.chars().count() > MAX_QUERY {
            return Err(Error::Invalid {
                field: "q",
                message: format!("search for 1 to {MAX_QUERY} characters"),
            });
        }
        if !(1..=MAX_PAGE).contains(&page) {
            return Err(Error::Invalid {
                field: "page",
                message: format!("use a page from 1 to {MAX_PAGE}"),
            });
        }
        let address = format!(
            "{}/v1/search?{}",
            self.config.api,
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("query", query)
                .append_pair("per_page", &PER_PAGE.to_string())
                .append_pair("page", &page.to_string())
                .finish()
        );
        let body = self.get(&address, true, MAX_ANSWER_BYTES).await?.0;
        let answer: SearchAnswer = serde_json::from_slice(&body).map_err(|err| {
            tracing::warn!(error = %err, "pexels: an unreadable search answer");
            unavailable()
        })?;
        let photos: Vec<Photo> = answer.photos.into_iter().map(Photo::from).collect();
        if let Ok(mut remembered) = self.remembered.lock() {
            for photo in &photos {
                remembered.keep(photo);
            }
        }
        Ok(Page {
            photos,
            page,
            more: answer.next_page.is_some(),
        })
    }

    /// A photo's bytes and media type, by id.
    pub async fn image(&self, id: u64, size: Size) -> Result<(Vec<u8>, String), Error> {
        let known = self
            .remembered
            .lock()
            .ok()
            .and_then(|remembered| remembered.photos.get(&id).cloned());
        let photo = match known {
            Some(photo) => photo,
            None => {
                let address = format!("{}/v1/photos/{id}", self.config.api);
                let body = self.get(&address, true, MAX_ANSWER_BYTES).await?.0;
                let photo: Photo = serde_json::from_slice::<PhotoAnswer>(&body)
                    .map_err(|_| unavailable())?
                    .into();
                if let Ok(mut remembered) = self.remembered.lock() {
                    remembered.keep(&photo);
                }
                photo
            }
        };
        let source = match size {
            Size::Small => &photo.sources.small,
            Size::Large => &photo.sources.large,
        };
        // Only from the image host: an answer naming another address is not followed.
        if !source.starts_with(&format!("{}/", self.config.images)) {
            tracing::warn!("pexels: a photo address outside the image host was refused");
            return Err(unavailable());
        }
        let (bytes, content_type) = self.get(source, false, MAX_IMAGE_BYTES).await?;
        if !matches!(
            content_type.as_str(),
            "image/jpeg" | "image/png" | "image/webp"
        ) {
            return Err(unavailable());
        }
        Ok((bytes, content_type))
    }

    /// GET `address` (with the key for the API), within `limit` bytes and the timeout.
    async fn get(
        &self,
        address: &str,
        with_key: bool,
        limit: usize,
    ) -> Result<(Vec<u8>, String), Error> {
        let exchange = async {
            let mut request =
                hyper::Request::get(address).header(hyper::header::USER_AGENT, "imgigo");
            if with_key {
                request = request.header(hyper::header::AUTHORIZATION, &self.config.key);
            }
            let request = request.body(Empty::new()).map_err(|_| unavailable())?;
            let response = self.client.request(request).await.map_err(|err| {
                tracing::warn!(error = %err, "pexels: no answer");
                unavailable()
            })?;
            let status = response.status();
            if status == hyper::StatusCode::NOT_FOUND {
                return Err(Error::NotFound("photo"));
            }
            if status == hyper::StatusCode::TOO_MANY_REQUESTS {
                return Err(Error::TooManyRequests {
                    message: "The photo library is busy. Please try again in a minute.".into(),
                    retry_after: 60,
                });
            }
            if !status.is_success() {
                tracing::warn!(%status, "pexels: refused");
                return Err(unavailable());
            }
            let content_type = response
                .headers()
                .get(hyper::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .map(|value| {
                    value
                        .split(';')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase()
                })
                .unwrap_or_default();
            let mut body = response.into_body();
            let mut bytes = Vec::new();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|_| unavailable())?;
                if let Some(chunk) = frame.data_ref() {
                    if bytes.len() + chunk.len() > limit {
                        return Err(unavailable());
                    }
                    bytes.extend_from_slice(chunk);
                }
            }
            Ok((bytes, content_type))
        };
        tokio::time::timeout(TIMEOUT, exchange)
            .await
            .unwrap_or_else(|_| Err(unavailable()))
    }
}

fn unavailable() -> Error {
    Error::Unavailable("photo library")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(id: u64) -> Photo {
        Photo {
            id,
            width: 1,
            height: 1,
            alt: String::new(),
            photographer: String::new(),
            photographer_url: String::new(),
            pexels_url: String::new(),
            sources: Sources::default(),
        }
    }

    #[test]
    fn the_remembered_photos_are_bounded() {
        let mut remembered = Remembered::default();
        for id in 0..(REMEMBERED as u64 + 10) {
            remembered.keep(&photo(id));
        }
        remembered.keep(&photo(REMEMBERED as u64 + 5));
        assert_eq!(remembered.photos.len(), REMEMBERED);
        assert_eq!(remembered.order.len(), REMEMBERED);
        assert!(!remembered.photos.contains_key(&0), "the oldest went first");
        assert!(remembered.photos.contains_key(&(REMEMBERED as u64 + 9)));
    }
}
