//! `/v1/fellowships` and `/v1/types`: the vocabularies, with labels for display.

use actix_web::{get, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::cache;
use crate::domain::{Facet, FellowshipInfo, MeetingType, FELLOWSHIPS};

#[derive(Serialize, ToSchema)]
pub struct FellowshipList {
    pub fellowships: Vec<FellowshipInfo>,
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

/// The fellowships meetingmap lists.
#[utoipa::path(tag = "vocabularies", responses((status = 200, body = FellowshipList)))]
#[get("/v1/fellowships")]
pub async fn fellowships() -> HttpResponse {
    cached(
        serde_json::to_string(&FellowshipList {
            fellowships: FELLOWSHIPS.to_vec(),
        })
        .expect("serialises"),
    )
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
