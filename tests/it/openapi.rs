//! `openapi/openapi.json` is the API contract: it must match what the code generates.
//! Run with `UPDATE_OPENAPI=1` to rewrite it after an intended change, then review the diff.

#[test]
fn committed_spec_matches_generated() {
    let generated = meetingmap::app::openapi_json().unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json differs from the generated spec; run `UPDATE_OPENAPI=1 cargo test --test it openapi` and review the diff"
    );
}

/// Real responses of every operation in the committed spec validate against it: the JSON bodies
/// (problems included) against the schema declared for their status and content type, with
/// `$ref`s resolved to the spec's components; every other body at least has a status and content
/// type the spec declares. A sample is listed for every operation, and the test fails if one is
/// missing, so a new endpoint cannot go unchecked.
#[tokio::test]
async fn responses_of_every_endpoint_validate_against_the_committed_spec() {
    use crate::common::*;
    use meetingmap::domain::{Attendance, Day};
    use reqwest::Method;
    use serde_json::{json, Value};

    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut hybrid = with_schedule(
        meeting("hybrid", north_of(HOME, 2.0)),
        Day::Sat,
        "10:30",
        90,
        "Europe/London",
    );
    hybrid.attendance = Attendance::Hybrid;
    hybrid.online = online("x").online;
    hybrid.notes = Some("Ring the bell".into());
    let server = TestApp::start(vec![
        meeting("a", HOME),
        with_schedule(
            meeting("b", north_of(HOME, 1.0)),
            Day::Wed,
            "12:30",
            60,
            "Europe/London",
        ),
        hybrid,
        online("web"),
    ])
    .await;
    let near = format!("lat={}&lon={}", HOME.0, HOME.1);
    let csv_points = "label,lat,lon,weight\nClinic,53.0462,-2.993,120\n";
    // (method, spec path, request path and query, Accept, body)
    let service = meetingmap::formats::oruk::service_id("hybrid");
    let aa = meetingmap::formats::oruk::organization_id(meetingmap::domain::Fellowship::parse("aa").unwrap());
    let taxonomy = meetingmap::formats::oruk::taxonomies()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let term = meetingmap::formats::oruk::Term::all().next().unwrap().id();
    let samples: Vec<(Method, &str, String, &str, Option<&str>)> = vec![
        (Method::GET, "/v1/changes", "/v1/changes?limit=2".into(), "", None),
        (
            Method::GET,
            "/oruk/service_at_locations/{id}",
            format!(
                "/oruk/service_at_locations/{}",
                meetingmap::formats::oruk::uuid("service_at_location", "hybrid")
            ),
            "",
            None,
        ),
        (
            Method::GET,
            "/oruk/service_at_locations/{id}",
            format!("/oruk/service_at_locations/{service}"),
            "",
            None,
        ),
        (
            Method::GET,
            "/oruk/taxonomies/{id}",
            format!("/oruk/taxonomies/{taxonomy}"),
            "",
            None,
        ),
        (
            Method::GET,
            "/oruk/taxonomies/{id}",
            "/oruk/taxonomies/x".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/oruk/taxonomy_terms/{id}",
            format!("/oruk/taxonomy_terms/{term}"),
            "",
            None,
        ),
        (
            Method::GET,
            "/oruk/taxonomy_terms/{id}",
            "/oruk/taxonomy_terms/x".into(),
            "",
            None,
        ),
        (Method::GET, "/v1/changes", "/v1/changes?limit=0".into(), "", None),
        (Method::GET, "/oruk/", "/oruk/".into(), "", None),
        (
            Method::GET,
            "/oruk/services",
            "/oruk/services?per_page=2&page=2".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/oruk/services",
            "/oruk/services?day=xx".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/oruk/services/{id}",
            format!("/oruk/services/{service}"),
            "",
            None,
        ),
        (
            Method::GET,
            "/oruk/services/{id}",
            "/oruk/services/nope".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/oruk/service_at_locations",
            "/oruk/service_at_locations?postcode=LL11&proximity=5000".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/oruk/service_at_locations",
            "/oruk/service_at_locations?proximity=-1".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/oruk/organizations",
            "/oruk/organizations".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/oruk/organizations",
            "/oruk/organizations?page=0".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/oruk/organizations/{id}",
            format!("/oruk/organizations/{aa}"),
            "",
            None,
        ),
        (
            Method::GET,
            "/oruk/organizations/{id}",
            "/oruk/organizations/x".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/oruk/taxonomies",
            "/oruk/taxonomies".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/oruk/taxonomies",
            "/oruk/taxonomies?per_page=x".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/oruk/taxonomy_terms",
            "/oruk/taxonomy_terms?per_page=5".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/oruk/taxonomy_terms",
            "/oruk/taxonomy_terms?page=x".into(),
            "",
            None,
        ),
        (Method::GET, "/embed", "/embed".into(), "", None),
        (Method::GET, "/", "/".into(), "", None),
        (Method::GET, "/", "/?lang=cy".into(), "", None),
        (Method::GET, "/meetings/{id}", "/meetings/hybrid".into(), "", None),
        (
            Method::GET,
            "/meetings/{id}",
            "/meetings/web?lang=cy".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/meetings/{id}",
            "/meetings/nothing".into(),
            "",
            None,
        ),
        (Method::GET, "/embed", "/embed?fellowship=zz".into(), "", None),
        (Method::GET, "/embed.js", "/embed.js".into(), "", None),
        (
            Method::GET,
            "/embed/outline.geojson",
            "/embed/outline.geojson".into(),
            "",
            None,
        ),
        (Method::GET, "/health", "/health".into(), "", None),
        (Method::GET, "/ready", "/ready".into(), "", None),
        (
            Method::GET,
            "/v1/meetings",
            format!("/v1/meetings?{near}"),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/meetings",
            format!("/v1/meetings?{near}&mode=walk&limit=1"),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/meetings",
            "/v1/meetings?attendance=online,hybrid".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/meetings",
            format!("/v1/meetings?{near}&format=geojson"),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/meetings",
            format!("/v1/meetings?{near}&format=csv"),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/meetings",
            "/v1/meetings?limit=0&day=xx".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/meetings",
            "/v1/meetings".into(),
            "image/png",
            None,
        ),
        (
            Method::GET,
            "/v1/meetings.ics",
            format!("/v1/meetings.ics?{near}"),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/meetings.ics",
            "/v1/meetings.ics?limit=x".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/meetings/{id}",
            "/v1/meetings/hybrid".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/meetings/{id}",
            "/v1/meetings/nothing".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/meetings/{id}.ics",
            "/v1/meetings/a.ics".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/meetings/{id}.ics",
            "/v1/meetings/web2.ics".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/handout",
            format!("/v1/handout?{near}"),
            "",
            None,
        ),
        (Method::GET, "/v1/handout", "/v1/handout?lat=99".into(), "", None),
        (
            Method::GET,
            "/handout",
            "/handout?near=LL11&fellowship=aa".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/occurrences",
            format!("/v1/occurrences?{near}&from=2027-01-04T00:00:00Z&mode=cycle"),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/occurrences",
            "/v1/occurrences?attendance=online&from=2027-01-04T00:00:00Z".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/occurrences",
            format!("/v1/occurrences?{near}&format=geojson&from=2027-01-04T00:00:00Z"),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/occurrences",
            "/v1/occurrences?days=99".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/geocode",
            "/v1/geocode?q=wrexham".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/geocode",
            "/v1/geocode?q=LL11%201AA".into(),
            "",
            None,
        ),
        (Method::GET, "/v1/geocode", "/v1/geocode?q=".into(), "", None),
        (Method::GET, "/v1/fellowships", "/v1/fellowships".into(), "", None),
        (Method::GET, "/v1/helplines", "/v1/helplines".into(), "", None),
        (Method::GET, "/v1/types", "/v1/types".into(), "", None),
        (Method::GET, "/v1/sources", "/v1/sources".into(), "", None),
        (
            Method::GET,
            "/v1/sources/{id}/imports",
            "/v1/sources/test/imports".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/sources/{id}/imports",
            "/v1/sources/nothing/imports".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/coverage",
            "/v1/coverage?max_km=5&area=W06000006".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/coverage",
            "/v1/coverage?max_minutes=20&mode=walk&area=W06000006&format=geojson".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/coverage",
            "/v1/coverage?max_km=5&area=W06000006&format=csv".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/coverage",
            "/v1/coverage?max_km=5&area=W06000006&format=html".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/coverage",
            "/v1/coverage?max_km=-1".into(),
            "",
            None,
        ),
        (
            Method::POST,
            "/v1/coverage",
            "/v1/coverage?max_km=5".into(),
            "",
            Some(csv_points),
        ),
        (
            Method::POST,
            "/v1/coverage",
            "/v1/coverage?max_km=5".into(),
            "",
            Some("lat,lon\nx,y\n"),
        ),
        (
            Method::GET,
            "/v1/coverage/gaps",
            "/v1/coverage/gaps?max_km=1&area=W06000006".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/coverage/gaps",
            "/v1/coverage/gaps?max_km=1&area=W06000006&format=geojson".into(),
            "",
            None,
        ),
        (
            Method::POST,
            "/v1/coverage/gaps",
            "/v1/coverage/gaps?max_km=1".into(),
            "",
            Some(csv_points),
        ),
        (
            Method::GET,
            "/v1/feeds/meeting-guide.json",
            "/v1/feeds/meeting-guide.json?fellowship=aa&1795350757335".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/v1/feeds/meeting-guide.json",
            "/v1/feeds/meeting-guide.json?source=nowhere".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/client_interface/json/",
            "/client_interface/json/?switcher=GetSearchResults&weekdays[]=2".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/client_interface/json/",
            "/client_interface/json/?switcher=GetSearchResults&get_used_formats".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/client_interface/json/",
            "/client_interface/json/?switcher=GetFieldValues".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/client_interface/json/",
            "/client_interface/json/?switcher=Nothing".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/client_interface/jsonp/",
            "/client_interface/jsonp/?switcher=GetServiceBodies&callback=cb".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/client_interface/json",
            "/client_interface/json?switcher=GetServerInfo".into(),
            "",
            None,
        ),
        (
            Method::GET,
            "/client_interface/jsonp",
            "/client_interface/jsonp?switcher=GetFieldKeys&callback=cb".into(),
            "",
            None,
        ),
    ];

    // Editing by hand: a source kept by hand, keys, and meetings in every state an operation
    // needs (each sample gets its own, so their order does not matter).
    /// (method, spec path, request path and query, headers, body)
    type Sample<'a> = (Method, &'a str, String, Vec<(String, String)>, Option<String>);
    let mut samples: Vec<Sample> = samples
        .into_iter()
        .map(|(method, template, request, accept, body)| {
            let mut headers = vec![];
            if !accept.is_empty() {
                headers.push(("Accept".to_string(), accept.to_string()));
            }
            if body.is_some() {
                headers.push(("Content-Type".to_string(), "text/csv".to_string()));
            }
            (method, template, request, headers, body.map(str::to_string))
        })
        .collect();
    server
        .directory
        .put_local_source(&meetingmap::domain::LocalSource {
            id: "agency".into(),
            name: "Agency list".into(),
            attribution: "Agency".into(),
            created_at: "2026-11-01T12:00:00Z".parse().unwrap(),
        })
        .await
        .unwrap();
    let new = meetingmap::editing::keys::generate();
    server
        .directory
        .put_key(
            &meetingmap::domain::ApiKey {
                id: new.id.clone(),
                name: "Operator".into(),
                role: meetingmap::domain::Role::Admin,
                sources: vec![],
                created_at: "2026-11-01T12:00:00Z".parse().unwrap(),
                revoked_at: None,
            },
            &new.hash,
        )
        .await
        .unwrap();
    let auth = format!("Bearer {}", new.token);
    let json_headers = |etag: Option<&str>| {
        let mut h = vec![
            ("Authorization".to_string(), auth.clone()),
            ("Content-Type".to_string(), "application/json".to_string()),
        ];
        if let Some(etag) = etag {
            h.push(("If-Match".to_string(), etag.to_string()));
        }
        h
    };
    let fields = json!({"fields": {"name": "SMART Wrexham", "fellowship": "smart", "day": "tue",
        "start": "18:30", "venue": "Agency", "town": "Wrexham", "latitude": 53.05, "longitude": -2.99}});
    let mut made = Vec::new();
    for _ in 0..3 {
        let r = server
            .request(
                Method::POST,
                "/v1/admin/sources/agency/meetings",
                &[
                    ("Authorization", auth.as_str()),
                    ("Content-Type", "application/json"),
                ],
                Some(fields.to_string().into_bytes()),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        made.push((
            r.json()["meeting"]["id"].as_str().unwrap().to_string(),
            r.header("etag").unwrap().to_string(),
        ));
    }
    let read_a = server
        .request(
            Method::GET,
            "/v1/admin/meetings/a",
            &[("Authorization", auth.as_str())],
            None,
        )
        .await;
    let corrected = server
        .request(
            Method::PATCH,
            "/v1/admin/meetings/a",
            &[
                ("Authorization", auth.as_str()),
                ("Content-Type", "application/json"),
                ("If-Match", read_a.header("etag").unwrap()),
            ],
            Some(br#"{"fields": {"notes": "Side door"}}"#.to_vec()),
        )
        .await;
    assert_eq!(corrected.status, 200, "{}", corrected.body);
    let report = server
        .request(
            Method::POST,
            "/v1/meetings/b/reports",
            &[("Content-Type", "application/json")],
            Some(br#"{"reason": "moved"}"#.to_vec()),
        )
        .await;
    assert_eq!(report.status, 201, "{}", report.body);
    let report_id = report.json()["id"].as_i64().unwrap();
    let sheet = format!(
        "{}\nx1,SMART Mold,,SMART Recovery,Thursday,18:00,19:30,,,Library,High St,Mold,CH7 1AA,53.167,-3.141,,,,,Open to all\n",
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/importers/templates/meetings-template.csv")).unwrap().trim_end()
    );
    let authed = vec![("Authorization".to_string(), auth.clone())];
    let (id0, etag0) = made[0].clone();
    let (id1, etag1) = made[1].clone();
    let (id2, etag2) = made[2].clone();
    samples.extend([
        (Method::GET, "/editor", "/editor".to_string(), vec![], None),
        (
            Method::GET,
            "/editor/editor.js",
            "/editor/editor.js".into(),
            vec![],
            None,
        ),
        (
            Method::GET,
            "/editor/editor.css",
            "/editor/editor.css".into(),
            vec![],
            None,
        ),
        (
            Method::GET,
            "/meetings/{id}/report",
            "/meetings/a/report".into(),
            vec![],
            None,
        ),
        (
            Method::POST,
            "/meetings/{id}/report",
            "/meetings/hybrid/report".into(),
            vec![("Content-Type".into(), "application/x-www-form-urlencoded".into())],
            Some("reason=closed".into()),
        ),
        (
            Method::POST,
            "/v1/meetings/{id}/reports",
            "/v1/meetings/hybrid/reports".into(),
            json_headers(None),
            Some(r#"{"reason": "wrong_time"}"#.into()),
        ),
        (
            Method::POST,
            "/v1/meetings/{id}/reports",
            "/v1/meetings/hybrid/reports".into(),
            json_headers(None),
            Some(r#"{"reason": "x"}"#.into()),
        ),
        (
            Method::GET,
            "/v1/meetings/{id}/history",
            format!("/v1/meetings/{id0}/history"),
            authed.clone(),
            None,
        ),
        (
            Method::GET,
            "/v1/meetings/{id}/history",
            "/v1/meetings/a/history".into(),
            vec![],
            None,
        ),
        (
            Method::GET,
            "/v1/admin/whoami",
            "/v1/admin/whoami".into(),
            authed.clone(),
            None,
        ),
        (
            Method::GET,
            "/v1/admin/meetings",
            "/v1/admin/meetings?q=wrexham".into(),
            authed.clone(),
            None,
        ),
        (
            Method::GET,
            "/v1/admin/meetings/{id}",
            "/v1/admin/meetings/a".into(),
            authed.clone(),
            None,
        ),
        (
            Method::GET,
            "/v1/admin/meetings/{id}",
            "/v1/admin/meetings/nothing".into(),
            authed.clone(),
            None,
        ),
        (
            Method::PATCH,
            "/v1/admin/meetings/{id}",
            format!("/v1/admin/meetings/{id0}"),
            json_headers(Some(&etag0)),
            Some(r#"{"fields": {"start": "19:00"}}"#.into()),
        ),
        (
            Method::PATCH,
            "/v1/admin/meetings/{id}",
            format!("/v1/admin/meetings/{id1}"),
            json_headers(Some("\"stale\"")),
            Some(r#"{"fields": {"start": "19:00"}}"#.into()),
        ),
        (
            Method::PATCH,
            "/v1/admin/meetings/{id}",
            format!("/v1/admin/meetings/{id1}"),
            json_headers(Some(&etag1)),
            Some(r#"{"fields": {"start": "29:00"}}"#.into()),
        ),
        (
            Method::PUT,
            "/v1/admin/meetings/{id}",
            format!("/v1/admin/meetings/{id1}"),
            json_headers(Some(&etag1)),
            Some(fields.to_string()),
        ),
        (
            Method::PUT,
            "/v1/admin/meetings/{id}",
            format!("/v1/admin/meetings/{id1}"),
            json_headers(None),
            Some(fields.to_string()),
        ),
        (
            Method::DELETE,
            "/v1/admin/meetings/{id}",
            format!("/v1/admin/meetings/{id2}"),
            json_headers(Some(&etag2)),
            None,
        ),
        (
            Method::DELETE,
            "/v1/admin/meetings/{id}/corrections",
            "/v1/admin/meetings/a/corrections".into(),
            json_headers(Some(corrected.header("etag").unwrap())),
            None,
        ),
        (
            Method::POST,
            "/v1/admin/sources/{source}/meetings",
            "/v1/admin/sources/agency/meetings".into(),
            json_headers(None),
            Some(fields.to_string()),
        ),
        (
            Method::POST,
            "/v1/admin/sources/{source}/meetings",
            "/v1/admin/sources/test/meetings".into(),
            json_headers(None),
            Some(fields.to_string()),
        ),
        (
            Method::POST,
            "/v1/admin/sources/{source}/upload",
            "/v1/admin/sources/agency/upload".into(),
            vec![
                ("Authorization".into(), auth.clone()),
                ("Content-Type".into(), "text/csv".into()),
            ],
            Some(sheet),
        ),
        (
            Method::GET,
            "/v1/admin/audit",
            "/v1/admin/audit?limit=2".into(),
            authed.clone(),
            None,
        ),
        (
            Method::GET,
            "/v1/admin/reports",
            "/v1/admin/reports".into(),
            authed.clone(),
            None,
        ),
        (
            Method::PATCH,
            "/v1/admin/reports/{id}",
            format!("/v1/admin/reports/{report_id}"),
            json_headers(None),
            Some(r#"{"status": "dismissed"}"#.into()),
        ),
    ]);

    let validator = |schema: &Value| {
        let mut schema = schema.clone();
        // The schema's `$ref`s point into the spec's components: carry them along.
        schema["components"] = spec["components"].clone();
        jsonschema::draft202012::new(&schema).unwrap()
    };
    let mut checked = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for (method, template, request, headers, body) in &samples {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let response = server
            .request(
                method.clone(),
                request,
                &headers,
                body.as_ref().map(|b| b.as_bytes().to_vec()),
            )
            .await;
        let operation = &spec["paths"][*template][method.as_str().to_ascii_lowercase()];
        assert!(operation.is_object(), "{method} {template} is not in the spec");
        checked.insert((method.to_string(), template.to_string()));
        let declared = &operation["responses"][response.status.to_string()];
        if !declared.is_object() {
            failures.push(format!(
                "{method} {request}: status {} is not declared",
                response.status
            ));
            continue;
        }
        let content_type = response.header("content-type").unwrap_or("");
        let media = content_type.split(';').next().unwrap().trim();
        // No content: a 204 the spec declares without a body.
        if response.status == 204 && declared.get("content").is_none() && response.body.is_empty() {
            continue;
        }
        let Some(content) = declared["content"].get(media) else {
            failures.push(format!(
                "{method} {request}: {} as `{media}` is not declared",
                response.status
            ));
            continue;
        };
        if media.ends_with("json") && !response.body.is_empty() {
            let instance: Value = serde_json::from_str(&response.body).unwrap();
            let schema = content.get("schema").cloned().unwrap_or(json!({}));
            let errors: Vec<String> = validator(&schema)
                .iter_errors(&instance)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .take(5)
                .collect();
            if !errors.is_empty() {
                failures.push(format!("{method} {request} ({}): {errors:?}", response.status));
            }
        }
    }
    let mut missing = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if !checked.contains(&(method.to_ascii_uppercase(), path.clone())) {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    assert!(missing.is_empty(), "operations without a sample: {missing:?}");
    assert!(
        failures.is_empty(),
        "responses that do not match the spec:\n{}",
        failures.join("\n")
    );
}
