//! Getting a feed's bytes: over HTTP with timeouts, bounded retries with backoff, a size limit and
//! conditional requests, or from a local file.

use std::time::Duration;

use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use reqwest::StatusCode;

use super::source::Location;

/// The feed as fetched.
#[derive(Debug)]
pub enum Fetched {
    /// The server says the feed has not changed since the validators given.
    NotModified,
    Body {
        bytes: Vec<u8>,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url} could not be fetched: {reason}")]
    Transport { url: String, reason: String },
    #[error("{what} is larger than the {limit} byte limit")]
    TooLarge { what: String, limit: u64 },
    #[error("cannot read {path}: {reason}")]
    File { path: String, reason: String },
}

impl FetchError {
    /// Worth trying again: the server or network may recover.
    fn is_transient(&self) -> bool {
        match self {
            FetchError::Status { status, .. } => *status >= 500 || *status == 429,
            FetchError::Transport { .. } => true,
            _ => false,
        }
    }
}

#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    pub max_bytes: u64,
    pub retries: u32,
    pub backoff: Duration,
}

impl Fetcher {
    pub fn new(timeout: Duration) -> Fetcher {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!(
                "meetingmap/",
                env!("CARGO_PKG_VERSION"),
                " (meeting directory importer)"
            ))
            .build()
            .expect("a client with rustls builds");
        Fetcher {
            client,
            max_bytes: 64 * 1024 * 1024,
            retries: 3,
            backoff: Duration::from_millis(500),
        }
    }

    /// Fetches `location`, sending `etag` / `last_modified` from the last good import so an
    /// unchanged feed costs a 304. Transient failures are retried with exponential backoff.
    pub async fn fetch(
        &self,
        location: &Location,
        etag: Option<&str>,
        last_modified: Option<&str>,
    ) -> Result<Fetched, FetchError> {
        let url = match location {
            Location::File(path) => return self.read_file(path).await,
            Location::Url(url) => url,
        };
        let mut attempt = 0;
        loop {
            match self.get(url, etag, last_modified).await {
                Err(e) if e.is_transient() && attempt < self.retries => {
                    attempt += 1;
                    tracing::warn!(url, attempt, error = %e, "feed fetch failed; retrying");
                    tokio::time::sleep(self.backoff * 2u32.pow(attempt - 1)).await;
                }
                result => return result,
            }
        }
    }

    async fn get(
        &self,
        url: &str,
        etag: Option<&str>,
        last_modified: Option<&str>,
    ) -> Result<Fetched, FetchError> {
        let transport = |e: reqwest::Error| FetchError::Transport {
            url: url.to_string(),
            reason: if e.is_timeout() {
                "timed out".into()
            } else {
                e.to_string()
            },
        };
        let mut request = self.client.get(url);
        if let Some(etag) = etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(last_modified) = last_modified {
            request = request.header(IF_MODIFIED_SINCE, last_modified);
        }
        let mut response = request.send().await.map_err(transport)?;
        if response.status() == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !response.status().is_success() {
            return Err(FetchError::Status {
                url: url.to_string(),
                status: response.status().as_u16(),
            });
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let (etag, last_modified) = (header(ETAG), header(LAST_MODIFIED));
        let too_large = || FetchError::TooLarge {
            what: url.to_string(),
            limit: self.max_bytes,
        };
        if response.content_length().is_some_and(|n| n > self.max_bytes) {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if bytes.len() as u64 + chunk.len() as u64 > self.max_bytes {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body {
            bytes,
            etag,
            last_modified,
        })
    }

    async fn read_file(&self, path: &std::path::Path) -> Result<Fetched, FetchError> {
        let file_error = |e: std::io::Error| FetchError::File {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let size = tokio::fs::metadata(path).await.map_err(file_error)?.len();
        if size > self.max_bytes {
            return Err(FetchError::TooLarge {
                what: path.display().to_string(),
                limit: self.max_bytes,
            });
        }
        let bytes = tokio::fs::read(path).await.map_err(file_error)?;
        Ok(Fetched::Body {
            bytes,
            etag: None,
            last_modified: None,
        })
    }
}
