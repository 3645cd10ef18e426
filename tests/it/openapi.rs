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
    let samples: Vec<(Method, &str, String, &str, Option<&str>)> = vec![
        (Method::GET, "/embed", "/embed".into(), "", None),
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
    ];

    let validator = |schema: &Value| {
        let mut schema = schema.clone();
        // The schema's `$ref`s point into the spec's components: carry them along.
        schema["components"] = spec["components"].clone();
        jsonschema::draft202012::new(&schema).unwrap()
    };
    let mut checked = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for (method, template, request, accept, body) in &samples {
        let mut headers = vec![];
        if !accept.is_empty() {
            headers.push(("Accept", *accept));
        }
        if body.is_some() {
            headers.push(("Content-Type", "text/csv"));
        }
        let response = server
            .request(
                method.clone(),
                request,
                &headers,
                body.map(|b| b.as_bytes().to_vec()),
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
        let Some(content) = declared["content"].get(media) else {
            failures.push(format!(
                "{method} {request}: {} as `{media}` is not declared",
                response.status
            ));
            continue;
        };
        if media.ends_with("json") {
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
