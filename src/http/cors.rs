//! Cross-origin reads: which web pages may call the API from a browser.
//!
//! Every endpoint is a public read (GET/HEAD, and POST for the coverage of points a page sends)
//! that uses no cookies or other credentials, so by
//! default any origin may read it (`Access-Control-Allow-Origin: *`), which is what lets agency
//! websites embed the finder without running anything. A deployment may instead name the origins
//! allowed: those get their own origin echoed (with `Vary: Origin`, so caches keep the answers
//! apart), and other pages get responses without CORS headers, which browsers refuse to hand to
//! them. A refused preflight is a problem+json 400 like any other bad request.

use actix_cors::{Cors, CorsError};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::ResponseError;

use super::methods::Routes;
use super::problem::ApiError;
pub use crate::settings::AllowedOrigins;

/// How long browsers may cache a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: usize = 86_400;

impl AllowedOrigins {
    /// The `frame-ancestors` directive for pages meant to be framed (`/embed`): with a list of
    /// origins, only their pages may frame them, as only their scripts may read the API; without
    /// one, none (any site may frame them).
    pub fn frame_ancestors(&self) -> Option<String> {
        match self {
            AllowedOrigins::Any => None,
            AllowedOrigins::Only(origins) => Some(format!("frame-ancestors {}", origins.join(" "))),
        }
    }

    /// The CORS middleware for this setting: GET, HEAD and POST (narrowed per path by
    /// [`post_where_it_exists`]), never credentials.
    pub fn middleware(&self) -> Cors {
        let cors = match self {
            AllowedOrigins::Any => Cors::default().allow_any_origin().send_wildcard(),
            AllowedOrigins::Only(origins) => origins
                .iter()
                .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin)),
        };
        cors.allowed_methods(["GET", "HEAD", "POST"])
            .allow_any_header()
            .expose_headers(["ETag", "Link"])
            .max_age(PREFLIGHT_MAX_AGE)
    }
}

/// Turns the CORS middleware's own errors (a refused preflight) into the API's problem+json.
pub async fn problem_responses(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let response = next.call(req).await?;
    let problem = response
        .response()
        .error()
        .and_then(|e| e.as_error::<CorsError>())
        .map(|e| {
            let header = match e {
                CorsError::MissingRequestMethod
                | CorsError::BadRequestMethod
                | CorsError::MethodNotAllowed => "Access-Control-Request-Method",
                CorsError::BadRequestHeaders | CorsError::HeadersNotAllowed => {
                    "Access-Control-Request-Headers"
                }
                _ => "Origin",
            };
            let reason = match e {
                CorsError::OriginNotAllowed => {
                    "is not among the origins allowed to read this API from a browser".to_string()
                }
                CorsError::MethodNotAllowed => "must be GET, HEAD or POST".into(),
                other => other.to_string(),
            };
            ApiError::param(header, reason)
        });
    Ok(match problem {
        None => response.map_into_left_body(),
        Some(problem) => {
            let (request, _) = response.into_parts();
            ServiceResponse::new(request, problem.error_response()).map_into_right_body()
        }
    })
}

/// Preflights by path: the CORS middleware allows the union of every path's methods, so a
/// preflight for a method the path lacks (POST on a search) is refused here, with the methods the
/// path has, and an allowed one lists only the path's own methods.
pub async fn post_where_it_exists(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let methods = Routes::api().methods(req.path());
    let asked = (req.method() == Method::OPTIONS)
        .then(|| req.headers().get(header::ACCESS_CONTROL_REQUEST_METHOD))
        .flatten()
        .and_then(|v| Method::from_bytes(v.as_bytes()).ok());
    fn own(methods: &[Method]) -> Vec<&str> {
        methods
            .iter()
            .filter(|m| **m != Method::HEAD)
            .map(Method::as_str)
            .collect()
    }
    if let (Some(asked), Some(methods)) = (&asked, &methods) {
        if !methods.contains(asked) {
            let problem = ApiError::param(
                "Access-Control-Request-Method",
                format!("must be one of {} on this path", own(methods).join(", ")),
            );
            let (request, _) = req.into_parts();
            return Ok(ServiceResponse::new(request, problem.error_response()).map_into_right_body());
        }
    }
    let mut response = next.call(req).await?;
    if let (Some(_), Some(methods)) = (asked, methods) {
        let headers = response.headers_mut();
        if headers.contains_key(header::ACCESS_CONTROL_ALLOW_METHODS) {
            let mut list = own(&methods);
            list.insert(1.min(list.len()), "HEAD");
            if let Ok(value) = HeaderValue::from_str(&list.join(",")) {
                headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, value);
            }
        }
    }
    Ok(response.map_into_left_body())
}
