//! The HTTP API: actix-web routes per resource, one error type, and the OpenAPI document.

mod admin;
mod bmlt;
mod cache;
mod calendar;
mod changes;
mod compress;
mod cors;
mod coverage;
mod cursor;
mod editor;
mod embed;
mod export;
mod feeds;
mod geocode;
mod handout;
mod health;
mod meetings;
mod methods;
mod occurrences;
mod oruk;
mod pages;
mod params;
mod problem;
mod reports;
mod search_response;
mod security;
mod sources;
mod vocab;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::{from_fn, Compress, Logger, Next};
use actix_web::{web, App, HttpRequest, HttpServer};
use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::coverage::CoverageState;
use crate::directory::Directory;
use crate::import::source::SourceDefinition;
use crate::places::Geo;
use crate::settings::HttpSettings;

pub use problem::ApiError;

/// What handlers share.
pub struct AppState {
    /// The meetings: the snapshot every read is answered from, and the store behind it.
    pub directory: Directory,
    /// The source definitions in use, for `/v1/sources`.
    pub sources: Arc<Vec<SourceDefinition>>,
    pub geo: Arc<Geo>,
    /// Outlines for the coverage report, and recent coverage answers.
    pub coverage: Arc<CoverageState>,
    /// How long a client has to send a request body once its headers are in.
    pub body_timeout: Duration,
    /// How many problem reports each client may send per hour.
    pub report_limiter: Arc<reports::ReportLimiter>,
}

/// Makes the limiter of problem reports for `per_hour` reports per client.
pub fn report_limiter(per_hour: u32) -> Arc<reports::ReportLimiter> {
    Arc::new(reports::ReportLimiter::new(per_hour))
}

/// The `api_key` security scheme of the write API: `Authorization: Bearer <key>`.
struct ApiKeyScheme;

impl utoipa::Modify for ApiKeyScheme {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A key made with `meetingmap keys create` (`mmk_<id>.<secret>`): editors write the \
                         sources they are granted, admins all.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "meetingmap",
        description = "One directory of mutual aid meetings (AA, NA, CA, SMART Recovery, Al-Anon and \
            more): search by place, fellowship, type, day and time, and list the dated sessions \
            someone can get to this week. Errors are RFC 9457 problem+json.",
        license(name = "MIT OR Apache-2.0"),
    ),
    components(schemas(problem::InvalidParam, params::AccessFilter, params::SortOrder,
        embed::EmbedAttendance, embed::EmbedTime, embed::EmbedWhen, embed::EmbedView,
        embed::EmbedLang)),
    tags(
        (name = "meetings", description = "Search meetings and their dated sessions"),
        (name = "exports", description = "Calendars to subscribe to and printable hand-outs"),
        (name = "places", description = "Postcodes and place names, as the `near` parameter reads them"),
        (name = "vocabularies", description = "Codes accepted by the filters, with labels"),
        (name = "sources", description = "Where meetings come from, and how fresh each source is"),
        (name = "coverage", description = "How much of GB is within reach of a meeting, and the gaps"),
        (name = "embed", description = "The meeting finder for other websites: a script tag or an iframe"),
        (name = "pages", description = "Pages for people: the landing page and a page per meeting, in English or Welsh"),
        (name = "operations", description = "Health and readiness"),
        (name = "BMLT", description = "BMLT's semantic interface over every fellowship, for croutonjs, crumb-widget and other BMLT clients"),
        (name = "Meeting Guide", description = "The directory as a Meeting Guide feed, for TSML UI, the Meeting Guide app and aggregators"),
        (name = "editing", description = "Keeping the directory by hand, with an API key: meetings of \
            sources kept by hand, corrections to imported ones, the audit trail and reports"),
        (name = "Open Referral UK", description = "The directory as Open Referral UK (HSDS UK profile 3.0) \
            for council and NHS service directories: fellowships are organizations, meetings are \
            services with weekly or monthly schedules, at their rooms and online. Ids are stable \
            UUIDs; lists use the profile's paging (`page`, `per_page`); open to any origin, no keys."),
    ),
    modifiers(&ApiKeyScheme)
)]
struct ApiDoc;

/// The OpenAPI document, as served at `/openapi.json` and committed in `openapi/openapi.json`:
/// the title, tags and shared schemas of [`ApiDoc`], and the paths of [`endpoints`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(endpoints)
        .split_for_parts()
        .1;
    open_to_extension(&mut doc, &["Meeting"]);
    doc
}

/// Lets the component schemas `names` be extended. `Meeting` refuses unknown fields when read
/// (`deny_unknown_fields`, so a backup with a misspelt field is refused), which utoipa writes as
/// `additionalProperties: false`; but results are a `Meeting` with more fields beside it (`allOf`
/// with `distance_km`, `directions_url`...), which that would make invalid: every served result
/// failed validation against the spec.
fn open_to_extension(doc: &mut utoipa::openapi::OpenApi, names: &[&str]) {
    use utoipa::openapi::{RefOr, Schema};
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for name in names {
        if let Some(RefOr::T(Schema::Object(schema))) = components.schemas.get_mut(*name) {
            schema.additional_properties = None;
        }
    }
}

/// What no route answered: a path the API does not have (404), or a method that path does not
/// have (405 with `Allow`, RFC 9110 §15.5.6; `OPTIONS` is answered with the same `Allow`).
async fn not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    match methods::Routes::api().allow(req.path()) {
        Some(allow) if req.method() == Method::OPTIONS => Ok(actix_web::HttpResponse::NoContent()
            .insert_header((actix_web::http::header::ALLOW, allow))
            .finish()),
        Some(allow) => Err(ApiError::MethodNotAllowed {
            method: req.method().to_string(),
            allow,
        }),
        None => Err(ApiError::NotFound(format!("there is nothing at {}", req.path()))),
    }
}

/// Answers `HEAD` as `GET`. Routes are declared for `GET` only; the HTTP layer still knows
/// the request was `HEAD` and sends the headers without the body (RFC 9110 §9.3.2), so link
/// checkers and caches see the same status, `ETag` and length as a `GET` would.
async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

/// Every API endpoint, registered once: the router and the OpenAPI document are both made from
/// this list (utoipa-actix-web collects each handler's `#[utoipa::path]` as it is registered), so
/// neither can have an endpoint the other lacks.
fn endpoints(api: &mut ServiceConfig) {
    api.service(meetings::search_meetings)
        .service(calendar::search_calendar)
        // Before `/v1/meetings/{id}`, which would otherwise take `{id}.ics`.
        .service(calendar::meeting_calendar)
        .service(meetings::get_meeting)
        .service(changes::changes)
        .service(handout::handout)
        .service(handout::handout_form)
        .service(occurrences::search_occurrences)
        .service(geocode::geocode)
        .service(vocab::fellowships)
        .service(vocab::types)
        .service(vocab::helplines)
        .service(sources::list_sources)
        .service(sources::source_imports)
        .service(health::health)
        .service(health::ready)
        .service(coverage::coverage_summary)
        .service(coverage::coverage_summary_for_points)
        .service(coverage::coverage_gaps)
        .service(coverage::coverage_gaps_for_points)
        .service(embed::embed_script)
        .service(embed::embed_page)
        .service(feeds::meeting_guide_feed)
        .service(bmlt::bmlt_json)
        .service(bmlt::bmlt_jsonp)
        .service(bmlt::bmlt_json_bare)
        .service(bmlt::bmlt_jsonp_bare)
        .service(admin::meeting_history)
        .service(reports::report_meeting)
        .service(reports::report_form)
        .service(reports::report_form_sent)
        .service(admin::whoami)
        .service(admin::list_meetings)
        .service(admin::read_meeting)
        .service(admin::replace_meeting)
        .service(admin::patch_meeting)
        .service(admin::withdraw_meeting)
        .service(admin::drop_corrections)
        .service(admin::create_meeting)
        .service(admin::upload_sheet)
        .service(admin::audit_trail)
        .service(admin::list_reports)
        .service(admin::close_report)
        .service(editor::editor_page)
        .service(editor::editor_script)
        .service(editor::editor_style)
        .service(pages::landing)
        .service(pages::show_meeting)
        .service(oruk::api_info)
        .service(oruk::services)
        .service(oruk::service)
        .service(oruk::service_at_locations)
        .service(oruk::service_at_location)
        .service(oruk::organizations)
        .service(oruk::organization)
        .service(oruk::taxonomies)
        .service(oruk::taxonomy)
        .service(oruk::taxonomy_terms)
        .service(oruk::taxonomy_term)
        .service(embed::embed_outline);
}

/// Starts serving on an already-bound listener (port 0 in tests), letting `cors` read it from
/// browsers.
pub fn serve(listener: TcpListener, state: AppState, http: HttpSettings) -> std::io::Result<Server> {
    let state = web::Data::new(state);
    let origins = web::Data::new(http.cors_origins.clone());
    let finder = web::Data::new(embed::Finder::new(&http));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(origins.clone())
            .app_data(finder.clone())
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|e, _| ApiError::param("query", e.to_string()).into()),
            )
            .app_data(
                web::PathConfig::default()
                    .error_handler(|e, _| ApiError::param("path", e.to_string()).into()),
            )
            // Brotli with a window fitted to each body (see compress.rs), innermost so that it
            // sees the handlers' whole bodies (the logger's wraps them as a stream); what it
            // leaves is `Compress`'s.
            .wrap(from_fn(compress::fitted_brotli))
            // Paths and status only: query strings can hold someone's postcode, and client
            // addresses are never logged.
            .wrap(
                Logger::new("%{PATH}xi %s %b %Dms")
                    .custom_request_replace("PATH", |req| req.path().to_string()),
            )
            .wrap(Compress::default())
            .wrap(from_fn(security::page_headers))
            .wrap(origins.middleware())
            .wrap(from_fn(cors::problem_responses))
            .wrap(from_fn(cors::post_where_it_exists))
            .wrap(from_fn(head_as_get))
            .configure(|config| endpoints(&mut ServiceConfig::new(config)))
            .service(
                SwaggerUi::new("/docs/{_:.*}")
                    .url("/openapi.json", openapi())
                    // Swagger UI would otherwise ask a third-party validator about the spec.
                    .config(utoipa_swagger_ui::Config::default().validator_url("none")),
            )
            .route(
                "/docs",
                web::get().to(|| async { web::Redirect::to("/docs/").permanent() }),
            )
            .default_service(web::to(not_found))
    })
    // A client that is slow to send its request head, or to go away after its answer, loses the
    // connection (the body's own deadline is `AppState::body_timeout`, kept by the handlers that
    // read one).
    .client_request_timeout(http.request_timeout())
    .client_disconnect_timeout(http.request_timeout())
    // A compressed body goes out in several small writes; with Nagle's algorithm on, the last
    // one waits for the client's delayed ACK (~40 ms), which capped gzip and brotli responses at
    // about 1,000 req/s against 7,000+ uncompressed.
    .on_connect(|connection, _| {
        if let Some(tcp) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
            let _ = tcp.set_nodelay(true);
        }
    })
    .listen(listener)?
    .run();
    Ok(server)
}
