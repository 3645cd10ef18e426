//! An optional remote postcode geocoder (postcodes.io or a compatible server), off by default.
//!
//! Asked only for full postcodes the local data cannot place exactly (no unit file loaded, or a
//! newer postcode, or Northern Ireland). Answers, including "no such postcode", are kept in a
//! bounded in-memory cache so repeated searches do not repeat the request; failures are not cached,
//! and the caller falls back to the offline sector or outcode.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

use super::{Kind, Resolved, UNIT_PRECISION_KM};

const CACHE_ENTRIES: usize = 10_000;

pub struct RemoteGeocoder {
    client: reqwest::Client,
    base: reqwest::Url,
    cache: Mutex<Cache>,
}

/// First in, first out: simple, and enough to absorb repeats of popular postcodes.
#[derive(Default)]
struct Cache {
    answers: HashMap<String, Option<Resolved>>,
    order: VecDeque<String>,
}

#[derive(Deserialize)]
struct Answer {
    result: Option<Found>,
}

#[derive(Deserialize)]
struct Found {
    postcode: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
}

impl RemoteGeocoder {
    /// A client for the postcodes.io-compatible server at `base` (`https://api.postcodes.io`).
    pub fn new(base: &str, timeout: Duration) -> anyhow::Result<RemoteGeocoder> {
        let base = reqwest::Url::parse(base).with_context(|| format!("`{base}` is not a URL"))?;
        let client = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .user_agent(concat!("meetingmap/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(RemoteGeocoder {
            client,
            base,
            cache: Mutex::new(Cache::default()),
        })
    }

    /// Looks up a canonical unit postcode: `Ok(None)` when the server does not know it.
    pub async fn postcode(&self, unit: &str) -> anyhow::Result<Option<Resolved>> {
        if let Some(answer) = self.cache.lock().expect("cache lock").answers.get(unit) {
            return Ok(answer.clone());
        }
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| anyhow::anyhow!("{} cannot be a base URL", self.base))?
            .pop_if_empty()
            .extend(["postcodes", unit]);
        // Errors are logged: leave the URL, which holds someone's postcode, out of them.
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(reqwest::Error::without_url)?;
        let answer = match response.status().as_u16() {
            404 => None,
            200 => {
                let body: Answer = response.json().await.map_err(reqwest::Error::without_url)?;
                body.result.and_then(|found| {
                    Some(Resolved {
                        label: found.postcode,
                        kind: Kind::Postcode,
                        lat: found.latitude?,
                        lon: found.longitude?,
                        precision_km: UNIT_PRECISION_KM,
                    })
                })
            }
            status => anyhow::bail!("the geocoder answered HTTP {status}"),
        };
        let mut cache = self.cache.lock().expect("cache lock");
        if cache.answers.insert(unit.to_string(), answer.clone()).is_none() {
            cache.order.push_back(unit.to_string());
        }
        while cache.order.len() > CACHE_ENTRIES {
            if let Some(oldest) = cache.order.pop_front() {
                cache.answers.remove(&oldest);
            }
        }
        Ok(answer)
    }
}
