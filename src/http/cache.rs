//! Cache-Control policies, each named once: how long a client or shared cache may keep an answer.

use actix_web::http::header::{HeaderName, CACHE_CONTROL};

/// Answers that follow the directory: a minute, and `ETag` revalidation after that.
pub const FOLLOWS_DATA: &str = "public, max-age=60";
/// Answers that change only with a release or a reference file (vocabularies, places, the embed
/// script): an hour.
pub const STABLE: &str = "public, max-age=3600";
/// Kept, but asked about again before every use (the hand-out states the time it was made).
pub const REVALIDATE: &str = "no-cache";
/// Never kept: health, errors, answers over a client's own points.
pub const NEVER: &str = "no-store";

/// The `Cache-Control` header for `policy`.
pub fn control(policy: &'static str) -> (HeaderName, &'static str) {
    (CACHE_CONTROL, policy)
}
