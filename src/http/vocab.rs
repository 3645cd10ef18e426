//! `/v1/fellowships`, `/v1/types` and `/v1/helplines`: the vocabularies, with labels for display.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::search_response::cached_json;
use super::{cache, AppState};
use crate::domain::{Facet, Fellowship, FellowshipInfo, MeetingType, HELPLINES};

/// A fellowship, with how many of its meetings the directory lists.
#[derive(Serialize, ToSchema)]
pub struct FellowshipView {
    #[serde(flatten)]
    pub info: FellowshipInfo,
    /// Meetings of this fellowship in the directory now (duplicates listed by several sources
    /// counted once). Zero means the directory has no source for it yet, not that it has no
    /// meetings: offer only fellowships with meetings.
    #[schema(example = 5830)]
    pub meetings: usize,
}

#[derive(Serialize, ToSchema)]
pub struct FellowshipList {
    pub fellowships: Vec<FellowshipView>,
}

/// One meeting type.
#[derive(Serialize, ToSchema)]
pub struct TypeView {
    /// What to pass as `type=` and what meetings carry: `facet:code`.
    #[schema(example = "format:speaker")]
    pub id: String,
    pub facet: Facet,
    #[schema(example = "speaker")]
    pub code: &'static str,
    #[schema(example = "Speaker")]
    pub label: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct TypeList {
    pub types: Vec<TypeView>,
}

fn cached(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(cache::control(cache::STABLE))
        .content_type("application/json")
        .body(body)
}

/// The fellowships meetingmap knows, with their meeting counts.
///
/// Every fellowship of the vocabulary, in display order, with `meetings`: how many of its
/// meetings the directory lists now. A finder offers only those with meetings, so that ticking
/// one never reads as "there are none near you" when the directory simply has no source for it.
#[utoipa::path(
    tag = "vocabularies",
    responses((status = 200, body = FellowshipList, headers(
        ("ETag" = String, description = "Changes with the data"),
    )))
)]
#[get("/v1/fellowships")]
pub async fn fellowships(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let snapshot = state.directory.snapshot();
    // The counts follow the data, so the answer is cached like a search (ETag per snapshot).
    cached_json(&req, &snapshot, "", || {
        let fellowships = Fellowship::all()
            .map(|f| FellowshipView {
                info: *f.info(),
                meetings: snapshot.fellowship_meetings(f),
            })
            .collect();
        serde_json::to_string(&FellowshipList { fellowships }).expect("serialises")
    })
}

/// Meeting types by facet (format, community, accessibility, language).
#[utoipa::path(tag = "vocabularies", responses((status = 200, body = TypeList)))]
#[get("/v1/types")]
pub async fn types() -> HttpResponse {
    let types = MeetingType::all()
        .map(|t| {
            let info = t.info();
            TypeView {
                id: t.to_string(),
                facet: info.facet,
                code: info.code,
                label: info.label,
            }
        })
        .collect();
    cached(serde_json::to_string(&TypeList { types }).expect("serialises"))
}

/// One fellowship's national contact in the UK.
#[derive(Serialize, ToSchema)]
pub struct HelplineView {
    /// The fellowship's code (see `/v1/fellowships`).
    #[schema(example = "aa")]
    pub fellowship: &'static str,
    #[schema(example = "Alcoholics Anonymous")]
    pub fellowship_name: &'static str,
    /// Telephone as the fellowship writes it; null where it runs no phone line.
    #[schema(example = "0800 9177 650")]
    pub phone: Option<&'static str>,
    /// Where to find meetings and help online.
    pub web: &'static str,
    /// The page the number (or its absence) was taken from, to re-check it.
    pub source: &'static str,
    /// Whether the number was confirmed against what the fellowship itself publishes; where
    /// false, show the source beside it.
    pub checked: bool,
}

#[derive(Serialize, ToSchema)]
pub struct HelplineList {
    pub helplines: Vec<HelplineView>,
}

/// National helplines per fellowship (UK), each with the page its number was taken from: what
/// the finder and hand-outs offer when no meeting is near.
#[utoipa::path(tag = "vocabularies", responses((status = 200, body = HelplineList)))]
#[get("/v1/helplines")]
pub async fn helplines() -> HttpResponse {
    let helplines = HELPLINES
        .iter()
        .filter_map(|h| {
            let fellowship = Fellowship::parse(h.fellowship)?;
            Some(HelplineView {
                fellowship: h.fellowship,
                fellowship_name: fellowship.info().name,
                phone: h.phone,
                web: h.web,
                source: h.source,
                checked: h.checked,
            })
        })
        .collect();
    cached(serde_json::to_string(&HelplineList { helplines }).expect("serialises"))
}
