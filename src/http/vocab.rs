//! `/v1/fellowships` and `/v1/types`: the vocabularies, with labels for display.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::search_response::cached_json;
use super::{cache, AppState};
use crate::domain::{Facet, Fellowship, FellowshipInfo, MeetingType};

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
