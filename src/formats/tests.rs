//! The feed readers against what feeds really send, and against anything at all: arbitrary bytes
//! and arbitrary structured records never panic, and always give records, rejects with reasons,
//! or an error that says what is wrong (and where).

use jiff::Timestamp;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::bmlt::{self, Formats};
use super::csv_feed::{self, CsvMapping};
use super::{meeting_guide, FeedError, Parsed};
use crate::domain::{Fellowship, SourceRef, Zone};
use crate::import::clean::clean_record;
use crate::import::record::FeedContext;

fn context() -> FeedContext {
    FeedContext {
        source: SourceRef {
            id: "test".into(),
            name: "Test".into(),
            attribution: "Test".into(),
            record_id: None,
            raw: Default::default(),
        },
        fellowship: Some(Fellowship::parse("aa").unwrap()),
        timezone: Zone::get("Europe/London").unwrap(),
        country: Some("GB".into()),
        bounds: Some([49.0, -9.0, 61.0, 2.0]),
        roomless_online: false,
        now: Timestamp::UNIX_EPOCH,
    }
}

/// Every record read is cleaned and built as an import would, and every outcome is explained.
fn check(result: Result<Parsed, FeedError>) -> Result<(), TestCaseError> {
    match result {
        Err(e) => {
            let message = e.to_string();
            prop_assert!(!message.trim().is_empty());
            prop_assert!(!message.contains("Some("), "{}", message);
        }
        Ok(parsed) => {
            for reject in &parsed.rejects {
                prop_assert!(!reject.reason.trim().is_empty());
            }
            let ctx = context();
            for (label, mut raw) in parsed.records {
                prop_assert!(!label.is_empty());
                clean_record(&mut raw);
                match raw.build(&ctx) {
                    Ok(meeting) => {
                        prop_assert!(!meeting.name.is_empty());
                        if let Some(url) = meeting.online.as_ref().and_then(|o| o.url.as_ref()) {
                            prop_assert!(url.starts_with("http://") || url.starts_with("https://"));
                        }
                    }
                    Err(reason) => {
                        prop_assert!(!reason.trim().is_empty());
                        prop_assert!(!reason.contains("Some("), "{}", reason);
                    }
                }
            }
        }
    }
    Ok(())
}

/// A JSON value of the kinds feeds put in fields.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        (0u8..8).prop_map(|n| json!(n)),
        any::<String>().prop_map(Value::String),
        "[0-9]{1,2}:[0-9]{2}( ?[AaPp][Mm])?".prop_map(Value::String),
        "-?[0-9]{1,3}\\.[0-9]{1,6}(,-?[0-9]{1,3}\\.[0-9]{1,6})?".prop_map(Value::String),
        "[A-Z]{1,4}".prop_map(Value::String),
        Just(json!("javascript:alert(1)")),
        Just(json!("<a href=\"https://zoom.us/j/1\">Zoom</a> &Amp; 11Th")),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z$]{1,6}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A record with fields a feed's format knows, set to any value.
fn record(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    proptest::collection::vec((proptest::sample::select(keys), json_value()), 0..12).prop_map(|fields| {
        let mut record = Map::new();
        for (key, value) in fields {
            record.insert(key.to_string(), value);
        }
        Value::Object(record)
    })
}

const MEETING_GUIDE_KEYS: &[&str] = &[
    "slug",
    "name",
    "group",
    "day",
    "time",
    "end_time",
    "duration",
    "timezone",
    "types",
    "languages",
    "notes",
    "location",
    "location_notes",
    "address",
    "formatted_address",
    "city",
    "state",
    "postal_code",
    "country",
    "coordinates",
    "latitude",
    "longitude",
    "approximate",
    "conference_url",
    "conference_phone",
    "conference_url_notes",
    "attendance_option",
    "updated",
    "updatedAt",
    "archived",
];

const BMLT_KEYS: &[&str] = &[
    "id_bigint",
    "weekday_tinyint",
    "start_time",
    "duration_time",
    "time_zone",
    "meeting_name",
    "location_text",
    "location_street",
    "location_municipality",
    "location_postal_code_1",
    "location_nation",
    "latitude",
    "longitude",
    "location_info",
    "comments",
    "virtual_meeting_link",
    "phone_meeting_number",
    "virtual_meeting_additional_info",
    "venue_type",
    "format_shared_id_list",
    "formats",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn meeting_guide_reads_any_bytes(body in proptest::collection::vec(any::<u8>(), 0..300)) {
        check(meeting_guide::parse(&body, None))?;
    }

    #[test]
    fn meeting_guide_reads_any_records(
        records in proptest::collection::vec(record(MEETING_GUIDE_KEYS), 0..6),
        envelope in any::<bool>(),
    ) {
        let value = if envelope { json!({"meetings": records}) } else { Value::Array(records) };
        check(meeting_guide::parse(value.to_string().as_bytes(), Some(Fellowship::parse("aa").unwrap())))?;
    }

    #[test]
    fn bmlt_reads_any_bytes(body in proptest::collection::vec(any::<u8>(), 0..300)) {
        check(bmlt::parse(&body, &Formats::seeded(), None))?;
        if let Err(e) = Formats::parse(&body) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn bmlt_reads_any_records(records in proptest::collection::vec(record(BMLT_KEYS), 0..6)) {
        let body = Value::Array(records).to_string();
        check(bmlt::parse(body.as_bytes(), &Formats::seeded(), Some(Fellowship::parse("na").unwrap())))?;
    }

    #[test]
    fn csv_reads_any_bytes(body in proptest::collection::vec(any::<u8>(), 0..300)) {
        check(csv_feed::parse(&body, &CsvMapping::tsml(), None))?;
    }

    #[test]
    fn csv_reads_any_rows(
        rows in proptest::collection::vec(
            proptest::collection::vec(
                prop_oneof![
                    any::<String>(),
                    "[0-9]{1,2}:[0-9]{2}",
                    Just("Monday".to_string()),
                    Just("\"".to_string()),
                    Just("a,\"b\"\"c\"".to_string()),
                    Just("<b>Hall</b> &Amp; St Martin’S".to_string()),
                ],
                0..19,
            ),
            0..6,
        ),
        written in any::<bool>(),
    ) {
        let header = "Slug,Name,Group,Day,Time,End Time,Timezone,Types,Notes,Location Notes,Location,Address,City,Postal Code,Country,Conference URL,Conference Phone,Conference URL Notes";
        let body = if written {
            // As a spreadsheet program writes it: quoted where needed.
            let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
            writer.write_record(header.split(',')).unwrap();
            for row in &rows {
                writer.write_record(row).unwrap();
            }
            writer.into_inner().unwrap()
        } else {
            // As a careless script writes it: joined with commas, quotes and all.
            let mut body = format!("{header}\n");
            for row in &rows {
                body += &row.join(",");
                body.push('\n');
            }
            body.into_bytes()
        };
        check(csv_feed::parse(&body, &CsvMapping::tsml(), Some(Fellowship::parse("aa").unwrap())))?;
    }
}

fn aa() -> Option<Fellowship> {
    Fellowship::parse("aa")
}

#[test]
fn a_byte_order_mark_is_accepted_in_json_and_csv() {
    let feed = "\u{feff}[{\"slug\": \"a\", \"name\": \"Hall group\", \"day\": 1, \"time\": \"19:30\", \"location\": \"Hall\", \"address\": \"1 High St\"}]";
    let parsed = meeting_guide::parse(feed.as_bytes(), aa()).unwrap();
    assert_eq!(parsed.records.len(), 1);
    let parsed = bmlt::parse("\u{feff}[]".as_bytes(), &Formats::seeded(), aa()).unwrap();
    assert!(parsed.records.is_empty());
    let sheet = "\u{feff}Slug,Name,Day,Time,Location\ns1,Hall group,Monday,19:30,Hall\n";
    let parsed = csv_feed::parse(sheet.as_bytes(), &CsvMapping::tsml(), aa()).unwrap();
    assert_eq!(parsed.records[0].0, "row 2 (id s1)");
    assert_eq!(parsed.records[0].1.record_id.as_deref(), Some("s1"));
}

#[test]
fn json_errors_say_where_by_line_and_record() {
    // A lone surrogate in the third record of a one-line feed.
    let feed =
        r#"[{"slug": "a"}, {"slug": "b", "notes": "[x, y]"}, {"slug": "c", "name": "bad \ud800 name"}]"#;
    let err = meeting_guide::parse(feed.as_bytes(), aa())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("a lone UTF-16 surrogate `\\ud800` (half of a character, not text) at line 1 column 78 (in record 3)"),
        "{err}"
    );
    // Pretty-printed, in an envelope: the line is meaningful too.
    let feed = "{\"meetings\": [\n {\"slug\": \"a\"},\n {\"slug\": \"b\", \"name\": \"\\udc00\"}\n]}";
    let err = meeting_guide::parse(feed.as_bytes(), aa())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`\\udc00`") && err.contains("line 3 column 25 (in record 2)"),
        "{err}"
    );
    // Other syntax errors say where too, and a surrogate after the error is not blamed.
    let feed = "[{\"slug\": \"a\"},\n {\"slug\": \"b\",, \"name\": \"\\ud800\"}]";
    let err = meeting_guide::parse(feed.as_bytes(), aa())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 2 column") && err.contains("(in record 2)") && !err.contains("surrogate"),
        "{err}"
    );
    let err = bmlt::parse(
        b"[{\"id_bigint\": \"1\"}, {\"id_bigint\": \"\\ud83d\"}]",
        &Formats::seeded(),
        aa(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("(in record 2)"), "{err}");
}

#[test]
fn an_unterminated_csv_quote_is_an_error_naming_its_line() {
    let sheet = "Slug,Name,Day,Time,Location,Notes\n\
                 s1,One,Monday,19:30,Hall,\"fine, \"\"quoted\"\"\"\n\
                 s2,Two,Monday,19:30,Hall,\"multi\nline\"\n\
                 s3,Three,Monday,19:30,Hall,5\" tall\n\
                 s4,Four,Monday,19:30,Hall,\"never closed\n\
                 s5,Five,Monday,19:30,Hall,\n";
    let err = csv_feed::parse(sheet.as_bytes(), &CsvMapping::tsml(), aa())
        .expect_err("an unterminated quote is an error")
        .to_string();
    assert!(err.contains("opened on line 6 never closes"), "{err}");
    // Without the bad row, the same sheet reads, multi-line field and literal quote included.
    let good = sheet.replace("\"never closed", "closed");
    let parsed = csv_feed::parse(good.as_bytes(), &CsvMapping::tsml(), aa()).unwrap();
    assert_eq!(parsed.records.len(), 5);
}

#[test]
fn invalid_coordinates_are_reported_as_numbers() {
    let invalid = crate::domain::InvalidMeeting::BadCoordinates {
        lat: Some(91.5),
        lon: None,
    };
    assert_eq!(
        invalid.to_string(),
        "coordinates (91.5, none) are not a point on Earth"
    );
}

/// The Meeting Guide reader takes each record as it comes (no tree of the whole feed): the feed's
/// shapes read as they did when it was parsed whole first.
#[test]
fn meeting_guide_feed_shapes() {
    let aa = Some(Fellowship::parse("aa").unwrap());
    let record = json!({"slug": "a", "name": "A", "day": 1, "time": "19:00", "latitude": 51.5, "longitude": -0.1, "address": "1 High St", "city": "London"});
    let shape_error = |body: &str| match meeting_guide::parse(body.as_bytes(), aa) {
        Err(FeedError::Shape(message)) => message,
        other => panic!("{body}: {other:?}"),
    };
    for body in [
        "3",
        "\"x\"",
        "null",
        "true",
        "{}",
        r#"{"data": []}"#,
        r#"{"meetings": {"a": 1}}"#,
        r#"{"meetings": 2}"#,
    ] {
        assert_eq!(shape_error(body), "expected an array of meetings");
    }
    // Other keys of an envelope are skipped, whatever they hold; a repeated `meetings`, the last.
    let body = json!({"version": {"x": [1, 2]}, "meetings": [record.clone(), 7]}).to_string();
    let parsed = meeting_guide::parse(body.as_bytes(), aa).unwrap();
    assert_eq!((parsed.records.len(), parsed.rejects.len()), (1, 1));
    assert_eq!(parsed.rejects[0].record, "record 2");
    let body = format!(r#"{{"meetings": [7, 8], "meetings": [{record}]}}"#);
    let parsed = meeting_guide::parse(body.as_bytes(), aa).unwrap();
    assert_eq!((parsed.records.len(), parsed.rejects.len()), (1, 0));
    assert_eq!(parsed.records[0].0, "slug a");
    // Trailing bytes after the feed are a syntax error, as before.
    let body = format!("[{record}] x");
    assert!(matches!(
        meeting_guide::parse(body.as_bytes(), aa),
        Err(FeedError::Malformed { .. })
    ));
}
