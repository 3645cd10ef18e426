//! Open Referral UK (HSDS UK profile 3.0): the directory as the council and NHS service
//! directories built on Open Referral read it.
//!
//! The mapping: each fellowship is an `organization`; each meeting is a `service` run by its
//! fellowship, with one `schedule` (weekly, or monthly on the given weeks, in local time) and one
//! `service_at_location` per way to attend: a `physical` location with its address for meetings
//! in a room, a `virtual` one for meetings online (hybrid meetings have both). Fellowships and
//! meeting types are the terms of two taxonomies, linked to services as `attributes`.
//!
//! Ids are UUIDs, version 5 of our own ids under [`NAMESPACE`], so they are the same in every
//! process and after every re-import, as long as the meeting keeps its id. Optional fields we have
//! no value for are left out, never `null`: the profile's schemas type them as plain strings.
//!
//! HSDS gives a schedule's time zone as a fixed UTC offset, which cannot say "GMT in winter, BST
//! in summer": times are local, and the schedule's `description` names the zone.

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::domain::{Attendance, Facet, Fellowship, Meeting, MeetingType, Status};

/// The namespace of every UUID this module makes: fixed once, at random. Changing it would change
/// every id a council directory has stored.
pub const NAMESPACE: Uuid = uuid::uuid!("6f1c0f64-3a53-5d8e-9a57-6a0e7c3c2f10");

/// The HSDS version `GET /` declares.
pub const VERSION: &str = "HSDS-UK-3.0";
/// Where the UK profile is described.
pub const PROFILE_URL: &str = "https://github.com/openreferral/uk-profile";

/// The stable UUID of one of our things: `kind` says which (`service`, `location`...), `key`
/// is our id for it.
pub fn uuid(kind: &str, key: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("{kind}:{key}").as_bytes())
}

/// The service UUID of a meeting.
pub fn service_id(meeting_id: &str) -> Uuid {
    uuid("service", meeting_id)
}

/// The organization UUID of a fellowship.
pub fn organization_id(fellowship: Fellowship) -> Uuid {
    uuid("organization", fellowship.id())
}

/// The two taxonomies our terms belong to.
const FELLOWSHIP_TAXONOMY: &str = "meetingmap-fellowships";
const TYPE_TAXONOMY: &str = "meetingmap-meeting-types";

/// A taxonomy term a filter can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    Fellowship(Fellowship),
    Type(MeetingType),
}

impl Term {
    pub fn all() -> impl Iterator<Item = Term> {
        Fellowship::all()
            .map(Term::Fellowship)
            .chain(MeetingType::all().map(Term::Type))
    }

    fn code(self) -> String {
        match self {
            Term::Fellowship(f) => f.id().to_string(),
            Term::Type(t) => t.to_string(),
        }
    }

    fn taxonomy(self) -> &'static str {
        match self {
            Term::Fellowship(_) => FELLOWSHIP_TAXONOMY,
            Term::Type(_) => TYPE_TAXONOMY,
        }
    }

    pub fn id(self) -> Uuid {
        uuid("taxonomy_term", &self.code())
    }

    /// The term with this UUID.
    pub fn find(id: Uuid) -> Option<Term> {
        Term::all().find(|t| t.id() == id)
    }

    fn value(self) -> Value {
        let (name, description) = match self {
            Term::Fellowship(f) => (f.info().name.to_string(), f.info().description.to_string()),
            Term::Type(t) => {
                let facet = match t.facet() {
                    Facet::Format => "Meeting format",
                    Facet::Community => "Who the meeting is for",
                    Facet::Accessibility => "Access",
                    Facet::Language => "Language",
                };
                (t.info().label.to_string(), format!("{facet}: {}", t.info().label))
            }
        };
        Obj::new()
            .set("id", self.id().to_string())
            .set("name", name)
            .set("description", description)
            .set("taxonomy", self.taxonomy())
            .set("taxonomy_id", taxonomy_id(self.taxonomy()).to_string())
            .set("term", self.code())
            .build()
    }
}

fn taxonomy_id(name: &str) -> Uuid {
    uuid("taxonomy", name)
}

/// A taxonomy a filter can name.
pub fn find_taxonomy(id: Uuid) -> Option<&'static str> {
    [FELLOWSHIP_TAXONOMY, TYPE_TAXONOMY]
        .into_iter()
        .find(|name| taxonomy_id(name) == id)
}

/// Whether `term` belongs to the taxonomy named `taxonomy`.
pub fn in_taxonomy(term: Term, taxonomy: &str) -> bool {
    term.taxonomy() == taxonomy
}

/// The taxonomies, as `/taxonomies` lists them.
pub fn taxonomies() -> Vec<Value> {
    [
        (
            FELLOWSHIP_TAXONOMY,
            "Mutual aid fellowships",
            "The fellowship that holds a meeting (Alcoholics Anonymous, Narcotics Anonymous...).",
        ),
        (
            TYPE_TAXONOMY,
            "Meeting types",
            "What a meeting is like and who it is for: format, community, access and language.",
        ),
    ]
    .into_iter()
    .map(|(name, title, description)| {
        Obj::new()
            .set("id", taxonomy_id(name).to_string())
            .set("name", title)
            .set("description", description)
            .set("version", "1")
            .build()
    })
    .collect()
}

/// One taxonomy term.
pub fn taxonomy_term(term: Term) -> Value {
    term.value()
}

/// Every taxonomy term, as `/taxonomy_terms` lists them.
pub fn taxonomy_terms() -> Vec<Value> {
    Term::all().map(Term::value).collect()
}

/// What the API's `GET /` says about itself.
pub fn api_info(openapi_url: &str) -> Value {
    Obj::new()
        .set("version", VERSION)
        .set("profile", PROFILE_URL)
        .set("openapi_url", openapi_url)
        .build()
}

/// A fellowship as an organization.
pub fn organization(fellowship: Fellowship) -> Value {
    let info = fellowship.info();
    Obj::new()
        .set("id", organization_id(fellowship).to_string())
        .set("name", info.name)
        .set("description", info.description)
        .build()
}

/// Where the links of a response point: the server's own address as the client reached it.
#[derive(Debug, Clone, Copy)]
pub struct Links<'a> {
    /// `https://host` with no trailing slash.
    pub base: &'a str,
}

impl Links<'_> {
    /// The meeting's own page on this server.
    pub fn meeting_page(&self, meeting: &Meeting) -> String {
        format!(
            "{}/meetings/{}",
            self.base,
            super::html::path_segment(&meeting.id)
        )
    }
}

/// The one-to-one fields of a meeting's service, with its organization: a `/services` item.
pub fn service_summary(meeting: &Meeting, links: Links) -> Value {
    service_fields(meeting, links)
        .set("organization", organization(meeting.fellowship))
        .build()
}

fn service_fields(meeting: &Meeting, links: Links) -> Obj {
    let status = match meeting.status {
        Status::Active => "active",
        Status::TemporarilyClosed => "temporarily closed",
    };
    Obj::new()
        .set("id", service_id(&meeting.id).to_string())
        .set("organization_id", organization_id(meeting.fellowship).to_string())
        .set("name", meeting.name.clone())
        .set("description", description(meeting))
        .set("url", links.meeting_page(meeting))
        .set("status", status)
        .set(
            "fees",
            "Free. Groups pay their way through voluntary contributions.",
        )
        .opt(
            "alert",
            (meeting.status == Status::TemporarilyClosed)
                .then_some("The group says it is not meeting for now."),
        )
        .set("last_modified", meeting.updated_at.to_string())
}

/// Who the meeting is for and what it is like, in words.
fn description(meeting: &Meeting) -> String {
    let info = meeting.fellowship.info();
    let access = match meeting.access {
        crate::domain::Access::Open => "Open meeting: anyone may attend.",
        crate::domain::Access::Closed => "Closed meeting: for people who share the fellowship's problem.",
        crate::domain::Access::Unknown => "Whether it is open to everyone is not stated.",
    };
    let attendance = match meeting.attendance {
        Attendance::InPerson => "In person.",
        Attendance::Online => "Online.",
        Attendance::Hybrid => "In person and online.",
    };
    let mut parts = vec![
        format!("{} meeting. {}", info.name, info.description),
        access.to_string(),
        attendance.to_string(),
    ];
    if let Some(group) = &meeting.group_name {
        parts.push(format!("Group: {group}."));
    }
    let labels: Vec<&str> = meeting.types.iter().map(|t| t.info().label).collect();
    if !labels.is_empty() {
        parts.push(format!("{}.", labels.join(", ")));
    }
    if let Some(notes) = &meeting.notes {
        // Feed notes often end without a full stop; the next sentence must not run on.
        let notes = notes.trim();
        let ended = notes.ends_with(['.', '!', '?', ')']);
        parts.push(if ended {
            notes.to_string()
        } else {
            format!("{notes}.")
        });
    }
    parts.push(format!(
        "Listed by {} ({}).",
        meeting.source.name, meeting.source.attribution
    ));
    parts.join(" ")
}

/// The meeting's schedule, when it has one.
fn schedule(meeting: &Meeting) -> Option<Value> {
    let s = meeting.schedule.as_ref()?;
    let day = s.day.as_str()[..2].to_ascii_uppercase();
    let (freq, byday) = if s.weeks_of_month.is_empty() {
        ("WEEKLY", day.clone())
    } else {
        let days: Vec<String> = s.weeks_of_month.iter().map(|w| format!("{w}{day}")).collect();
        ("MONTHLY", days.join(","))
    };
    let time = |t: crate::domain::LocalTime| format!("{:02}:{:02}:00", t.hour(), t.minute());
    let weeks = if s.weeks_of_month.is_empty() {
        "every week".to_string()
    } else {
        let ordinals: Vec<String> = s
            .weeks_of_month
            .iter()
            .map(|w| match w.to_string().as_str() {
                "1" => "first".to_string(),
                "2" => "second".to_string(),
                "3" => "third".to_string(),
                "4" => "fourth".to_string(),
                "5" => "fifth".to_string(),
                "-1" => "last".to_string(),
                other => format!("week {other}"),
            })
            .collect();
        format!("the {} of the month", ordinals.join(" and "))
    };
    let attending = match meeting.attendance {
        Attendance::InPerson => "in person",
        Attendance::Online => "online",
        Attendance::Hybrid => "in person or online",
    };
    let description = format!(
        "{} from {:02}:{:02} to {:02}:{:02}, {weeks}, local time ({}).",
        s.day.full_name(),
        s.start_time.hour(),
        s.start_time.minute(),
        s.end_time().hour(),
        s.end_time().minute(),
        s.timezone.name(),
    );
    Some(
        Obj::new()
            .set("id", uuid("schedule", &meeting.id).to_string())
            .set("service_id", service_id(&meeting.id).to_string())
            .opt(
                "dtstart",
                crate::formats::ical::first_start(meeting).map(|d| d.date().to_string()),
            )
            .set("freq", freq)
            .set("interval", 1)
            .set("byday", byday)
            .set("opens_at", time(s.start_time))
            .set("closes_at", time(s.end_time()))
            .set("description", description)
            .set("attending_type", attending)
            .build(),
    )
}

/// The meeting's room, when it has one.
fn physical_location(meeting: &Meeting) -> Option<Value> {
    let l = meeting.location.as_ref()?;
    let id = uuid("location", &meeting.id).to_string();
    let name = l
        .venue
        .clone()
        .or_else(|| l.address_lines.first().cloned())
        .unwrap_or_else(|| "Meeting place".into());
    let accessibility: Vec<Value> = meeting
        .types
        .iter()
        .filter(|t| t.facet() == Facet::Accessibility)
        .map(|t| {
            Obj::new()
                .set(
                    "id",
                    uuid("accessibility", &format!("{}:{t}", meeting.id)).to_string(),
                )
                .set("location_id", id.clone())
                .set("description", t.info().label)
                .build()
        })
        .collect();
    // The profile requires every address field; UK addresses have no state, and some feeds give
    // no town: those are empty strings rather than a made-up value.
    let street = if l.address_lines.is_empty() {
        l.venue.clone().unwrap_or_default()
    } else {
        l.address_lines.join(", ")
    };
    let addresses = (!street.is_empty() || l.postcode.is_some()).then(|| {
        vec![Obj::new()
            .set("id", uuid("address", &meeting.id).to_string())
            .set("location_id", id.clone())
            .set("address_1", street)
            .set("city", l.town.clone().unwrap_or_default())
            .set("state_province", "")
            .set("postal_code", l.postcode.clone().unwrap_or_default())
            .set("country", l.country.clone().unwrap_or_else(|| "GB".into()))
            .set("address_type", "physical")
            .build()]
    });
    Some(
        Obj::new()
            .set("id", id)
            .set("location_type", "physical")
            .set("name", name)
            .opt("description", l.notes.clone())
            .opt("latitude", l.lat)
            .opt("longitude", l.lon)
            .opt("addresses", addresses)
            .opt(
                "accessibility",
                (!accessibility.is_empty()).then_some(accessibility),
            )
            .build(),
    )
}

/// How to join the meeting online, when it can be.
fn virtual_location(meeting: &Meeting) -> Option<Value> {
    if !meeting.attendance.is_remote() {
        return None;
    }
    let online = meeting.online.clone().unwrap_or_default();
    let mut how = Vec::new();
    if let Some(url) = &online.url {
        how.push(format!("Join online: {url}"));
    }
    if let Some(phone) = &online.phone {
        how.push(format!("Dial in: {phone}"));
    }
    if let Some(notes) = &online.notes {
        how.push(notes.clone());
    }
    if how.is_empty() {
        how.push("Ask the group how to join.".into());
    }
    Some(
        Obj::new()
            .set("id", uuid("virtual_location", &meeting.id).to_string())
            .set("location_type", "virtual")
            .set("name", "Online")
            .set("description", how.join(" "))
            .build(),
    )
}

/// The ways to attend a meeting, each a `(service_at_location id, location)`: its room, then
/// online.
fn locations(meeting: &Meeting) -> Vec<(Uuid, Value)> {
    let physical = physical_location(meeting).map(|l| (uuid("service_at_location", &meeting.id), l));
    let remote = virtual_location(meeting).map(|l| (uuid("virtual_service_at_location", &meeting.id), l));
    physical.into_iter().chain(remote).collect()
}

/// Which of a meeting's ways to attend a listing wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ways {
    /// Both.
    All,
    /// The room only (a search around a postcode).
    Physical,
}

/// The meeting's service_at_location items, as `/service_at_locations` lists them.
pub fn service_at_locations(meeting: &Meeting, links: Links, ways: Ways) -> Vec<Value> {
    let service = service_summary(meeting, links);
    locations(meeting)
        .into_iter()
        .filter(|(_, l)| ways == Ways::All || l["location_type"] == "physical")
        .map(|(id, location)| {
            Obj::new()
                .set("id", id.to_string())
                .set("service_id", service_id(&meeting.id).to_string())
                .set("location_id", location["id"].clone())
                .set("location", location)
                .set("service", service.clone())
                .build()
        })
        .collect()
}

/// The attributes linking a service to its fellowship's and types' terms.
fn attributes(meeting: &Meeting) -> Vec<Value> {
    let service = service_id(&meeting.id).to_string();
    std::iter::once(Term::Fellowship(meeting.fellowship))
        .chain(meeting.types.iter().copied().map(Term::Type))
        .map(|term| {
            Obj::new()
                .set(
                    "id",
                    uuid("attribute", &format!("{}:{}", meeting.id, term.code())).to_string(),
                )
                .set("link_id", service.clone())
                .set("link_type", "service")
                .set("taxonomy_term_id", term.id().to_string())
                .set("taxonomy_term", term.value())
                .build()
        })
        .collect()
}

/// The meeting as a fully nested service: `/services/{id}`.
pub fn service_full(meeting: &Meeting, links: Links) -> Value {
    let service = service_id(&meeting.id).to_string();
    let at: Vec<Value> = locations(meeting)
        .into_iter()
        .map(|(id, location)| {
            Obj::new()
                .set("id", id.to_string())
                .set("service_id", service.clone())
                .set("location_id", location["id"].clone())
                .set("location", location)
                .build()
        })
        .collect();
    let languages: Vec<Value> = meeting
        .types
        .iter()
        .filter(|t| t.facet() == Facet::Language)
        .map(|t| {
            // `name` and `code` are HSDS 3.0's; the UK profile keeps the table without them, and
            // a language nobody can read would be no use.
            Obj::new()
                .set("id", uuid("language", &format!("{}:{t}", meeting.id)).to_string())
                .set("service_id", service.clone())
                .set("name", t.info().label)
                .set("code", t.info().code)
                .build()
        })
        .collect();
    service_fields(meeting, links)
        .set("organization", organization(meeting.fellowship))
        .set("schedules", schedule(meeting).into_iter().collect::<Vec<_>>())
        .set("service_at_locations", at)
        .opt("languages", (!languages.is_empty()).then_some(languages))
        .set("attributes", attributes(meeting))
        .build()
}

/// The ids of a meeting's service_at_location items (its room's, then its online one's, those it
/// has).
pub fn service_at_location_ids(meeting: &Meeting) -> Vec<Uuid> {
    locations(meeting).into_iter().map(|(id, _)| id).collect()
}

/// One way to attend a meeting, fully nested (`/service_at_locations/{id}`): the location, and
/// the service with its schedule, languages and terms.
pub fn service_at_location_full(meeting: &Meeting, links: Links, id: Uuid) -> Option<Value> {
    let (_, location) = locations(meeting).into_iter().find(|(sal, _)| *sal == id)?;
    let Value::Object(mut service) = service_full(meeting, links) else {
        unreachable!("a service is an object")
    };
    // The service's own list of locations would repeat this one and its siblings.
    service.remove("service_at_locations");
    Some(
        Obj::new()
            .set("id", id.to_string())
            .set("service_id", service_id(&meeting.id).to_string())
            .set("location_id", location["id"].clone())
            .set("location", location)
            .set("service", Value::Object(service))
            .build(),
    )
}

/// The profile's paging envelope around one page of `contents`.
pub fn page(contents: Vec<Value>, total_items: usize, page_number: usize, per_page: usize) -> Value {
    let total_pages = total_items.div_ceil(per_page.max(1));
    Obj::new()
        .set("total_items", total_items)
        .set("total_pages", total_pages)
        .set("page_number", page_number)
        .set("size", contents.len())
        .set("first_page", page_number <= 1)
        .set("last_page", page_number >= total_pages)
        .set("empty", contents.is_empty())
        .set("contents", contents)
        .build()
}

/// A JSON object built field by field, leaving out the optional fields that have no value.
struct Obj(Map<String, Value>);

impl Obj {
    fn new() -> Obj {
        Obj(Map::new())
    }

    fn set(mut self, key: &str, value: impl Into<Value>) -> Obj {
        self.0.insert(key.into(), value.into());
        self
    }

    fn opt<T: Into<Value>>(self, key: &str, value: Option<T>) -> Obj {
        match value {
            Some(value) => self.set(key, value),
            None => self,
        }
    }

    fn build(self) -> Value {
        Value::Object(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_v5_uuids_and_terms_are_found_by_them() {
        let a = service_id("mg.aa-wrexham.123");
        assert_eq!(a, service_id("mg.aa-wrexham.123"));
        assert_eq!(a.get_version_num(), 5);
        assert_ne!(a, service_id("mg.aa-wrexham.124"));
        assert_ne!(a, uuid("location", "mg.aa-wrexham.123"));
        for term in Term::all() {
            assert_eq!(Term::find(term.id()), Some(term));
        }
        let ids: std::collections::HashSet<Uuid> = Term::all().map(Term::id).collect();
        assert_eq!(ids.len(), Term::all().count());
    }

    #[test]
    fn pages_say_where_they_are() {
        let p = page(vec![Value::from(1)], 3, 2, 1);
        assert_eq!(p["total_pages"], 3);
        assert_eq!(p["first_page"], false);
        assert_eq!(p["last_page"], false);
        let p = page(Vec::new(), 0, 1, 50);
        assert_eq!(p["total_pages"], 0);
        assert_eq!(p["empty"], true);
        assert_eq!(p["last_page"], true);
    }
}
