//! An optional remote geocoder, off by default: postcodes.io (or a compatible server) for full
//! postcodes, or Nominatim for full postcodes and place names.
//!
//! Asked only for what the local data cannot place exactly: a full postcode missing from the unit
//! data (none loaded, a newer postcode, Northern Ireland), and with Nominatim a place name the
//! bundled list lacks (it has no villages under 500 people, such as Corwen). Answers, including
//! "not found", are kept in a bounded in-memory cache so repeated searches do not repeat the
//! request; failures are not cached, and the caller falls back to the offline answer.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Deserialize;

use super::{fold_name, Kind, Resolved, UNIT_PRECISION_KM};
use crate::domain::distance_km;

const CACHE_ENTRIES: usize = 10_000;
/// Bounds for the precision of a Nominatim answer, taken from its bounding box.
const PRECISION_KM: (f64, f64) = (0.1, 30.0);

/// Which API the remote geocoder speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// `GET {base}/postcodes/{postcode}` (postcodes.io): full postcodes only.
    PostcodesIo,
    /// `GET {base}/search?q=...&format=jsonv2` (Nominatim): full postcodes and place names.
    Nominatim,
}

impl std::str::FromStr for Service {
    type Err = String;

    fn from_str(text: &str) -> Result<Service, String> {
        match text {
            "postcodes-io" => Ok(Service::PostcodesIo),
            "nominatim" => Ok(Service::Nominatim),
            _ => Err(format!("`{text}` is not `postcodes-io` or `nominatim`")),
        }
    }
}

pub struct RemoteGeocoder {
    client: reqwest::Client,
    base: reqwest::Url,
    service: Service,
    cache: Mutex<Cache>,
    /// Requests closer together than this are not made (the offline answer stands instead).
    min_interval: Duration,
    last_request: Mutex<Option<Instant>>,
}

/// First in, first out: simple, and enough to absorb repeats of popular queries.
#[derive(Default)]
struct Cache {
    answers: HashMap<String, Option<Resolved>>,
    order: VecDeque<String>,
}

#[derive(Deserialize)]
struct PostcodesIoAnswer {
    result: Option<PostcodesIoFound>,
}

#[derive(Deserialize)]
struct PostcodesIoFound {
    postcode: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
}

#[derive(Deserialize)]
struct NominatimFound {
    lat: String,
    lon: String,
    display_name: String,
    /// `[south, north, west, east]`, as strings.
    #[serde(default)]
    boundingbox: Vec<String>,
}

impl NominatimFound {
    fn resolved(&self, kind: Kind) -> Option<Resolved> {
        let (lat, lon) = (self.lat.parse().ok()?, self.lon.parse().ok()?);
        let bbox: Vec<f64> = self.boundingbox.iter().filter_map(|v| v.parse().ok()).collect();
        let half_diagonal = match bbox[..] {
            [south, north, west, east] => distance_km(south, west, north, east) / 2.0,
            _ => PRECISION_KM.0,
        };
        let label = self
            .display_name
            .split(", ")
            .take(2)
            .collect::<Vec<_>>()
            .join(", ");
        Some(Resolved {
            label,
            kind,
            lat,
            lon,
            precision_km: (half_diagonal.clamp(PRECISION_KM.0, PRECISION_KM.1) * 100.0).round() / 100.0,
        })
    }
}

impl RemoteGeocoder {
    /// A client for the `service` at `base` (`https://api.postcodes.io`,
    /// `https://nominatim.openstreetmap.org`).
    pub fn new(service: Service, base: &str, timeout: Duration) -> anyhow::Result<RemoteGeocoder> {
        let base = reqwest::Url::parse(base).with_context(|| format!("`{base}` is not a URL"))?;
        if base.cannot_be_a_base() {
            anyhow::bail!("`{base}` cannot be a base URL");
        }
        let client = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            // Nominatim's usage policy asks every application to identify itself.
            .user_agent(concat!("meetingmap/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(RemoteGeocoder {
            client,
            base,
            service,
            cache: Mutex::new(Cache::default()),
            // The public Nominatim allows one request per second.
            min_interval: match service {
                Service::Nominatim => Duration::from_secs(1),
                Service::PostcodesIo => Duration::ZERO,
            },
            last_request: Mutex::new(None),
        })
    }

    /// Changes the least time between two requests (one second for Nominatim, else none).
    pub fn with_min_interval(mut self, interval: Duration) -> RemoteGeocoder {
        self.min_interval = interval;
        self
    }

    /// Looks up a canonical unit postcode: `Ok(None)` when the server does not know it.
    pub async fn postcode(&self, unit: &str) -> anyhow::Result<Option<Resolved>> {
        match self.service {
            Service::PostcodesIo => {
                self.cached(format!("postcode {unit}"), self.postcodes_io(unit))
                    .await
            }
            Service::Nominatim => {
                self.cached(format!("postcode {unit}"), self.nominatim(unit, Kind::Postcode))
                    .await
            }
        }
    }

    /// Looks up a place name (Nominatim only; `Ok(None)` from postcodes.io).
    pub async fn place(&self, name: &str) -> anyhow::Result<Option<Resolved>> {
        match self.service {
            Service::PostcodesIo => Ok(None),
            Service::Nominatim => {
                self.cached(
                    format!("place {}", fold_name(name)),
                    self.nominatim(name, Kind::Place),
                )
                .await
            }
        }
    }

    async fn cached(
        &self,
        key: String,
        fetch: impl Future<Output = anyhow::Result<Option<Resolved>>>,
    ) -> anyhow::Result<Option<Resolved>> {
        if let Some(answer) = self.cache.lock().expect("cache lock").answers.get(&key) {
            return Ok(answer.clone());
        }
        let answer = fetch.await?;
        let mut cache = self.cache.lock().expect("cache lock");
        if cache.answers.insert(key.clone(), answer.clone()).is_none() {
            cache.order.push_back(key);
        }
        while cache.order.len() > CACHE_ENTRIES {
            if let Some(oldest) = cache.order.pop_front() {
                cache.answers.remove(&oldest);
            }
        }
        Ok(answer)
    }

    /// GETs `url`; errors are logged, so they leave out the URL, which holds someone's query.
    async fn get(&self, url: reqwest::Url) -> anyhow::Result<reqwest::Response> {
        {
            let mut last = self.last_request.lock().expect("rate lock");
            let now = Instant::now();
            if last.is_some_and(|t| now.duration_since(t) < self.min_interval) {
                anyhow::bail!("not asking the geocoder: under its rate limit");
            }
            *last = Some(now);
        }
        Ok(self
            .client
            .get(url)
            .send()
            .await
            .map_err(reqwest::Error::without_url)?)
    }

    async fn postcodes_io(&self, unit: &str) -> anyhow::Result<Option<Resolved>> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("checked to be a base URL")
            .pop_if_empty()
            .extend(["postcodes", unit]);
        let response = self.get(url).await?;
        match response.status().as_u16() {
            404 => Ok(None),
            200 => {
                let body: PostcodesIoAnswer = response.json().await.map_err(reqwest::Error::without_url)?;
                Ok(body.result.and_then(|found| {
                    Some(Resolved {
                        label: found.postcode,
                        kind: Kind::Postcode,
                        lat: found.latitude?,
                        lon: found.longitude?,
                        precision_km: UNIT_PRECISION_KM,
                    })
                }))
            }
            status => anyhow::bail!("the geocoder answered HTTP {status}"),
        }
    }

    async fn nominatim(&self, query: &str, kind: Kind) -> anyhow::Result<Option<Resolved>> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("checked to be a base URL")
            .pop_if_empty()
            .push("search");
        url.query_pairs_mut()
            .append_pair("q", query)
            .append_pair("format", "jsonv2")
            .append_pair("limit", "1")
            .append_pair("countrycodes", "gb");
        let response = self.get(url).await?;
        let status = response.status().as_u16();
        if status != 200 {
            anyhow::bail!("the geocoder answered HTTP {status}");
        }
        let found: Vec<NominatimFound> = response.json().await.map_err(reqwest::Error::without_url)?;
        Ok(found.first().and_then(|f| f.resolved(kind)))
    }
}
