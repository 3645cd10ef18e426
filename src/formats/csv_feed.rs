//! Spreadsheets (CSV) with a declared column mapping.
//!
//! A mapping (TOML, see `importers/README.md`) names the column for each meetingmap field, the
//! `True`/`False` columns that stand for a type, and how to translate a column's values
//! (fellowship names, countries, time zones by country). Headers match ignoring case, spaces and
//! punctuation, so TSML's `Conference URL` and its slug `conference_url` are the same column. The
//! TSML import template is the built-in preset [`CsvMapping::tsml`].

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::vocabulary::{self, Code};
use super::{FeedError, Parsed};
use crate::domain::{Day, Fellowship, MeetingType};
use crate::import::record::{normalise_postcode, parse_duration, parse_time, text, RawMeeting};

/// Which column holds each field. Every entry is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub id: Option<String>,
    pub name: Option<String>,
    pub group: Option<String>,
    pub day: Option<String>,
    pub time: Option<String>,
    pub end_time: Option<String>,
    pub duration: Option<String>,
    pub timezone: Option<String>,
    pub types: Option<String>,
    pub notes: Option<String>,
    pub location_notes: Option<String>,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub town: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
    pub lat: Option<String>,
    pub lon: Option<String>,
    pub conference_url: Option<String>,
    pub conference_phone: Option<String>,
    pub online_notes: Option<String>,
    pub fellowship: Option<String>,
    /// Free text saying who may attend (`Open to all`, `Closed`, `Open to addicts only`).
    pub access: Option<String>,
}

/// How a CSV feed's columns and values map onto meetings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvMapping {
    #[serde(default)]
    pub columns: Columns,
    /// `True`/`False` columns and the type (or `open`, `closed`, `online`) a true value means.
    #[serde(default)]
    pub flags: BTreeMap<String, String>,
    /// Values of the fellowship column → fellowship codes.
    #[serde(default)]
    pub fellowship_values: BTreeMap<String, String>,
    /// Values of the country column → ISO 3166 codes.
    #[serde(default)]
    pub country_values: BTreeMap<String, String>,
    /// ISO country code → IANA zone, for rows with no time zone column.
    #[serde(default)]
    pub timezone_by_country: BTreeMap<String, String>,
    /// Extra type names or codes used in the types column → meetingmap types (or `open`,
    /// `closed`, `online`, `hybrid`, `ignore`).
    #[serde(default)]
    pub type_names: BTreeMap<String, String>,
    /// Separator inside the types column.
    #[serde(default = "comma")]
    pub types_separator: String,
    /// Built-in presets tolerate missing columns.
    #[serde(skip)]
    preset: bool,
}

fn comma() -> String {
    ",".into()
}

impl CsvMapping {
    /// The TSML import template (`template.csv`).
    pub fn tsml() -> CsvMapping {
        let c = |s: &str| Some(s.to_string());
        CsvMapping {
            columns: Columns {
                id: c("Slug"),
                name: c("Name"),
                group: c("Group"),
                day: c("Day"),
                time: c("Time"),
                end_time: c("End Time"),
                timezone: c("Timezone"),
                types: c("Types"),
                notes: c("Notes"),
                location_notes: c("Location Notes"),
                venue: c("Location"),
                address: c("Address"),
                town: c("City"),
                postcode: c("Postal Code"),
                country: c("Country"),
                conference_url: c("Conference URL"),
                conference_phone: c("Conference Phone"),
                online_notes: c("Conference URL Notes"),
                ..Columns::default()
            },
            types_separator: comma(),
            preset: true,
            ..CsvMapping::default()
        }
    }

    pub fn from_toml(text: &str) -> Result<CsvMapping, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}

/// `Conference URL`, `conference_url` and `CONFERENCE-URL` are the same header.
fn header_key(header: &str) -> String {
    header
        .trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn truthy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "true" | "yes" | "y" | "1" | "x"
    )
}

fn special(value: &str) -> Option<Code> {
    Some(match value {
        "open" => Code::Access(crate::domain::Access::Open),
        "closed" => Code::Access(crate::domain::Access::Closed),
        "online" => Code::Online,
        "hybrid" => Code::Hybrid,
        "ignore" => Code::Ignore,
        code => Code::Types(vec![MeetingType::parse(code)?]),
    })
}

/// Checks a mapping's translations before any row is read.
fn check(mapping: &CsvMapping) -> Result<(), FeedError> {
    let targets = mapping.flags.values().chain(mapping.type_names.values());
    if let Some(bad) = targets.into_iter().find(|v| special(v).is_none()) {
        return Err(FeedError::Mapping(format!(
            "`{bad}` is not a meetingmap type (see /v1/types)"
        )));
    }
    if let Some(bad) = mapping
        .fellowship_values
        .values()
        .find(|v| Fellowship::parse(v).is_none())
    {
        return Err(FeedError::Mapping(format!("`{bad}` is not a fellowship code")));
    }
    Ok(())
}

/// The line on which a quoted field opens that never closes, read as the `csv` crate reads: a
/// quote opens a field only at its start, `""` inside one is a quote. The crate itself takes
/// everything after such a quote, to the end of the file, as one field, so the rows after it
/// would silently vanish.
fn unterminated_quote(body: &[u8]) -> Option<usize> {
    #[derive(PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let (mut state, mut line, mut opened) = (State::FieldStart, 1, 0);
    for &b in body {
        state = match (state, b) {
            (State::FieldStart, b'"') => {
                opened = line;
                State::Quoted
            }
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') => State::Quoted,
            (_, b',' | b'\n' | b'\r') => State::FieldStart,
            _ => State::Unquoted,
        };
        if b == b'\n' {
            line += 1;
        }
    }
    (state == State::Quoted).then_some(opened)
}

pub fn parse(body: &[u8], mapping: &CsvMapping, fellowship: Option<Fellowship>) -> Result<Parsed, FeedError> {
    check(mapping)?;
    let body = super::without_bom(body);
    if let Some(line) = unterminated_quote(body) {
        return Err(FeedError::Malformed {
            what: "CSV",
            reason: format!(
                "the quoted field opened on line {line} never closes (a missing `\"`), so every row after it would be lost"
            ),
        });
    }
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| FeedError::malformed("CSV", e))?
        .clone();
    let index: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (header_key(h), i))
        .collect();
    let column = |name: &Option<String>| -> Result<Option<usize>, FeedError> {
        match name {
            None => Ok(None),
            Some(n) => index
                .get(&header_key(n))
                .copied()
                .map(Some)
                .ok_or_else(|| FeedError::Shape(format!("the CSV has no `{n}` column"))),
        }
    };
    let c = &mapping.columns;
    let cols = [
        &c.id,
        &c.name,
        &c.group,
        &c.day,
        &c.time,
        &c.end_time,
        &c.duration,
        &c.timezone,
        &c.types,
        &c.notes,
        &c.location_notes,
        &c.venue,
        &c.address,
        &c.town,
        &c.postcode,
        &c.country,
        &c.lat,
        &c.lon,
        &c.conference_url,
        &c.conference_phone,
        &c.online_notes,
        &c.fellowship,
        &c.access,
    ];
    // A preset's columns are what such sheets may have; a mapping someone wrote names columns
    // that must be there, or a typo would silently drop a field.
    let mut found = Vec::with_capacity(cols.len());
    for col in cols {
        found.push(match column(col) {
            Ok(i) => i,
            Err(_) if mapping.preset => None,
            Err(e) => return Err(e),
        });
    }
    let [id, name, group, day, time, end_time, duration, timezone, types, notes, location_notes, venue, address, town, postcode, country, lat, lon, url, phone, online_notes, fellowship_col, access]: [Option<usize>; 23] =
        found.try_into().expect("one entry per column");
    let flags: Vec<(usize, Code)> = mapping
        .flags
        .iter()
        .map(|(col, meaning)| {
            Ok((
                column(&Some(col.clone()))?.expect("named"),
                special(meaning).expect("checked"),
            ))
        })
        .collect::<Result<_, FeedError>>()?;
    let type_names: HashMap<String, Code> = mapping
        .type_names
        .iter()
        .map(|(name, meaning)| {
            (
                crate::search::fold_text(name.trim()),
                special(meaning).expect("checked"),
            )
        })
        .collect();

    let mut parsed = Parsed::default();
    for (row_number, row) in reader.records().enumerate() {
        // Row 1 is the header.
        let label = format!("row {}", row_number + 2);
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                parsed.reject(label, format!("is not valid CSV: {e}"));
                continue;
            }
        };
        let get = |i: Option<usize>| i.and_then(|i| row.get(i)).and_then(text);
        let label = get(id).map_or(label.clone(), |id| format!("{label} (id {id})"));
        let mut raw = RawMeeting {
            record_id: get(id),
            name: get(name),
            group_name: get(group),
            notes: get(notes),
            location_notes: get(location_notes),
            venue: get(venue),
            address_lines: get(address)
                .map(|a| a.split(',').filter_map(text).collect())
                .unwrap_or_default(),
            town: get(town),
            lat: get(lat)
                .and_then(|v| v.parse().ok())
                .filter(|v: &f64| v.is_finite()),
            lon: get(lon)
                .and_then(|v| v.parse().ok())
                .filter(|v: &f64| v.is_finite()),
            ..RawMeeting::default()
        };
        raw.fellowship = match get(fellowship_col) {
            None => fellowship,
            Some(value) => {
                let mapped = mapping
                    .fellowship_values
                    .get(&value)
                    .map(String::as_str)
                    .unwrap_or(&value);
                match Fellowship::parse(mapped) {
                    Some(f) => Some(f),
                    None => {
                        parsed.reject(label, format!("fellowship `{value}` is not known"));
                        continue;
                    }
                }
            }
        };
        raw.country = get(country).map(|v| mapping.country_values.get(&v).cloned().unwrap_or(v));
        raw.postcode = get(postcode).and_then(|p| normalise_postcode(&p, raw.country.as_deref()));
        raw.timezone = get(timezone).or_else(|| {
            raw.country
                .as_ref()
                .and_then(|c| mapping.timezone_by_country.get(c).cloned())
        });
        if let Some(value) = get(day) {
            match value
                .parse::<u8>()
                .ok()
                .and_then(Day::from_index)
                .or_else(|| Day::parse(&value))
            {
                Some(d) => raw.day = Some(d),
                None => {
                    parsed.reject(label, format!("day `{value}` is not a weekday"));
                    continue;
                }
            }
        }
        if let Some(value) = get(time) {
            match parse_time(&value) {
                Some(t) => raw.start = Some(t),
                None => {
                    parsed.reject(label, format!("time `{value}` is not a time of day"));
                    continue;
                }
            }
        }
        raw.end = get(end_time).and_then(|t| parse_time(&t));
        raw.duration_minutes = get(duration).and_then(|d| parse_duration(&d));
        raw.online.url = get(url);
        raw.online.phone = get(phone);
        raw.online.notes = get(online_notes);
        if let Some(text) = get(access) {
            let lower = text.to_lowercase();
            if lower.contains("closed") || lower.contains("only") {
                raw.apply(&text, Code::Access(crate::domain::Access::Closed));
            } else if lower.contains("open") {
                raw.apply(&text, Code::Access(crate::domain::Access::Open));
            }
        }
        for (col, meaning) in &flags {
            if row.get(*col).is_some_and(truthy) {
                raw.apply(&headers[*col], meaning.clone());
            }
        }
        if let Some(list) = get(types) {
            let f = raw.fellowship;
            for name in list.split(mapping.types_separator.as_str()).filter_map(text) {
                let meaning = match type_names.get(&crate::search::fold_text(&name)) {
                    Some(meaning) => meaning.clone(),
                    None => f.map_or(Code::Unknown, |f| vocabulary::by_name(f, &name)),
                };
                raw.apply(&name, meaning);
            }
        }
        parsed.accept(label, raw);
    }
    Ok(parsed)
}
