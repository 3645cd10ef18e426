//! Exports end to end: iCalendar, CSV, GeoJSON and the printable hand-out, from a real server.

use crate::common::*;
use icalendar::parser::{read_calendar, unfold, Component};
use jiff::civil::{Date, DateTime};
use jiff::{SignedDuration, Timestamp};
use meetingmap::domain::{Day, ImportOutcome, ImportRun, LocalTime, Schedule, SourceRef, Zone};
use serde_json::Value;

async fn fetch(server: &TestApp, path: &str, accept: Option<&str>) -> (u16, String, String) {
    let mut request = server.client.get(format!("{}{path}", server.base));
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

fn monthly(
    mut m: meetingmap::domain::Meeting,
    day: Day,
    time: &str,
    weeks: Vec<i8>,
) -> meetingmap::domain::Meeting {
    m.schedule = Some(
        Schedule::new(
            day,
            LocalTime::parse(time).unwrap(),
            90,
            Zone::get("Europe/London").unwrap(),
            weeks,
        )
        .unwrap(),
    );
    m
}

fn calendar_meetings() -> Vec<meetingmap::domain::Meeting> {
    let mut tricky = meeting("tricky", HOME);
    tricky.name =
        "Step, Tradition; and \\ more: a very long meeting name that will need folding across lines".into();
    tricky.notes = Some("Side door.\nBring a friend, if you like; tea & biscuits".into());
    let mut no_time = meeting("no-time", HOME);
    no_time.schedule = None;
    vec![
        meeting("weekly", HOME),
        tricky,
        with_schedule(meeting("late", HOME), Day::Sat, "23:30", 60, "Europe/London"),
        with_schedule(meeting("nyc", HOME), Day::Sun, "09:00", 60, "America/New_York"),
        // Missing on the spring-forward Sunday, twice on the fall-back one.
        with_schedule(
            meeting("small-hours", HOME),
            Day::Sun,
            "01:30",
            60,
            "Europe/London",
        ),
        with_schedule(
            meeting("nyc-small-hours", HOME),
            Day::Sun,
            "02:30",
            30,
            "America/New_York",
        ),
        monthly(meeting("first-third", HOME), Day::Sun, "10:30", vec![1, 3]),
        monthly(meeting("last", HOME), Day::Sun, "18:00", vec![-1]),
        no_time,
    ]
}

fn prop(component: &Component, name: &str) -> Option<String> {
    component
        .find_prop(name)
        .map(|p| p.val.clone().unescape_text().as_str().to_string())
}

fn param(component: &Component, name: &str, key: &str) -> Option<String> {
    component.find_prop(name).and_then(|p| {
        p.params
            .iter()
            .find(|q| q.key == key)
            .and_then(|q| q.val.as_ref().map(|v| v.as_str().to_string()))
    })
}

fn offset_seconds(text: &str) -> i64 {
    let sign = if text.starts_with('-') { -1 } else { 1 };
    let digits = &text[1..];
    let h: i64 = digits[0..2].parse().unwrap();
    let m: i64 = digits[2..4].parse().unwrap();
    let s: i64 = digits.get(4..6).map_or(0, |s| s.parse().unwrap());
    sign * (h * 3600 + m * 60 + s)
}

fn local(text: &str) -> DateTime {
    DateTime::strptime("%Y%m%dT%H%M%S", text).unwrap()
}

/// The instant of a local time, using only the calendar's own VTIMEZONE.
fn instant(vtimezone: &Component, at: DateTime) -> Timestamp {
    let mut best: Option<(DateTime, i64, i64)> = None;
    for observance in &vtimezone.components {
        let onset = local(&prop(observance, "DTSTART").unwrap());
        let from = offset_seconds(&prop(observance, "TZOFFSETFROM").unwrap());
        let to = offset_seconds(&prop(observance, "TZOFFSETTO").unwrap());
        if onset <= at && best.is_none_or(|(b, _, _)| onset > b) {
            best = Some((onset, from, to));
        }
    }
    let (onset, from, to) = best.expect("an observance covers the time");
    // RFC 5545 3.3.5: a local time in the gap when clocks go forward is read with the offset
    // before the gap. (One that happens twice is before the onset, so it gets the earlier offset.)
    let in_gap = to > from && at < onset + SignedDuration::from_secs(to - from);
    let offset = if in_gap { from } else { to };
    at.to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp() - SignedDuration::from_secs(offset)
}

/// Expands the event's RRULE (FREQ=WEEKLY or MONTHLY with BYDAY) into start instants in
/// `[from, until)`.
fn expand(event: &Component, vtimezone: &Component, from: Timestamp, until: Timestamp) -> Vec<Timestamp> {
    let start = local(&prop(event, "DTSTART").unwrap());
    let rule = prop(event, "RRULE").unwrap();
    let parts: std::collections::HashMap<&str, &str> =
        rule.split(';').map(|p| p.split_once('=').unwrap()).collect();
    let by_day: Vec<&str> = parts["BYDAY"].split(',').collect();
    let weekday = |code: &str| match &code[code.len() - 2..] {
        "SU" => jiff::civil::Weekday::Sunday,
        "MO" => jiff::civil::Weekday::Monday,
        "TU" => jiff::civil::Weekday::Tuesday,
        "WE" => jiff::civil::Weekday::Wednesday,
        "TH" => jiff::civil::Weekday::Thursday,
        "FR" => jiff::civil::Weekday::Friday,
        "SA" => jiff::civil::Weekday::Saturday,
        other => panic!("{other}"),
    };
    let mut dates: Vec<Date> = Vec::new();
    let end_date = until.to_zoned(jiff::tz::TimeZone::UTC).date().tomorrow().unwrap();
    match parts["FREQ"] {
        "WEEKLY" => {
            assert_eq!(by_day.len(), 1);
            assert_eq!(start.date().weekday(), weekday(by_day[0]));
            let mut d = start.date();
            while d <= end_date {
                dates.push(d);
                d = d.checked_add(SignedDuration::from_hours(24 * 7)).unwrap();
            }
        }
        "MONTHLY" => {
            let mut month = start.date().first_of_month();
            while month <= end_date {
                for code in &by_day {
                    let n: i8 = code[..code.len() - 2].parse().unwrap();
                    if let Ok(d) = month.nth_weekday_of_month(n, weekday(code)) {
                        if d >= start.date() {
                            dates.push(d);
                        }
                    }
                }
                month = month.checked_add(jiff::Span::new().months(1)).unwrap();
            }
        }
        other => panic!("unexpected FREQ {other}"),
    }
    dates.sort();
    let minutes: i64 = prop(event, "DURATION")
        .unwrap()
        .trim_start_matches("PT")
        .trim_end_matches('M')
        .parse()
        .unwrap();
    dates
        .into_iter()
        .map(|d| instant(vtimezone, d.to_datetime(start.time())))
        .filter(|t| *t + SignedDuration::from_mins(minutes) > from && *t < until)
        .collect()
}

/// The starts in `[from, until)` by the `rrule` crate (IANA zones from chrono-tz, not the
/// calendar's VTIMEZONE). Sessions under way at `from` are included, as `/v1/occurrences` does.
fn rrule_starts(event: &Component, from: Timestamp, until: Timestamp) -> Vec<Timestamp> {
    use chrono::TimeZone as _;
    let text = format!(
        "DTSTART;TZID={}:{}\nRRULE:{}",
        param(event, "DTSTART", "TZID").unwrap(),
        prop(event, "DTSTART").unwrap(),
        prop(event, "RRULE").unwrap()
    );
    let set: rrule::RRuleSet = text.parse().unwrap();
    let minutes: i64 = prop(event, "DURATION")
        .unwrap()
        .trim_start_matches("PT")
        .trim_end_matches('M')
        .parse()
        .unwrap();
    let utc = |t: Timestamp| rrule::Tz::UTC.timestamp_opt(t.as_second(), 0).unwrap();
    let set = set
        .after(utc(from - SignedDuration::from_mins(minutes)))
        .before(utc(until));
    set.all(1000)
        .dates
        .into_iter()
        .map(|d| Timestamp::from_second(d.timestamp()).unwrap())
        .filter(|t| *t + SignedDuration::from_mins(minutes) > from && *t < until)
        .collect()
}

#[tokio::test]
async fn calendar_parses_and_matches_occurrences_across_clock_changes() {
    let server = TestApp::start(calendar_meetings()).await;
    let (status, content_type, body) = fetch(
        &server,
        "/v1/meetings.ics?attendance=in_person,online,hybrid",
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(content_type, "text/calendar; charset=utf-8");
    // CRLF everywhere, and no line over 75 octets.
    assert!(body.ends_with("END:VCALENDAR\r\n"));
    for line in body.split("\r\n") {
        assert!(!line.contains('\n'), "bare LF in {line:?}");
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    let unfolded = unfold(&body);
    let calendar = read_calendar(&unfolded).expect("a valid calendar");
    assert!(calendar
        .properties
        .iter()
        .any(|p| p.name == "VERSION" && p.val == "2.0"));
    assert!(calendar.properties.iter().any(|p| p.name == "PRODID"));
    let events: Vec<&Component> = calendar
        .components
        .iter()
        .filter(|c| c.name == "VEVENT")
        .collect();
    let zones: Vec<&Component> = calendar
        .components
        .iter()
        .filter(|c| c.name == "VTIMEZONE")
        .collect();
    let mut uids: Vec<String> = events.iter().map(|e| prop(e, "UID").unwrap()).collect();
    uids.sort();
    // The meeting with no fixed time is left out.
    assert_eq!(
        uids,
        [
            "first-third",
            "last",
            "late",
            "nyc-small-hours",
            "nyc",
            "small-hours",
            "tricky",
            "weekly"
        ]
        .map(|id| format!("{id}@meetingmap"))
    );
    for event in &events {
        assert!(prop(event, "DTSTAMP").unwrap().ends_with('Z'));
        let tzid = param(event, "DTSTART", "TZID").unwrap();
        assert!(
            zones
                .iter()
                .any(|z| prop(z, "TZID").as_deref() == Some(tzid.as_str())),
            "{tzid}"
        );
    }
    let tricky = events
        .iter()
        .find(|e| prop(e, "UID").unwrap() == "tricky@meetingmap")
        .unwrap();
    assert_eq!(
        prop(tricky, "SUMMARY").unwrap(),
        "Step, Tradition; and \\ more: a very long meeting name that will need folding across lines"
    );
    let description = prop(tricky, "DESCRIPTION").unwrap();
    assert!(
        description.contains("Side door.\nBring a friend, if you like; tea & biscuits"),
        "{description}"
    );
    assert!(description.contains("Test feed"), "{description}");
    assert!(body.contains("SUMMARY:Step\\, Tradition\\; and \\\\ more"));
    assert_eq!(
        prop(tricky, "LOCATION").unwrap(),
        "Church Hall, 1 High Street, Wrexham, LL11 1AA"
    );
    let first_third = events
        .iter()
        .find(|e| prop(e, "UID").unwrap() == "first-third@meetingmap")
        .unwrap();
    assert_eq!(prop(first_third, "RRULE").unwrap(), "FREQ=MONTHLY;BYDAY=1SU,3SU");
    let last = events
        .iter()
        .find(|e| prop(e, "UID").unwrap() == "last@meetingmap")
        .unwrap();
    assert_eq!(prop(last, "RRULE").unwrap(), "FREQ=MONTHLY;BYDAY=-1SU");

    // Autumn (UK 25 Oct, US 1 Nov 2026) and spring (US 14 Mar, UK 28 Mar 2027) changes.
    for from in ["2026-10-12T00:00:00Z", "2027-03-08T00:00:00Z"] {
        let (status, page) = server
            .get(&format!(
                "/v1/occurrences?attendance=in_person,online,hybrid&from={from}&days=31&limit=500"
            ))
            .await;
        assert_eq!(status, 200, "{page}");
        let from: Timestamp = from.parse().unwrap();
        let until = from + SignedDuration::from_hours(24 * 31);
        for event in &events {
            let uid = prop(event, "UID").unwrap();
            let id = uid.trim_end_matches("@meetingmap");
            let tzid = param(event, "DTSTART", "TZID").unwrap();
            let zone = zones.iter().find(|z| prop(z, "TZID").unwrap() == tzid).unwrap();
            let mut expected = expand(event, zone, from, until);
            expected.sort();
            let got: Vec<Timestamp> = page["occurrences"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|o| o["meeting_id"] == id)
                .map(|o| o["start"].as_str().unwrap().parse().unwrap())
                .collect();
            assert!(!got.is_empty(), "{id}");
            assert_eq!(expected, got, "{id} from {from}");
            // And a second, independent expansion: the `rrule` crate, with chrono-tz's zones.
            assert_eq!(
                rrule_starts(event, from, until),
                got,
                "{id} from {from}, by the rrule crate"
            );
        }
    }
}

#[tokio::test]
async fn one_meeting_calendar() {
    let mut no_time = meeting("no-time", HOME);
    no_time.schedule = None;
    let server = TestApp::start(vec![meeting("weekly", HOME), no_time]).await;
    let (status, content_type, body) = fetch(&server, "/v1/meetings/weekly.ics", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(content_type, "text/calendar; charset=utf-8");
    let unfolded = unfold(&body);
    let calendar = read_calendar(&unfolded).unwrap();
    let events: Vec<&Component> = calendar
        .components
        .iter()
        .filter(|c| c.name == "VEVENT")
        .collect();
    assert_eq!(events.len(), 1);
    // First seen 2026-09-01 (a Tuesday): the first Monday after, 19:00 London time.
    assert_eq!(prop(events[0], "DTSTART").unwrap(), "20260907T190000");
    assert_eq!(param(events[0], "DTSTART", "TZID").unwrap(), "Europe/London");
    assert_eq!(prop(events[0], "RRULE").unwrap(), "FREQ=WEEKLY;BYDAY=MO");
    assert_eq!(prop(events[0], "DURATION").unwrap(), "PT60M");
    assert_eq!(
        prop(events[0], "GEO").unwrap(),
        format!("{:.6};{:.6}", HOME.0, HOME.1)
    );
    // The JSON of the meeting is still there.
    let (status, body) = server.get("/v1/meetings/weekly").await;
    assert_eq!((status, body["id"].as_str()), (200, Some("weekly")));
    let (status, body) = server.get("/v1/meetings/no-time.ics").await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = server.get("/v1/meetings/missing.ics").await;
    assert_eq!(status, 404);
    // Also by format on the search.
    let (status, content_type, body) = fetch(&server, "/v1/meetings?format=ics", None).await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, "text/calendar; charset=utf-8")
    );
    assert!(read_calendar(&unfold(&body)).is_ok());
}

#[tokio::test]
async fn csv_matches_json() {
    let mut odd = meeting("odd", north_of(HOME, 1.0));
    odd.name = "Commas, \"quotes\"\nand lines".into();
    let mut formula = meeting("formula", north_of(HOME, 2.0));
    formula.name = "=HYPERLINK(\"http://evil.invalid\",\"x\")".into();
    formula.online = Some(meetingmap::domain::Online {
        url: None,
        phone: Some("+44 20 7946 0000".into()),
        notes: None,
    });
    formula.attendance = meetingmap::domain::Attendance::Hybrid;
    let server = TestApp::start(vec![meeting("a", HOME), odd, formula, online("web")]).await;
    let query = format!(
        "lat={}&lon={}&attendance=in_person,online&mode=walk",
        HOME.0, HOME.1
    );
    let (_, json) = server.get(&format!("/v1/meetings?{query}")).await;
    for (path, accept) in [
        (format!("/v1/meetings?{query}&format=csv"), None),
        (format!("/v1/meetings?{query}"), Some("text/csv")),
    ] {
        let (status, content_type, body) = fetch(&server, &path, accept).await;
        assert_eq!(status, 200, "{body}");
        assert!(content_type.starts_with("text/csv"), "{content_type}");
        let mut reader = csv::Reader::from_reader(body.as_bytes());
        let headers = reader.headers().unwrap().clone();
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let meetings = json["meetings"].as_array().unwrap();
        assert_eq!(rows.len(), meetings.len());
        let col = |row: &csv::StringRecord, name: &str| {
            row[headers.iter().position(|h| h == name).unwrap()].to_string()
        };
        for (row, m) in rows.iter().zip(meetings) {
            assert_eq!(col(row, "id"), m["id"].as_str().unwrap());
            let name = m["name"].as_str().unwrap();
            if name.starts_with('=') {
                // Never a formula in a spreadsheet.
                assert_eq!(col(row, "name"), format!("'{name}"));
                assert_eq!(col(row, "online.phone"), "'+44 20 7946 0000");
            } else {
                assert_eq!(col(row, "name"), name);
            }
            assert_eq!(
                col(row, "schedule.start_time"),
                m["schedule"]["start_time"].as_str().unwrap()
            );
            assert_eq!(col(row, "types"), "language:en");
            match m["distance_km"].as_f64() {
                Some(d) => assert_eq!(col(row, "distance_km").parse::<f64>().unwrap(), d),
                None => assert_eq!(col(row, "distance_km"), ""),
            }
            match m["location"]["lat"].as_f64() {
                Some(lat) => assert_eq!(col(row, "location.lat").parse::<f64>().unwrap(), lat),
                None => assert_eq!(col(row, "location.lat"), ""),
            }
            assert_eq!(
                col(row, "travel.minutes"),
                m["travel"]["minutes"].to_string().replace("null", "")
            );
            assert_eq!(col(row, "online.url"), m["online"]["url"].as_str().unwrap_or(""));
            // Negative numbers stay numbers.
            assert_eq!(
                col(row, "location.lon").parse::<f64>().ok(),
                m["location"]["lon"].as_f64()
            );
        }
    }
    // CSV pages by the Link header; the pages together are every result once.
    let mut path = format!("/v1/meetings?{query}&format=csv&limit=1");
    let mut ids = Vec::new();
    loop {
        let response = server
            .client
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
        let link = response
            .headers()
            .get("link")
            .map(|v| v.to_str().unwrap().to_string());
        let body = response.text().await.unwrap();
        let mut reader = csv::Reader::from_reader(body.as_bytes());
        ids.extend(reader.records().map(|r| r.unwrap()[0].to_string()));
        match link {
            Some(link) => {
                let url = link.trim_start_matches('<').split('>').next().unwrap();
                assert!(link.ends_with("rel=\"next\""), "{link}");
                path = url.to_string();
            }
            None => break,
        }
    }
    let json_ids: Vec<&str> = json["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, json_ids);
    // Occurrences too.
    let (_, json) = server.get("/v1/occurrences?from=2026-11-23T00:00:00Z").await;
    let (status, _, body) = fetch(
        &server,
        "/v1/occurrences?from=2026-11-23T00:00:00Z&format=csv",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "meeting_id");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let occurrences = json["occurrences"].as_array().unwrap();
    assert_eq!(rows.len(), occurrences.len());
    assert!(!rows.is_empty());
    for (row, o) in rows.iter().zip(occurrences) {
        assert_eq!(&row[0], o["meeting_id"].as_str().unwrap());
        assert_eq!(&row[3], o["start"].as_str().unwrap());
    }
}

#[tokio::test]
async fn geojson_is_lon_lat_with_null_geometry_when_unplaced() {
    let mut unplaced = meeting("unplaced", HOME);
    let loc = unplaced.location.as_mut().unwrap();
    loc.lat = None;
    loc.lon = None;
    let server = TestApp::start(vec![meeting("placed", HOME), unplaced, online("web")]).await;
    for (path, accept) in [
        ("/v1/meetings?attendance=in_person,online&format=geojson", None),
        (
            "/v1/meetings?attendance=in_person,online",
            Some("application/geo+json"),
        ),
    ] {
        let (status, content_type, body) = fetch(&server, path, accept).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(content_type, "application/geo+json");
        let doc: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(doc["type"], "FeatureCollection");
        let features = doc["features"].as_array().unwrap();
        assert_eq!(features.len(), 3);
        for f in features {
            assert_eq!(f["type"], "Feature");
            match f["id"].as_str().unwrap() {
                "placed" => {
                    assert_eq!(f["geometry"]["type"], "Point");
                    assert_eq!(f["geometry"]["coordinates"], serde_json::json!([HOME.1, HOME.0]));
                    assert_eq!(f["properties"]["name"], "Meeting placed");
                }
                "unplaced" | "web" => assert!(f["geometry"].is_null(), "{f}"),
                other => panic!("{other}"),
            }
        }
        assert!(doc["next"].is_null());
    }
    let (status, content_type, body) = fetch(
        &server,
        "/v1/occurrences?format=geojson&from=2026-11-23T00:00:00Z",
        None,
    )
    .await;
    assert_eq!((status, content_type.as_str()), (200, "application/geo+json"));
    let doc: Value = serde_json::from_str(&body).unwrap();
    let f = &doc["features"][0];
    assert_eq!(f["id"], "placed");
    assert_eq!(f["geometry"]["coordinates"], serde_json::json!([HOME.1, HOME.0]));
}

#[tokio::test]
async fn unsupported_formats_are_406() {
    let server = TestApp::start(vec![meeting("a", HOME)]).await;
    let (status, body) = server.get("/v1/meetings?format=xml").await;
    assert_eq!(status, 406, "{body}");
    assert_eq!(body["type"], "/problems/not-acceptable");
    assert!(body["detail"].as_str().unwrap().contains("xml"), "{body}");
    let (status, body) = server.get("/v1/occurrences?format=ics").await;
    assert_eq!(status, 406, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("ics"), "{body}");
    let (status, content_type, body) = fetch(&server, "/v1/meetings", Some("application/xml")).await;
    assert_eq!(
        (status, content_type.as_str()),
        (406, "application/problem+json"),
        "{body}"
    );
    assert!(body.contains("application/xml"));
    // Browsers' Accept and explicit JSON still get JSON.
    for accept in [
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "application/json",
    ] {
        let (status, content_type, _) = fetch(&server, "/v1/meetings", Some(accept)).await;
        assert_eq!(
            (status, content_type.as_str()),
            (200, "application/json"),
            "{accept}"
        );
    }
    let (status, _, _) = fetch(&server, "/v1/meetings?format=json", None).await;
    assert_eq!(status, 200);
    // Preferences by q, and q=0 means "not this".
    for (accept, expected) in [
        ("text/csv;q=0, application/json", "application/json"),
        (
            "application/json;q=0.5, application/geo+json",
            "application/geo+json",
        ),
        ("text/calendar", "text/calendar; charset=utf-8"),
        ("text/*", "text/csv; charset=utf-8; header=present"),
    ] {
        let (status, content_type, _) = fetch(&server, "/v1/meetings", Some(accept)).await;
        assert_eq!((status, content_type.as_str()), (200, expected), "{accept}");
    }
    let (status, _, _) = fetch(&server, "/v1/occurrences", Some("text/calendar")).await;
    assert_eq!(status, 406);
}

#[tokio::test]
async fn formats_chosen_by_accept_have_their_own_etags() {
    let server = TestApp::start(vec![meeting("a", HOME)]).await;
    let get = |accept: &'static str, etag: Option<String>| {
        let mut request = server
            .client
            .get(format!("{}/v1/meetings", server.base))
            .header("Accept", accept);
        if let Some(etag) = etag {
            request = request.header("If-None-Match", etag);
        }
        request.send()
    };
    let json = get("application/json", None).await.unwrap();
    let vary = json.headers()["vary"].to_str().unwrap().to_string();
    assert!(vary.split(',').any(|v| v.trim() == "Accept"), "{vary}");
    let json_tag = json.headers()["etag"].to_str().unwrap().to_string();
    let csv = get("text/csv", None).await.unwrap();
    let csv_tag = csv.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(json_tag, csv_tag);
    // A cached JSON page does not answer for CSV, but does for JSON.
    let again = get("text/csv", Some(json_tag.clone())).await.unwrap();
    assert_eq!(again.status(), 200);
    assert!(again.text().await.unwrap().starts_with("id,name,"));
    let again = get("application/json", Some(json_tag)).await.unwrap();
    assert_eq!(again.status(), 304);
}

#[tokio::test]
async fn handout_escapes_feed_text_and_shows_freshness() {
    let mut evil = meeting("evil", HOME);
    evil.name = "<script>alert('x')</script> Group".into();
    evil.notes = Some("<img src=x onerror=alert(1)> & more".into());
    evil.source = SourceRef {
        id: "other".into(),
        name: "Other <b>feed</b>".into(),
        attribution: "© Someone".into(),
        record_id: None,
        raw: Default::default(),
    };
    let first = monthly(meeting("monthly", HOME), Day::Sun, "10:30", vec![1, 3]);
    let server = TestApp::start(vec![meeting("plain", HOME), evil, first]).await;
    let run = |at: &str, outcome: ImportOutcome| ImportRun {
        finished_at: at.parse::<Timestamp>().unwrap() + SignedDuration::from_secs(30),
        ..ImportRun::begun("test", at.parse().unwrap(), outcome)
    };
    let directory = &server.directory;
    directory
        .record_import(&run("2026-11-20T08:00:00Z", ImportOutcome::Succeeded))
        .await
        .unwrap();
    directory
        .record_import(&run("2026-11-21T08:00:00Z", ImportOutcome::Failed))
        .await
        .unwrap();
    let (status, content_type, body) = fetch(
        &server,
        &format!("/v1/handout?lat={}&lon={}", HOME.0, HOME.1),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(content_type, "text/html; charset=utf-8");
    assert!(!body.contains("<script"), "{body}");
    assert!(!body.contains("<img"), "{body}");
    assert!(!body.contains("<b>feed"), "{body}");
    assert!(body.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Group"));
    assert!(body.contains("&lt;img src=x onerror=alert(1)&gt; &amp; more"));
    // No external requests: nothing fetched from anywhere.
    for tag in ["<script", "<img", "<link", "<iframe", "url(", "src=\"", "href=\""] {
        assert!(!body.contains(tag), "{tag} in {body}");
    }
    assert!(body.contains("@media print"));
    // Compact rows under day headings (no wide table with column headings); the contacts box.
    assert!(body.contains("<table class=\"day\">"), "{body}");
    assert!(body.contains("Contact details: national helplines"), "{body}");
    assert!(body.contains("Meeting plain"));
    // Grouped by day (the week starts today, so which date is not fixed): a weekly meeting shows
    // its time under its day's heading.
    assert!(body.contains("<h2>Monday "), "{body}");
    assert!(
        body.contains("<td class=\"time\">19:00\u{2013}20:00</td>"),
        "{body}"
    );
    assert!(body.contains("1st and 3rd Sunday of the month 10:30\u{2013}12:00"));
    assert!(body.contains("Church Hall, 1 High Street, Wrexham, LL11 1AA"));
    // The day in the UK, where the page is read.
    let today = Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap())
        .strftime("%-d %B %Y")
        .to_string();
    assert!(body.contains(&format!("Produced on {today}")), "{body}");
    // Sources of the listed meetings, escaped, with their last success (not the later failure).
    assert!(body.contains("<td>Other &lt;b&gt;feed&lt;/b&gt;</td><td>© Someone</td><td>not recorded</td>"));
    assert!(
        body.contains("Listed by Test feed (the feed states no date of its own), checked 20 November 2026."),
        "{body}"
    );
    assert!(
        body.contains("<td>Test feed</td><td>Made up for tests</td><td>20 November 2026 at 08:00 GMT</td>"),
        "{body}"
    );
    // Centred on a place: it says where, and lists what the search finds.
    let (status, _, body) = fetch(&server, "/v1/handout?near=LL11&limit=1", None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("meetings near LL11"), "{body}");
    assert!(body.contains("Only the first 1 meetings are listed."), "{body}");
    assert!(body.contains(" km away</p>"), "{body}");
    // Bad filters are still a 400.
    let (status, _) = server.get("/v1/handout?radius=5").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn handout_adds_a_blank_client_journal_on_request() {
    let server = TestApp::start(vec![meeting("a", HOME)]).await;
    let (status, _, plain) = fetch(&server, "/v1/handout?near=LL11", None).await;
    assert_eq!(status, 200);
    assert!(!plain.contains("client journal"), "{plain}");
    let (status, _, body) = fetch(&server, "/v1/handout?near=LL11&journal=true", None).await;
    assert_eq!(status, 200);
    // The list first, then the journal on a page of its own, with room to write.
    let journal = body
        .find("<section class=\"journal\">")
        .expect("a journal section");
    assert!(body.find("Meeting a").unwrap() < journal);
    let journal = &body[journal..];
    for heading in [
        "Your mutual aid experience: client journal",
        "<h3>Meetings to attend</h3><ol>",
        "<h3>Reactions to meetings</h3><ol>",
        "<h3>Benefits of attending meetings</h3>",
        "<h3>Disadvantages of attending meetings</h3>",
        "<h3>Contacts</h3>",
    ] {
        assert!(journal.contains(heading), "{heading}: {journal}");
    }
    assert_eq!(journal.matches("<li>").count(), 12);
    assert!(body.contains("section.journal { break-before: page;"));
    let (status, _, same) = fetch(&server, "/v1/handout?near=LL11&journal=false", None).await;
    assert_eq!((status, same.contains("client journal")), (200, false));

    let (status, problem) = server.get("/v1/handout?near=LL11&journal=yes").await;
    assert_eq!(status, 400);
    assert_eq!(problem["invalid_params"][0]["name"], "journal", "{problem}");
}

/// What a keyworker asks for (AA or SMART, evenings, within 30 min by bus) stated at the top;
/// each meeting with walk, drive and public-transport minutes; a closed meeting left out with a
/// count; a fellowship with no data named; helplines; the options for paper and the sheets.
#[tokio::test]
async fn handout_is_a_keyworkers_week_with_directions() {
    let mut evening = meeting("evening", north_of(HOME, 2.0));
    evening.schedule = Some(Schedule::weekly_london(
        Day::Tue,
        LocalTime::from_hm(18, 30).unwrap(),
        60,
    ));
    let mut closed = meeting("closed", HOME);
    closed.status = meetingmap::domain::Status::TemporarilyClosed;
    let server = TestApp::start(vec![meeting("a", HOME), evening, closed]).await;
    // A dump served with its own date, months before the import that checked it.
    server
        .directory
        .record_import(&ImportRun {
            finished_at: "2026-11-21T08:00:30Z".parse().unwrap(),
            last_modified: Some("Wed, 05 Aug 2026 10:00:00 GMT".into()),
            // A run recorded before feed dates were kept (no `feed_date`): the hand-out reads
            // the HTTP date.
            ..ImportRun::begun(
                "test",
                "2026-11-21T08:00:00Z".parse().unwrap(),
                ImportOutcome::Succeeded,
            )
        })
        .await
        .unwrap();
    let (status, _, body) = fetch(
        &server,
        &format!(
            "/v1/handout?lat={}&lon={}&fellowship=aa,smart&start_after=17:00&mode=transit&max_minutes=30",
            HOME.0, HOME.1
        ),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(
            "Meetings: Alcoholics Anonymous or SMART Recovery, evenings, within 30 min by public transport (estimate)"
        ),
        "{body}"
    );
    assert!(
        body.contains(
            "No SMART Recovery meetings are listed: this directory has no SMART Recovery source yet."
        ),
        "{body}"
    );
    // Closed: not a row, but counted.
    assert!(!body.contains("Meeting closed"), "{body}");
    assert!(
        body.contains("1 temporarily closed meeting is left out."),
        "{body}"
    );
    // Every row: walk, drive and public transport, the last labelled an estimate.
    for row in body.split("<tr><td class=\"time\">").skip(1) {
        for mode in ["Walk: ", "Drive: ", "Bus/train: "] {
            assert!(row.contains(mode), "{mode} in {row}");
        }
        assert!(
            row.contains(" min <span class=\"small\">(est.)</span></p>"),
            "{row}"
        );
    }
    assert_eq!(body.matches("<tr><td class=\"time\">").count(), 2, "{body}");
    // 2 km north: 1.3 × 2 km at 5 km/h is 31.2 minutes, rounded up.
    assert!(body.contains("<p>Walk: 32 min</p><p>Drive: 10 min</p>"), "{body}");
    assert!(body.contains("https://www.traveline.info"));
    // Each row's QR code, read back as a phone would, is its meeting's page.
    let mut links: Vec<String> = body.split("<svg class=\"qr\"").skip(1).map(decode_qr).collect();
    links.sort();
    assert_eq!(
        links,
        [
            format!("{}/meetings/a", server.base),
            format!("{}/meetings/evening", server.base)
        ]
    );
    // Ordered by day: the week's dates are headings, and Monday's and Tuesday's are both there.
    assert!(
        body.contains("<h2>Monday ") && body.contains("<h2>Tuesday "),
        "{body}"
    );
    assert!(body.contains("h2, h3 { break-after: avoid;"));
    assert!(body.contains("@page { size: A4;"));
    // The asked fellowships' national contacts, once, not per row.
    assert!(
        body.contains("<strong>Alcoholics Anonymous</strong>: 0800 9177 650"),
        "{body}"
    );
    assert!(
        body.contains("<strong>SMART Recovery</strong>: no phone helpline"),
        "{body}"
    );
    // Source and freshness once, in the footer: the feed's own date apart from when it was checked.
    assert_eq!(body.matches("Listed by").count(), 1, "{body}");
    assert!(
        body.contains("Listed by Test feed as of 5 August 2026, checked 21 November 2026.</p>"),
        "{body}"
    );
    assert!(!body.contains("Choosing a group"));

    let (status, _, body) = fetch(&server, "/v1/handout?near=LL11&paper=letter&choosing=true", None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("@page { size: letter;"), "{body}");
    let sheet = body
        .find("<section class=\"choosing\">")
        .expect("the choosing sheet");
    assert!(body.find("Meeting a").unwrap() < sheet);
    assert!(body.contains("Meetings: all fellowships, within"), "{body}");
    for bad in ["paper=a3", "choosing=yes"] {
        let (status, problem) = server.get(&format!("/v1/handout?near=LL11&{bad}")).await;
        assert_eq!(status, 400, "{bad}");
        let name = bad.split('=').next().unwrap();
        assert_eq!(problem["invalid_params"][0]["name"], name, "{problem}");
    }
}

/// Decodes the QR code of an inline SVG drawn by `formats::qr` (a unit square per dark module,
/// `M{x},{y}h1v1h-1z`): paints it at 8 pixels a module and reads it with `rqrr`.
fn decode_qr(svg: &str) -> String {
    const SCALE: usize = 8;
    let size: usize = svg
        .split("viewBox=\"0 0 ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a square viewBox");
    let path = svg.split("<path d=\"").nth(1).unwrap().split('"').next().unwrap();
    let mut dark = vec![false; size * size];
    for square in path.split('M').filter(|s| !s.is_empty()) {
        let (x, y) = square.trim_end_matches("h1v1h-1z").split_once(',').unwrap();
        dark[y.parse::<usize>().unwrap() * size + x.parse::<usize>().unwrap()] = true;
    }
    let side = size * SCALE;
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
        if dark[(y / SCALE) * size + x / SCALE] {
            0
        } else {
            255
        }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in {svg}");
    grids[0].decode().expect("a readable QR code").1
}

/// The builder: a plain form to `/v1/handout`, pre-filled from its address, with fellowships that
/// have no meetings disabled and marked, under a CSP that allows no script and only this form.
#[tokio::test]
async fn handout_builder_is_a_form_without_script() {
    let server = TestApp::start(vec![meeting("a", HOME)]).await;
    let response = server
        .client
        .get(format!(
            "{}/handout?near=LL11%201AA&fellowship=aa&day=tue&start_after=17:00&mode=transit&max_minutes=30",
            server.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert_eq!(header("content-type"), "text/html; charset=utf-8");
    let csp = header("content-security-policy");
    assert!(
        csp.starts_with("default-src 'none'; style-src 'unsafe-inline'"),
        "{csp}"
    );
    assert!(
        csp.contains("form-action 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(header("referrer-policy"), "no-referrer");
    let body = response.text().await.unwrap();
    assert!(!body.contains("<script"), "{body}");
    assert!(
        body.contains("<form method=\"get\" action=\"/v1/handout\">"),
        "{body}"
    );
    assert!(
        body.contains("name=\"near\" required autocomplete=\"postal-code\" value=\"LL11 1AA\""),
        "{body}"
    );
    assert!(
        body.contains("name=\"fellowship\" value=\"aa\" checked>Alcoholics Anonymous"),
        "{body}"
    );
    assert!(
        body.contains("name=\"fellowship\" value=\"smart\" disabled>SMART Recovery (no data)"),
        "{body}"
    );
    assert!(
        body.contains("name=\"day\" value=\"tue\" checked>Tuesday"),
        "{body}"
    );
    assert!(
        body.contains("<option value=\"17:00\" selected>17:00 (evenings)</option>"),
        "{body}"
    );
    assert!(body.contains("<option value=\"transit\" selected>"), "{body}");
    assert!(
        body.contains("name=\"max_minutes\" min=\"1\" max=\"240\" value=\"30\""),
        "{body}"
    );
    assert!(body.contains("name=\"choosing\" value=\"true\""), "{body}");
    assert!(body.contains("name=\"paper\" value=\"letter\""), "{body}");
    // What the form submits (repeated `fellowship`, empty selects) is a hand-out.
    let (status, _, handout) = fetch(
        &server,
        "/v1/handout?near=LL11&fellowship=aa&fellowship=smart&start_after=&start_before=&mode=&max_minutes=&paper=a4&choosing=true",
        None,
    )
    .await;
    assert_eq!(status, 200, "{handout}");
    assert!(handout.contains("Meeting a"), "{handout}");
    // Text typed into the address is escaped back into the form.
    let (status, _, body) = fetch(&server, "/handout?near=%22%3E%3Cscript%3E", None).await;
    assert_eq!(status, 200);
    assert!(body.contains("value=\"&quot;&gt;&lt;script&gt;\""), "{body}");
}

/// Clients that accept brotli get it on every text format (JSON, GeoJSON, CSV, HTML), and gzip
/// still works for those that only take gzip.
#[tokio::test]
async fn brotli_and_gzip_are_honoured_on_every_text_format() {
    let meetings = (0..40)
        .map(|i| meeting(&format!("m{i}"), north_of(HOME, i as f64 * 0.1)))
        .collect();
    let server = TestApp::start(meetings).await;
    let near = format!("/v1/meetings?lat={}&lon={}", HOME.0, HOME.1);
    let cases = [
        (near.clone(), "application/json"),
        (near.clone(), "application/geo+json"),
        (format!("{near}&format=csv"), "*/*"),
        ("/embed".to_string(), "text/html"),
    ];
    for (path, accept) in cases {
        for encoding in ["br", "gzip"] {
            // A client without automatic decompression, so the encoding is seen as sent.
            let client = reqwest::Client::builder().no_gzip().build().unwrap();
            let response = client
                .get(format!("{}{path}", server.base))
                .header("accept", accept)
                .header("accept-encoding", encoding)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{path} {accept}");
            assert_eq!(
                response
                    .headers()
                    .get("content-encoding")
                    .map(|v| v.to_str().unwrap()),
                Some(encoding),
                "{path} as {accept} with {encoding}"
            );
        }
    }
}

/// Brotli answers decode to the same bytes as the plain answer, whatever their size (the fitted
/// window of `http::compress`, and `Compress` for the rest), and the client's preferences are
/// followed: a lower `q` for `br`, or `br;q=0`, gets gzip.
#[tokio::test]
async fn brotli_decodes_to_the_plain_answer_and_preferences_are_followed() {
    let meetings = (0..300)
        .map(|i| meeting(&format!("m{i}"), north_of(HOME, i as f64 * 0.01)))
        .collect();
    let server = TestApp::start(meetings).await;
    let client = reqwest::Client::builder().no_gzip().build().unwrap();
    let lengths = std::sync::Mutex::new(Vec::new());
    let get = |path: String, encoding: &'static str| {
        let lengths = &lengths;
        let request = client
            .get(format!("{}{path}", server.base))
            .header("accept-encoding", encoding);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200, "{encoding}");
            let length = response
                .headers()
                .get("content-length")
                .map(|v| v.to_str().unwrap().parse::<usize>().unwrap());
            lengths.lock().unwrap().push(length);
            let coding = response
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_string());
            (coding, response.bytes().await.unwrap().to_vec())
        }
    };
    let near = format!("/v1/meetings?lat={}&lon={}&radius_km=50", HOME.0, HOME.1);
    for path in [
        format!("{near}&limit=2"),
        format!("{near}&limit=300"),
        format!("{near}&limit=300&format=csv"),
        format!(
            "/v1/occurrences?lat={}&lon={}&radius_km=50&limit=300&from=2027-01-04T09:00:00Z",
            HOME.0, HOME.1
        ),
        "/embed.js".to_string(),
    ] {
        let (plain_coding, plain) = get(path.clone(), "identity").await;
        assert_eq!(plain_coding, None, "{path}");
        let (coding, encoded) = get(path.clone(), "gzip, deflate, br").await;
        assert_eq!(coding.as_deref(), Some("br"), "{path}");
        // Encoded whole (`http::compress`), so sent with its length rather than in chunks.
        assert_eq!(
            lengths.lock().unwrap().pop().flatten(),
            Some(encoded.len()),
            "{path}"
        );
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &encoded[..], &mut decoded).unwrap();
        assert_eq!(decoded, plain, "{path}");
        assert!(
            encoded.len() < plain.len() / 2,
            "{path}: {} of {}",
            encoded.len(),
            plain.len()
        );
        for preferring_gzip in ["gzip;q=1, br;q=0.5", "br;q=0, gzip"] {
            let (coding, _) = get(path.clone(), preferring_gzip).await;
            assert_eq!(coding.as_deref(), Some("gzip"), "{path} with {preferring_gzip}");
        }
    }
}

/// Subscription calendars carry RFC 7986's calendar properties and, per event, the meeting's page,
/// how to join online, and what changed when; read back by the `icalendar` crate's parser.
#[tokio::test]
async fn subscription_calendars_carry_rfc_7986_properties() {
    let mut web = online("web");
    web.online.as_mut().unwrap().phone = Some("0330 088 5830".into());
    web.updated_at = web.first_seen_at + SignedDuration::from_hours(2);
    let mut hybrid = meeting("hybrid", north_of(HOME, 1.0));
    hybrid.attendance = meetingmap::domain::Attendance::Hybrid;
    hybrid.online = online("x").online;
    let mut closed = meeting("closed", north_of(HOME, 2.0));
    closed.status = meetingmap::domain::Status::TemporarilyClosed;
    let server = TestApp::start(vec![meeting("weekly", HOME), web, hybrid, closed]).await;
    let path = "/v1/meetings.ics?attendance=in_person,online,hybrid";
    let response = server.request(reqwest::Method::GET, path, &[], None).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(
        response.header("content-disposition"),
        Some("attachment; filename=\"meetings.ics\"")
    );
    let unfolded = unfold(&response.body);
    let calendar = read_calendar(&unfolded).expect("a valid calendar");
    let top = |name: &str| {
        calendar.properties.iter().find(|p| p.name == name).map(|p| {
            (
                p.val.as_str().to_string(),
                p.params
                    .iter()
                    .map(|q| format!("{}={}", q.key, q.val.as_ref().map_or("", |v| v.as_str())))
                    .collect::<Vec<_>>(),
            )
        })
    };
    assert_eq!(top("NAME").unwrap().0, "Meetings (meetingmap)");
    assert_eq!(top("X-WR-CALNAME").unwrap().0, "Meetings (meetingmap)");
    assert_eq!(
        top("REFRESH-INTERVAL").unwrap(),
        ("PT12H".to_string(), vec!["VALUE=DURATION".to_string()])
    );
    assert_eq!(top("SOURCE").unwrap().0, format!("{}{path}", server.base));
    let events: Vec<&Component> = calendar
        .components
        .iter()
        .filter(|c| c.name == "VEVENT")
        .collect();
    assert_eq!(events.len(), 4);
    let event = |id: &str| {
        *events
            .iter()
            .find(|e| prop(e, "UID").unwrap() == format!("{id}@meetingmap"))
            .unwrap()
    };
    for id in ["weekly", "web", "hybrid", "closed"] {
        let e = event(id);
        assert_eq!(prop(e, "URL").unwrap(), format!("{}/meetings/{id}", server.base));
        assert!(prop(e, "LAST-MODIFIED").unwrap().ends_with('Z'));
        assert!(prop(e, "SEQUENCE").unwrap().parse::<u32>().is_ok());
    }
    // Updated two hours after it was first seen: a later revision than one never updated since.
    assert_eq!(prop(event("web"), "SEQUENCE").unwrap(), "120");
    let conferences = |id: &str| -> Vec<(String, String)> {
        event(id)
            .properties
            .iter()
            .filter(|p| p.name == "CONFERENCE")
            .map(|p| {
                let feature = p.params.iter().find(|q| q.key == "FEATURE").unwrap();
                (
                    feature.val.as_ref().unwrap().as_str().to_string(),
                    p.val.as_str().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        conferences("web"),
        [
            (
                "AUDIO,VIDEO".to_string(),
                "https://example.invalid/room".to_string()
            ),
            ("PHONE".to_string(), "tel:03300885830".to_string())
        ]
    );
    assert_eq!(conferences("hybrid").len(), 1);
    assert!(conferences("weekly").is_empty());
    assert_eq!(prop(event("closed"), "STATUS").unwrap(), "CANCELLED");
    assert_eq!(prop(event("weekly"), "STATUS").unwrap(), "CONFIRMED");

    let response = server
        .request(reqwest::Method::GET, "/v1/meetings/web.ics", &[], None)
        .await;
    assert_eq!(
        response.header("content-disposition"),
        Some("attachment; filename=\"meeting-web.ics\"")
    );
    let unfolded = unfold(&response.body);
    let calendar = read_calendar(&unfolded).unwrap();
    assert!(calendar
        .properties
        .iter()
        .any(|p| p.name == "NAME" && p.val.as_str() == "Meeting web"));
}
