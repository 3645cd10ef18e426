//! `/oruk/`: Open Referral UK. Every response over a synthetic directory validates against the
//! UK profile's compiled JSON Schemas (draft 2020-12, formats asserted), read at run time from
//! `../shared/reference/open-referral-uk/` as the official validator reads them; paging walks
//! every service once; `postcode` + `proximity` keep to the distance asked.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use meetingmap::domain::{Attendance, Day, MeetingType, Status};
use meetingmap::formats::oruk;
use serde_json::{json, Value};

use crate::common::{meeting, north_of, online, with_schedule, with_types, TestApp, HOME};

/// The UK profile's schemas, or `None` (a note printed) where `../shared` is absent; under
/// `CI=true` their absence fails the test.
fn profile() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/open-referral-uk");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{} is needed under CI",
        dir.display()
    );
    eprintln!("skipped: {} is not here", dir.display());
    None
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Validators for the profile's bodies.
struct Schemas {
    dir: PathBuf,
}

impl Schemas {
    fn compiled(&self, name: &str) -> Value {
        read(&self.dir.join(format!("schema/compiled/{name}.json")))
    }

    /// A definition of `service_with_definitions.json` (taxonomy, taxonomy_term), with the
    /// definitions its `$ref`s need.
    fn definition(&self, name: &str) -> Value {
        let all = self.compiled("service_with_definitions");
        json!({ "$ref": format!("#/definitions/{name}"), "definitions": all["definitions"] })
    }

    /// The profile's paged list (its `Page` component, every field present) of `item`s.
    fn page_of(&self, mut item: Value) -> Value {
        // `#/definitions/...` references resolve from the document's root.
        let definitions = item.as_object_mut().unwrap().remove("definitions");
        let openapi = read(&self.dir.join("schema/openapi.json"));
        let page = openapi["components"]["schemas"]["Page"].clone();
        let required: Vec<&String> = page["properties"].as_object().unwrap().keys().collect();
        let mut schema = json!({
            "allOf": [page],
            "required": required.into_iter().chain([&"contents".to_string()]).collect::<Vec<_>>(),
            "properties": { "contents": { "type": "array", "items": item } },
        });
        if let Some(definitions) = definitions {
            schema["definitions"] = definitions;
        }
        schema
    }

    fn errors(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(schema)
            .unwrap();
        validator
            .iter_errors(instance)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .take(10)
            .collect()
    }

    fn check(&self, schema: &Value, instance: &Value, what: &str) {
        let errors = self.errors(schema, instance);
        assert!(
            errors.is_empty(),
            "{what} does not validate: {errors:#?}\n{instance:#}"
        );
    }
}

/// No field anywhere is `null`: the profile's optional fields are omitted instead.
fn assert_no_nulls(value: &Value, path: &str) {
    match value {
        Value::Null => panic!("null at {path}"),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| assert_no_nulls(v, &format!("{path}/{i}"))),
        Value::Object(fields) => fields
            .iter()
            .for_each(|(k, v)| assert_no_nulls(v, &format!("{path}/{k}"))),
        _ => {}
    }
}

/// A small directory with every shape the mapping has: weekly and monthly, in a room, online and
/// hybrid, open and closed, temporarily closed, two fellowships, access and language types.
fn directory() -> Vec<meetingmap::domain::Meeting> {
    let mut monthly = with_schedule(
        meeting("monthly", north_of(HOME, 2.0)),
        Day::Tue,
        "19:30",
        90,
        "Europe/London",
    );
    monthly.schedule.as_mut().unwrap().weeks_of_month = vec![2, -1];
    let mut hybrid = with_types(
        meeting("hybrid", north_of(HOME, 8.0)),
        &["accessibility:wheelchair", "language:cy"],
    );
    hybrid.attendance = Attendance::Hybrid;
    hybrid.online = online("x").online;
    hybrid.notes = Some("Ring the bell".into());
    let mut closed = meeting("closed-for-now", north_of(HOME, 3.0));
    closed.status = Status::TemporarilyClosed;
    let mut na = with_schedule(
        meeting("na-1", north_of(HOME, 30.0)),
        Day::Sat,
        "10:00",
        60,
        "Europe/London",
    );
    na.fellowship = meetingmap::domain::Fellowship::parse("na").unwrap();
    let mut no_town = meeting("no-town", north_of(HOME, 1.0));
    no_town.location.as_mut().unwrap().town = None;
    let mut unscheduled = online("anytime");
    unscheduled.schedule = None;
    vec![
        meeting("weekly", HOME),
        monthly,
        hybrid,
        closed,
        na,
        no_town,
        online("web"),
        unscheduled,
    ]
}

#[tokio::test]
async fn every_response_validates_against_the_uk_profile() {
    let Some(dir) = profile() else { return };
    let schemas = Schemas { dir };
    let app = TestApp::start(directory()).await;

    let response = app.request(reqwest::Method::GET, "/oruk/", &[], None).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("access-control-allow-origin"), Some("*"));
    let info = response.json();
    assert_eq!(info["version"], "HSDS-UK-3.0");
    assert!(info["openapi_url"].as_str().unwrap().ends_with("/openapi.json"));
    let root = read(&schemas.dir.join("schema/openapi.json"));
    schemas.check(
        &root["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
        &info,
        "GET /",
    );

    // Services, listed and in full.
    let (status, list) = app.get("/oruk/services?per_page=50").await;
    assert_eq!(status, 200, "{list}");
    assert_no_nulls(&list, "/services");
    schemas.check(
        &schemas.page_of(schemas.compiled("service_list")),
        &list,
        "/services",
    );
    assert_eq!(list["total_items"], 8);
    let full = schemas.compiled("service");
    for item in list["contents"].as_array().unwrap() {
        let id = item["id"].as_str().unwrap();
        let (status, service) = app.get(&format!("/oruk/services/{id}")).await;
        assert_eq!(status, 200, "{service}");
        assert_no_nulls(&service, id);
        schemas.check(&full, &service, &format!("/services/{id}"));
    }

    // The mapping, on two meetings.
    let (_, monthly) = app
        .get(&format!("/oruk/services/{}", oruk::service_id("monthly")))
        .await;
    let schedule = &monthly["schedules"][0];
    assert_eq!(schedule["freq"], "MONTHLY");
    assert_eq!(schedule["byday"], "-1TU,2TU");
    assert_eq!(schedule["opens_at"], "19:30:00");
    assert_eq!(schedule["closes_at"], "21:00:00");
    assert!(
        schedule["description"]
            .as_str()
            .unwrap()
            .contains("Europe/London"),
        "{schedule}"
    );
    assert!(monthly["url"].as_str().unwrap().ends_with("/meetings/monthly"));
    let (_, hybrid) = app
        .get(&format!("/oruk/services/{}", oruk::service_id("hybrid")))
        .await;
    let kinds: Vec<&str> = hybrid["service_at_locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["location"]["location_type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["physical", "virtual"]);
    let room = &hybrid["service_at_locations"][0]["location"];
    assert_eq!(room["addresses"][0]["postal_code"], "LL11 1AA");
    assert_eq!(room["accessibility"][0]["description"], "Wheelchair access");
    assert!(hybrid["service_at_locations"][1]["location"]["description"]
        .as_str()
        .unwrap()
        .contains("https://example.invalid/room"));
    assert_eq!(hybrid["languages"][0]["code"], "cy");
    assert_eq!(hybrid["schedules"][0]["freq"], "WEEKLY");
    assert_eq!(hybrid["schedules"][0]["byday"], "MO");
    let terms: BTreeSet<&str> = hybrid["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["taxonomy_term"]["term"].as_str().unwrap())
        .collect();
    assert!(
        terms.contains("aa") && terms.contains("accessibility:wheelchair"),
        "{terms:?}"
    );
    // The validator is strict enough to fail: a made-up id, status and link are refused.
    let mut broken = monthly.clone();
    broken["id"] = json!("monthly");
    broken["status"] = json!("open");
    broken["url"] = json!("not a link");
    assert_eq!(
        schemas.errors(&full, &broken).len(),
        3,
        "{:?}",
        schemas.errors(&full, &broken)
    );
    let (_, closed) = app
        .get(&format!("/oruk/services/{}", oruk::service_id("closed-for-now")))
        .await;
    assert_eq!(closed["status"], "temporarily closed");

    // Services at locations, organizations and the taxonomies.
    let (_, at) = app.get("/oruk/service_at_locations?per_page=50").await;
    assert_no_nulls(&at, "/service_at_locations");
    schemas.check(
        &schemas.page_of(schemas.compiled("service_at_location_list")),
        &at,
        "/service_at_locations",
    );
    // Six rooms (weekly, monthly, hybrid, closed, na, no-town) and three ways online (hybrid,
    // web, anytime).
    assert_eq!(at["total_items"], 9);
    let full_at = schemas.compiled("service_at_location");
    for item in at["contents"].as_array().unwrap() {
        let id = item["id"].as_str().unwrap();
        let (status, one) = app.get(&format!("/oruk/service_at_locations/{id}")).await;
        assert_eq!(status, 200, "{one}");
        assert_no_nulls(&one, id);
        assert_eq!(one["location"], item["location"]);
        assert_eq!(one["service"]["id"], item["service"]["id"]);
        schemas.check(&full_at, &one, "/service_at_locations/{id}");
        // A service at location's id is not a service's.
        let (status, _) = app.get(&format!("/oruk/services/{id}")).await;
        assert_eq!(status, 404);
    }
    let (_, organizations) = app.get("/oruk/organizations").await;
    schemas.check(
        &schemas.page_of(schemas.compiled("organization_list")),
        &organizations,
        "/organizations",
    );
    let names: Vec<&str> = organizations["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Alcoholics Anonymous", "Narcotics Anonymous"]);
    for o in organizations["contents"].as_array().unwrap() {
        let (status, one) = app
            .get(&format!("/oruk/organizations/{}", o["id"].as_str().unwrap()))
            .await;
        assert_eq!(status, 200);
        schemas.check(&schemas.compiled("organization"), &one, "/organizations/{id}");
    }
    let (_, taxonomies) = app.get("/oruk/taxonomies").await;
    schemas.check(
        &schemas.page_of(schemas.definition("taxonomy")),
        &taxonomies,
        "/taxonomies",
    );
    assert_eq!(taxonomies["total_items"], 2);
    for t in taxonomies["contents"].as_array().unwrap() {
        let (status, one) = app
            .get(&format!("/oruk/taxonomies/{}", t["id"].as_str().unwrap()))
            .await;
        assert_eq!((status, &one), (200, t));
        schemas.check(&schemas.definition("taxonomy"), &one, "/taxonomies/{id}");
    }
    let (_, terms) = app.get("/oruk/taxonomy_terms?per_page=500").await;
    for t in terms["contents"].as_array().unwrap() {
        let (status, one) = app
            .get(&format!("/oruk/taxonomy_terms/{}", t["id"].as_str().unwrap()))
            .await;
        assert_eq!((status, &one), (200, t));
        schemas.check(&schemas.definition("taxonomy_term"), &one, "/taxonomy_terms/{id}");
    }
    schemas.check(
        &schemas.page_of(schemas.definition("taxonomy_term")),
        &terms,
        "/taxonomy_terms",
    );
    assert_eq!(
        terms["total_items"].as_u64().unwrap() as usize,
        meetingmap::domain::FELLOWSHIPS.len() + MeetingType::all().count()
    );
}

#[tokio::test]
async fn paging_walks_every_service_once() {
    let app = TestApp::start(directory()).await;
    let mut seen = Vec::new();
    for page in 1..=3 {
        let (status, body) = app.get(&format!("/oruk/services?per_page=3&page={page}")).await;
        assert_eq!(status, 200);
        assert_eq!(body["total_items"], 8);
        assert_eq!(body["total_pages"], 3);
        assert_eq!(body["page_number"], page);
        assert_eq!(body["first_page"], page == 1);
        assert_eq!(body["last_page"], page == 3);
        assert_eq!(body["size"], if page < 3 { 3 } else { 2 });
        seen.extend(
            body["contents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_string()),
        );
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (8, 8));
    let (_, beyond) = app.get("/oruk/services?per_page=3&page=4").await;
    assert_eq!(beyond["empty"], true);
    assert_eq!(beyond["contents"], json!([]));

    // Stable ids: the v5 UUID of our id, the same from every process.
    let expected: BTreeSet<String> = directory()
        .iter()
        .map(|m| oruk::service_id(&m.id).to_string())
        .collect();
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), expected);
}

#[tokio::test]
async fn postcode_and_proximity_keep_to_the_distance_nearest_first() {
    let app = TestApp::start(directory()).await;
    // LL11 1AA is about HOME; the meetings lie due north of it at 0 to 30 km.
    let names = |body: &Value| -> Vec<String> {
        body["contents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["service"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (status, near) = app
        .get("/oruk/service_at_locations?postcode=LL11%201AA&proximity=5000")
        .await;
    assert_eq!(status, 200, "{near}");
    assert_eq!(
        names(&near),
        [
            "Meeting weekly",
            "Meeting no-town",
            "Meeting monthly",
            "Meeting closed-for-now"
        ]
    );
    assert!(near["contents"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["location"]["location_type"] == "physical"));
    let (_, wider) = app
        .get("/oruk/service_at_locations?postcode=LL11%201AA&proximity=10000")
        .await;
    assert_eq!(names(&wider).len(), 5, "the hybrid meeting's room at 8 km too");
    // A postcode alone: every room, nearest first.
    let (_, all) = app.get("/oruk/service_at_locations?postcode=LL11%201AA").await;
    assert_eq!(names(&all).last().unwrap(), "Meeting na-1");
    assert_eq!(all["total_items"], 6);

    // Filters of the profile, and every bad parameter named at once.
    let na = oruk::Term::Fellowship(meetingmap::domain::Fellowship::parse("na").unwrap()).id();
    let (_, only_na) = app.get(&format!("/oruk/services?taxonomy_term_id={na}")).await;
    assert_eq!(only_na["total_items"], 1);
    let (_, saturday) = app.get("/oruk/services?day=SA").await;
    assert_eq!(saturday["total_items"], 1);
    let (_, text) = app.get("/oruk/services?search=monthly").await;
    assert_eq!(text["total_items"], 1);
    let (_, evening) = app.get("/oruk/services?start_time=19:15&end_time=21:00:00").await;
    assert_eq!(evening["contents"][0]["name"], "Meeting monthly");
    assert_eq!(evening["total_items"], 1);
    let (status, problem) = app
        .get("/oruk/service_at_locations?postcode=LL11&proximity=far&day=someday&per_page=0&taxonomy_term_id=x&colour=red")
        .await;
    assert_eq!(status, 400);
    let mut bad: Vec<&str> = problem["invalid_params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    bad.sort();
    assert_eq!(
        bad,
        ["colour", "day", "per_page", "proximity", "taxonomy_term_id"]
    );
    let (status, _) = app.get("/oruk/services?postcode=LL11").await;
    assert_eq!(status, 400, "postcode belongs to /service_at_locations");
    let (status, _) = app.get(&format!("/oruk/services/{}", uuid_of("nobody"))).await;
    assert_eq!(status, 404);
}

fn uuid_of(id: &str) -> String {
    oruk::service_id(id).to_string()
}

/// The real UK dump (about 8,200 AA, NA and CA meetings) imported into a fresh database and read
/// back through `/oruk/`: every page of services, every 20th service in full and the services
/// around Wrexham validate. Skipped where `../shared` is absent.
#[tokio::test]
async fn the_real_uk_dump_validates() {
    let Some(dir) = profile() else { return };
    let schemas = Schemas { dir };
    let dump = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/meeting-guide/uk-recovery-meeting-finder/meetings-2026-08-05.redacted.csv");
    let app = TestApp::start(Vec::new()).await;
    let importers = Path::new(env!("CARGO_MANIFEST_DIR")).join("importers");
    let source = meetingmap::import::source::SourceDefinition::parse(
        &format!(
            "id = \"rmf\"\nname = \"RMF\"\nformat = \"csv\"\nattribution = \"RMF\"\npath = \"{}\"\n\
             mapping = \"mappings/recovery-meeting-finder.toml\"\ntimezone = \"Europe/London\"\n\
             bounds = [49.0, -11.0, 61.5, 2.5]\n",
            dump.display()
        ),
        &importers,
    )
    .unwrap();
    let importer = meetingmap::import::Importer::new(
        app.directory.clone(),
        meetingmap::import::fetch::Fetcher::new(std::time::Duration::from_secs(30)),
        std::sync::Arc::new(meetingmap::gazetteer::Gazetteer::bundled()),
    );
    let run = importer
        .import(&source, &meetingmap::import::ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(
        run.outcome,
        meetingmap::domain::ImportOutcome::Succeeded,
        "{:?}",
        run.reason
    );

    let list_schema = schemas.page_of(schemas.compiled("service_list"));
    let full = schemas.compiled("service");
    let (_, first) = app.get("/oruk/services?per_page=50").await;
    let total = first["total_items"].as_u64().unwrap() as usize;
    assert_eq!(total, app.directory.snapshot().len());
    let pages = first["total_pages"].as_u64().unwrap();
    let mut services = 0;
    let mut checked_full = 0;
    for page in 1..=pages {
        let (status, body) = app.get(&format!("/oruk/services?per_page=50&page={page}")).await;
        assert_eq!(status, 200);
        assert_no_nulls(&body, &format!("page {page}"));
        schemas.check(&list_schema, &body, &format!("/services page {page}"));
        for item in body["contents"].as_array().unwrap() {
            if services % 20 == 0 {
                let (status, service) = app
                    .get(&format!("/oruk/services/{}", item["id"].as_str().unwrap()))
                    .await;
                assert_eq!(status, 200);
                assert_no_nulls(&service, "service");
                schemas.check(&full, &service, "/services/{id}");
                checked_full += 1;
            }
            services += 1;
        }
    }
    assert_eq!(services, total);
    let (_, around) = app
        .get("/oruk/service_at_locations?postcode=LL11%201AA&proximity=10000&per_page=500")
        .await;
    schemas.check(
        &schemas.page_of(schemas.compiled("service_at_location_list")),
        &around,
        "/service_at_locations around LL11 1AA",
    );
    let around_count = around["total_items"].as_u64().unwrap();
    assert!(around_count > 0);
    println!(
        "real UK dump: {total} services on {pages} pages of 50 validated, {checked_full} in full; \
         {around_count} services at locations within 10 km of LL11 1AA"
    );
}

/// The profile requires `Access-Control-Allow-Origin: *` on every answer: so it is, even where the
/// rest of the API is open to named origins only.
#[tokio::test]
async fn oruk_is_open_to_every_origin_whatever_the_api_allows() {
    let app = TestApp::builder()
        .meetings(directory())
        .cors(meetingmap::settings::AllowedOrigins::Only(vec![
            "https://agency.example".into(),
        ]))
        .start()
        .await;
    for path in ["/oruk/", "/oruk/services", "/oruk/taxonomies"] {
        for origin in [None, Some("https://council.example")] {
            let headers: Vec<(&str, &str)> = origin.map(|o| ("Origin", o)).into_iter().collect();
            let response = app.request(reqwest::Method::GET, path, &headers, None).await;
            assert_eq!(response.status, 200, "{path} from {origin:?}: {}", response.body);
            assert_eq!(
                response.header("access-control-allow-origin"),
                Some("*"),
                "{path} from {origin:?}"
            );
        }
    }
    // The rest of the API keeps its own rule.
    let response = app
        .request(
            reqwest::Method::GET,
            "/v1/fellowships",
            &[("Origin", "https://council.example")],
            None,
        )
        .await;
    assert_ne!(response.header("access-control-allow-origin"), Some("*"));
}
