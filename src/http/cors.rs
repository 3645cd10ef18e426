//! Cross-origin reads: which web pages may call the API from a browser.
//!
//! Every endpoint is a public read (GET/HEAD) that uses no cookies or other credentials, so by
//! default any origin may read it (`Access-Control-Allow-Origin: *`), which is what lets agency
//! websites embed the finder without running anything. A deployment may instead name the origins
//! allowed: those get their own origin echoed (with `Vary: Origin`, so caches keep the answers
//! apart), and other pages get responses without CORS headers, which browsers refuse to hand to
//! them. A refused preflight is a problem+json 400 like any other bad request.

use actix_cors::{Cors, CorsError};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::ResponseError;

use super::problem::ApiError;

/// How long browsers may cache a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: usize = 86_400;

/// The origins allowed to read the API from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Any page (`*`).
    Any,
    /// Only these origins (`scheme://host[:port]`, lower case).
    Only(Vec<String>),
}

impl AllowedOrigins {
    /// Reads `*` or a comma-separated list of origins such as
    /// `https://a.example,https://b.example:8443`.
    pub fn parse(text: &str) -> Result<AllowedOrigins, String> {
        let items: Vec<&str> = text.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        match items.as_slice() {
            [] => Err("give `*` or at least one origin such as https://example.org".into()),
            ["*"] => Ok(AllowedOrigins::Any),
            _ => items
                .iter()
                .map(|item| origin(item))
                .collect::<Result<Vec<_>, _>>()
                .map(AllowedOrigins::Only),
        }
    }

    /// The `frame-ancestors` directive for pages meant to be framed (`/embed`): with a list of
    /// origins, only their pages may frame them, as only their scripts may read the API; without
    /// one, none (any site may frame them).
    pub fn frame_ancestors(&self) -> Option<String> {
        match self {
            AllowedOrigins::Any => None,
            AllowedOrigins::Only(origins) => Some(format!("frame-ancestors {}", origins.join(" "))),
        }
    }

    /// The CORS middleware for this setting: GET and HEAD only, never credentials.
    pub fn middleware(&self) -> Cors {
        let cors = match self {
            AllowedOrigins::Any => Cors::default().allow_any_origin().send_wildcard(),
            AllowedOrigins::Only(origins) => origins
                .iter()
                .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin)),
        };
        cors.allowed_methods(["GET", "HEAD"])
            .allow_any_header()
            .expose_headers(["ETag", "Link"])
            .max_age(PREFLIGHT_MAX_AGE)
    }
}

/// Checks one origin and puts it in the form browsers send (`Origin` has no path and a lower-case
/// scheme and host).
fn origin(text: &str) -> Result<String, String> {
    let bad = |why: &str| Err(format!("`{text}` is not an origin: {why}"));
    let lower = text.to_ascii_lowercase();
    let Some((scheme, rest)) = lower.split_once("://") else {
        return bad("expected scheme://host[:port], such as https://example.org");
    };
    if scheme != "http" && scheme != "https" {
        return bad("the scheme must be http or https");
    }
    let host_port = rest.strip_suffix('/').unwrap_or(rest);
    if host_port.is_empty() {
        return bad("it has no host");
    }
    if host_port.contains(['/', '?', '#', '@', '*', ' ']) {
        return bad("give only scheme, host and port (no path, query, user or wildcard)");
    }
    if let Some((_, port)) = host_port.rsplit_once(':').filter(|_| !host_port.ends_with(']')) {
        if port.parse::<u16>().is_err() {
            return bad("the port must be a number from 0 to 65535");
        }
    }
    Ok(format!("{scheme}://{host_port}"))
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
                CorsError::MethodNotAllowed => "must be GET or HEAD: the API is read-only".into(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_any_or_a_list_of_origins() {
        assert_eq!(AllowedOrigins::parse("*"), Ok(AllowedOrigins::Any));
        assert_eq!(
            AllowedOrigins::parse(" https://A.example , http://b.example:8080/ "),
            Ok(AllowedOrigins::Only(vec![
                "https://a.example".into(),
                "http://b.example:8080".into()
            ]))
        );
        assert_eq!(
            AllowedOrigins::parse("http://[::1]:3000"),
            Ok(AllowedOrigins::Only(vec!["http://[::1]:3000".into()]))
        );
    }

    #[test]
    fn refuses_what_is_not_an_origin() {
        for bad in [
            "",
            " , ",
            "a.example",
            "ftp://a.example",
            "https://",
            "https://a.example/path",
            "https://*.example",
            "https://a.example:port",
            "https://a.example,*",
        ] {
            assert!(AllowedOrigins::parse(bad).is_err(), "{bad:?}");
        }
    }
}
