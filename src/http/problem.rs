//! The one error type of the HTTP API, rendered as RFC 9457 `application/problem+json`.
//!
//! Handlers return `Result<_, ApiError>`; nothing else reaches the client as an error. Bad input is
//! reported all at once (`invalid_params` names every bad parameter), and an internal fault gets a
//! request id that is logged with the cause, so a 500 can be traced without exposing internals.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

use super::cache;
use crate::store::StoreError;

/// One bad request parameter and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct InvalidParam {
    pub name: String,
    pub reason: String,
}

impl InvalidParam {
    pub fn new(name: impl Into<String>, reason: impl Into<String>) -> InvalidParam {
        InvalidParam {
            name: name.into(),
            reason: reason.into(),
        }
    }
}

/// RFC 9457 problem details.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A stable URI under `/problems/` naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub invalid_params: Vec<InvalidParam>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid request parameters")]
    InvalidParams(Vec<InvalidParam>),
    #[error("{0}")]
    NotFound(String),
    /// The request is fine, but the directory's state does not allow an answer (a coverage report
    /// of an empty directory): a 409.
    #[error("{0}")]
    NothingToReport(String),
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The path exists, but not with this method: a 405 listing the methods it has.
    #[error("{method} is not a method of this path; it has {allow}")]
    MethodNotAllowed { method: String, allow: String },
    /// The client did not send its request body in time.
    #[error("{0}")]
    RequestTimeout(String),
    #[error("the directory has changed since this page was listed")]
    StaleCursor,
    #[error("not ready: {0}")]
    NotReady(String),
    /// This client asks more than its share: a 429 telling it when to ask again.
    #[error("too many requests: {detail}")]
    TooManyRequests { detail: String, retry_after_secs: u32 },
    /// At capacity: a 503 telling the client when to ask again.
    #[error("busy: {detail}")]
    Busy { detail: String, retry_after_secs: u32 },
    /// No credentials, or credentials that are not a live key: a 401 asking for a Bearer key.
    #[error("{0}")]
    Unauthorized(String),
    /// A live key that may not do this (another source, an admin's task).
    #[error("{0}")]
    Forbidden(String),
    /// The request conflicts with what is stored (an id taken, an imported meeting replaced).
    #[error("{0}")]
    Conflict(String),
    /// `If-Match` names a version of the meeting that is no longer current.
    #[error("{0}")]
    PreconditionFailed(String),
    /// A change without `If-Match`.
    #[error("{0}")]
    PreconditionRequired(String),
    /// Well-formed, but the meeting it describes is not valid: every bad field named.
    #[error("invalid meeting")]
    Unprocessable(Vec<InvalidParam>),
    /// Too many requests of one kind from one client: a 429 telling it when to ask again.
    #[error("rate limited: {detail}")]
    RateLimited { detail: String, retry_after_secs: u32 },
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

/// A store failure is an internal fault: logged with a request id, never shown.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::Internal(e.into())
    }
}

impl ApiError {
    pub fn param(name: impl Into<String>, reason: impl Into<String>) -> ApiError {
        ApiError::InvalidParams(vec![InvalidParam::new(name, reason)])
    }

    /// The one table from kind of error to status, `/problems/` slug and title.
    fn kind(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::InvalidParams(_) => (
                StatusCode::BAD_REQUEST,
                "invalid-parameters",
                "Invalid request parameters",
            ),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            ApiError::NothingToReport(_) => {
                (StatusCode::CONFLICT, "nothing-to-report", "Nothing to report on")
            }
            ApiError::NotAcceptable(_) => (
                StatusCode::NOT_ACCEPTABLE,
                "not-acceptable",
                "Format not available",
            ),
            ApiError::TooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "Request body too large",
            ),
            ApiError::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Request body type not accepted",
            ),
            ApiError::MethodNotAllowed { .. } => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            ApiError::RequestTimeout(_) => (
                StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                "Request not received in time",
            ),
            ApiError::StaleCursor => (StatusCode::GONE, "stale-cursor", "Cursor no longer valid"),
            ApiError::NotReady(_) => (StatusCode::SERVICE_UNAVAILABLE, "not-ready", "Service not ready"),
            ApiError::Busy { .. } => (StatusCode::SERVICE_UNAVAILABLE, "busy", "Service busy"),
            ApiError::TooManyRequests { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "one-at-a-time",
                "One analysis at a time",
            ),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized", "API key required"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Not allowed for this key"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict"),
            ApiError::PreconditionFailed(_) => (
                StatusCode::PRECONDITION_FAILED,
                "stale-write",
                "The meeting changed since it was read",
            ),
            ApiError::PreconditionRequired(_) => (
                StatusCode::PRECONDITION_REQUIRED,
                "if-match-required",
                "If-Match required",
            ),
            ApiError::Unprocessable(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-meeting",
                "Invalid meeting",
            ),
            ApiError::RateLimited { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "rate-limited", "Too many requests")
            }
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal-error",
                "Internal server error",
            ),
        }
    }

    pub fn to_problem(&self) -> Problem {
        let (status, slug, title) = self.kind();
        let (detail, invalid_params) = match self {
            ApiError::InvalidParams(params) | ApiError::Unprocessable(params) => {
                let detail = params
                    .iter()
                    .map(|p| format!("{} {}", p.name, p.reason))
                    .collect::<Vec<_>>();
                (detail.join("; "), params.clone())
            }
            ApiError::NotFound(what)
            | ApiError::NothingToReport(what)
            | ApiError::NotAcceptable(what)
            | ApiError::TooLarge(what)
            | ApiError::UnsupportedMediaType(what)
            | ApiError::RequestTimeout(what)
            | ApiError::Unauthorized(what)
            | ApiError::Forbidden(what)
            | ApiError::Conflict(what)
            | ApiError::PreconditionFailed(what)
            | ApiError::PreconditionRequired(what) => (what.clone(), vec![]),
            ApiError::MethodNotAllowed { .. } => (self.to_string(), vec![]),
            ApiError::StaleCursor => (
                "the directory was updated after this cursor was issued; start again from the first page"
                    .into(),
                vec![],
            ),
            ApiError::NotReady(why)
            | ApiError::Busy { detail: why, .. }
            | ApiError::TooManyRequests { detail: why, .. }
            | ApiError::RateLimited { detail: why, .. } => (why.clone(), vec![]),
            ApiError::Internal(cause) => {
                let request_id = format!("{:016x}", rand::random::<u64>());
                tracing::error!(request_id, error = ?cause, "internal error");
                (
                    format!("an unexpected error occurred; request id {request_id}"),
                    vec![],
                )
            }
        };
        Problem {
            kind: format!("/problems/{slug}"),
            title: title.into(),
            status: status.as_u16(),
            detail,
            invalid_params,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind().0
    }

    fn error_response(&self) -> HttpResponse {
        let body = serde_json::to_string(&self.to_problem()).expect("a problem always serialises");
        let mut response = HttpResponse::build(self.status_code());
        response
            .insert_header((header::CONTENT_TYPE, "application/problem+json"))
            .insert_header(cache::control(cache::NEVER));
        match self {
            ApiError::Busy { retry_after_secs, .. }
            | ApiError::TooManyRequests { retry_after_secs, .. }
            | ApiError::RateLimited { retry_after_secs, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::MethodNotAllowed { allow, .. } => {
                response.insert_header((header::ALLOW, allow.as_str()));
            }
            ApiError::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"meetingmap\""));
            }
            // The body was not read to its end, so the connection cannot carry another request.
            ApiError::RequestTimeout(_) => {
                response.insert_header((header::CONNECTION, "close"));
            }
            _ => {}
        }
        response.body(body)
    }
}

/// The problem responses handlers declare, each once (`responses(..., BadParams, NotAcceptable)`
/// in a handler's `#[utoipa::path]`), so the same failure reads the same on every endpoint.
// The types are only read by utoipa for the OpenAPI document; nothing constructs them.
#[allow(dead_code)]
pub mod responses {
    use super::*;

    /// One problem response: its type, status and description.
    macro_rules! problem {
        ($($name:ident: $status:literal, $description:literal;)*) => {$(
            #[derive(IntoResponses)]
            #[response(status = $status, description = $description, content_type = "application/problem+json")]
            pub struct $name(Problem);
        )*};
    }

    problem! {
        BadParams: 400, "Bad parameters";
        BadParamsOrRow: 400, "Bad parameters, or a bad row (named by line)";
        NotAcceptable: 406, "Format not available";
        StaleCursor: 410, "Cursor from before the directory changed";
        TooManyPoints: 413, "Too many points";
        NotCsv: 415, "Not text/csv";
        BodyTooSlow: 408, "The body was not received in time";
        NoKey: 401, "No API key, or not a live one (send `Authorization: Bearer <key>`)";
        WrongKey: 403, "This key may not do this (another source, or an admin's task)";
        NoSuchMeeting: 404, "No such meeting, source or report";
        Conflict: 409, "Conflicts with what is stored (an id taken, an imported meeting)";
        Stale: 412, "If-Match is not the meeting's current ETag: read it again";
        NoIfMatch: 428, "If-Match required (the ETag the meeting was read with)";
        BadMeeting: 422, "The meeting is not valid: every bad field named in invalid_params";
        ReportedTooOften: 429, "Too many reports from this client: ask again after Retry-After seconds";
        EmptyDirectory: 409, "The directory has no in-person meetings to report on";
    }

    #[derive(IntoResponses)]
    #[response(
        status = 503,
        description = "Every core is analysing coverage: ask again after Retry-After seconds",
        headers(("Retry-After" = u32, description = "Seconds to wait")),
        content_type = "application/problem+json"
    )]
    pub struct CoverageBusy(Problem);

    #[derive(IntoResponses)]
    #[response(
        status = 429,
        description = "An analysis this client asked for is still running (one at a time each): \
            ask again after Retry-After seconds",
        headers(("Retry-After" = u32, description = "Seconds to wait")),
        content_type = "application/problem+json"
    )]
    pub struct OneAtATime(Problem);

    #[derive(IntoResponses)]
    #[response(
        status = 304,
        description = "Not modified since the ETag given in If-None-Match"
    )]
    pub struct NotModified;
}
