//! The languages people read meetingmap's pages in, and every string those pages say.
//!
//! One catalogue per language, `locales/<code>.json`, compiled into the binary and parsed once:
//! adding a language is adding a file and a [`Lang`] row, never touching a page. A catalogue is a
//! JSON object of sections (`"pages"` for the server's pages, `"finder"` for the embeddable
//! finder); nested keys are read with dots (`pages.meeting.where`). A key a catalogue lacks is
//! taken from English, so a half-translated catalogue still gives whole pages. Top-level keys
//! starting with `_` are comments.
//!
//! Dates are written per language too: Welsh day and month names are in the catalogue like any
//! other string, and [`Lang::date`] puts them in the order the language writes them.

use std::collections::HashMap;
use std::sync::OnceLock;

use jiff::civil::Date;

use crate::domain::Day;

/// A language meetingmap's pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    /// Welsh (Cymraeg): Welsh public bodies must offer it.
    Cy,
}

const SOURCES: [(Lang, &str); 2] = [
    (Lang::En, include_str!("../locales/en.json")),
    (Lang::Cy, include_str!("../locales/cy.json")),
];

type Catalogue = HashMap<String, String>;

fn catalogues() -> &'static [Catalogue; 2] {
    static CATALOGUES: OnceLock<[Catalogue; 2]> = OnceLock::new();
    CATALOGUES.get_or_init(|| SOURCES.map(|(lang, text)| parse(lang, text)))
}

/// Flattens a catalogue into dotted keys. The files are part of the source, and a test parses
/// them, so a malformed one cannot ship.
fn parse(lang: Lang, text: &str) -> Catalogue {
    let value: serde_json::Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("locales/{}.json is not valid JSON: {e}", lang.code()));
    let mut out = Catalogue::new();
    fn walk(prefix: &str, value: &serde_json::Value, out: &mut Catalogue) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    if prefix.is_empty() && key.starts_with('_') {
                        continue;
                    }
                    let key = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(&key, value, out);
                }
            }
            serde_json::Value::String(text) => {
                out.insert(prefix.to_string(), text.clone());
            }
            other => {
                out.insert(prefix.to_string(), other.to_string());
            }
        }
    }
    walk("", &value, &mut out);
    out
}

/// A key no catalogue has, shown as itself (a bug the completeness tests are there to catch).
/// Each missing key is kept once, so a page asked for often cannot grow memory.
fn missing(key: &str) -> &'static str {
    static MISSING: OnceLock<std::sync::Mutex<HashMap<String, &'static str>>> = OnceLock::new();
    let mut missing = MISSING
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(text) = missing.get(key) {
        return text;
    }
    tracing::warn!(key, "no string in any catalogue");
    let text: &'static str = Box::leak(key.to_string().into_boxed_str());
    missing.insert(key.to_string(), text);
    text
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Cy];

    /// The BCP 47 code, as `lang=` and `<html lang>` write it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Cy => "cy",
        }
    }

    /// The language's name in itself, for a link to switch to it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Cy => "Cymraeg",
        }
    }

    /// `en`, `cy`, and regional forms (`cy-GB`, `en_GB`), any case.
    pub fn parse(text: &str) -> Option<Lang> {
        let primary = text.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The language of a page: `lang=` when it names one we have, else the first language of
    /// `Accept-Language` (by preference) that we have, else English.
    pub fn choose(param: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = param.and_then(Lang::parse) {
            return lang;
        }
        let Some(accept) = accept_language else {
            return Lang::En;
        };
        let mut ranges: Vec<(f32, usize, &str)> = accept
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .filter_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse().ok()))
                    .next()
                    .unwrap_or(1.0f32);
                (q > 0.0 && !tag.is_empty()).then_some((q, i, tag))
            })
            .collect();
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranges
            .into_iter()
            .find_map(|(_, _, tag)| Lang::parse(tag))
            .unwrap_or(Lang::En)
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The string at `key` in this language, else in English, else the key itself (which a test
    /// keeps from happening: every key a page uses is in `en.json`).
    pub fn text(self, key: &str) -> &'static str {
        let all = catalogues();
        all[self.index()]
            .get(key)
            .or_else(|| all[Lang::En.index()].get(key))
            .map_or_else(|| missing(key), String::as_str)
    }

    /// The string at `key`, if this language or English has it.
    pub fn lookup(self, key: &str) -> Option<&'static str> {
        let all = catalogues();
        all[self.index()]
            .get(key)
            .or_else(|| all[Lang::En.index()].get(key))
            .map(String::as_str)
    }

    /// [`Lang::text`] with `{name}` placeholders filled in (values are inserted as given: escape
    /// them first for HTML).
    pub fn fill(self, key: &str, values: &[(&str, &str)]) -> String {
        let mut text = self.text(key).to_string();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// "Monday", "Dydd Llun".
    pub fn day(self, day: Day) -> &'static str {
        self.text(&format!("pages.days.{}", day.as_str()))
    }

    /// "every Monday", "bob dydd Llun".
    pub fn every_day(self, day: Day) -> &'static str {
        self.text(&format!("pages.every_day.{}", day.as_str()))
    }

    /// "December", "Rhagfyr".
    pub fn month(self, month: i8) -> &'static str {
        self.text(&format!("pages.months.{month}"))
    }

    /// "Monday 7 December 2026", "Dydd Llun 7 Rhagfyr 2026".
    pub fn date(self, date: Date) -> String {
        self.fill(
            "pages.date",
            &[
                ("weekday", self.day(Day::of(date.weekday()))),
                ("day", &date.day().to_string()),
                ("month", self.month(date.month())),
                ("year", &date.year().to_string()),
            ],
        )
    }

    /// "7 December 2026", "7 Rhagfyr 2026".
    pub fn short_date(self, date: Date) -> String {
        self.fill(
            "pages.short_date",
            &[
                ("day", &date.day().to_string()),
                ("month", self.month(date.month())),
                ("year", &date.year().to_string()),
            ],
        )
    }

    /// Every key of the catalogue, for the completeness test.
    pub fn keys(self) -> impl Iterator<Item = &'static str> {
        catalogues()[self.index()].keys().map(String::as_str)
    }

    /// Whether this language's own catalogue has `key` (without falling back to English).
    pub fn has(self, key: &str) -> bool {
        catalogues()[self.index()].contains_key(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_english_key_is_in_welsh() {
        let missing: Vec<&str> = Lang::En.keys().filter(|k| !Lang::Cy.has(k)).collect();
        assert!(missing.is_empty(), "cy.json lacks {missing:?}");
        // And no Welsh key that English lacks (a misspelt key would never be read).
        let extra: Vec<&str> = Lang::Cy.keys().filter(|k| !Lang::En.has(k)).collect();
        assert!(extra.is_empty(), "cy.json has keys en.json lacks: {extra:?}");
    }

    #[test]
    fn placeholders_match_between_languages() {
        let names = |text: &str| {
            let mut names: Vec<String> = text
                .split('{')
                .skip(1)
                .filter_map(|s| s.split_once('}').map(|(n, _)| n.to_string()))
                .collect();
            names.sort();
            names
        };
        for key in Lang::En.keys() {
            assert_eq!(
                names(Lang::En.text(key)),
                names(Lang::Cy.text(key)),
                "placeholders of {key}"
            );
        }
    }

    #[test]
    fn languages_are_chosen_by_parameter_then_browser() {
        assert_eq!(Lang::choose(Some("cy"), Some("en-GB")), Lang::Cy);
        assert_eq!(Lang::choose(Some("EN"), Some("cy")), Lang::En);
        assert_eq!(Lang::choose(Some("fr"), Some("cy-GB,en;q=0.8")), Lang::Cy);
        assert_eq!(Lang::choose(None, Some("en-GB,cy;q=0.9")), Lang::En);
        assert_eq!(Lang::choose(None, Some("en;q=0.5, cy")), Lang::Cy);
        assert_eq!(Lang::choose(None, Some("fr-FR,de;q=0.9")), Lang::En);
        assert_eq!(Lang::choose(None, Some("cy;q=0")), Lang::En);
        assert_eq!(Lang::choose(None, None), Lang::En);
        assert_eq!(Lang::choose(Some(""), Some(",;,")), Lang::En);
    }

    #[test]
    fn dates_are_written_in_each_language() {
        let date: Date = "2026-12-07".parse().unwrap();
        assert_eq!(Lang::En.date(date), "Monday 7 December 2026");
        assert_eq!(Lang::Cy.date(date), "Dydd Llun 7 Rhagfyr 2026");
        let date: Date = "2027-06-03".parse().unwrap();
        assert_eq!(Lang::Cy.date(date), "Dydd Iau 3 Mehefin 2027");
        assert_eq!(Lang::Cy.short_date(date), "3 Mehefin 2027");
        for day in Day::ALL {
            assert!(Lang::Cy.day(day).starts_with("Dydd "), "{day:?}");
        }
    }

    #[test]
    fn missing_keys_fall_back_to_english_then_the_key() {
        assert_eq!(Lang::Cy.text("no.such.key"), "no.such.key");
        assert_eq!(Lang::Cy.lookup("no.such.key"), None);
        assert_eq!(
            Lang::Cy.fill(
                "pages.date",
                &[("weekday", "W"), ("day", "1"), ("month", "M"), ("year", "Y")]
            ),
            "W 1 M Y"
        );
    }
}
