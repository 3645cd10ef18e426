//! Source definitions: one TOML file per feed in `importers/`, so adding an intergroup's feed is
//! adding a file, not code. See `importers/README.md` for the fields.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::{Fellowship, Zone};
use crate::formats::csv_feed::CsvMapping;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeedFormat {
    MeetingGuide,
    Bmlt,
    Csv,
}

impl FeedFormat {
    pub fn parse(text: &str) -> Option<FeedFormat> {
        match text {
            "meeting-guide" => Some(FeedFormat::MeetingGuide),
            "bmlt" => Some(FeedFormat::Bmlt),
            "csv" => Some(FeedFormat::Csv),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FeedFormat::MeetingGuide => "meeting-guide",
            FeedFormat::Bmlt => "bmlt",
            FeedFormat::Csv => "csv",
        }
    }
}

/// Where a feed is read from.
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    Url(String),
    File(PathBuf),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Url(url) => f.write_str(url),
            Location::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Longest source id: ids are part of every meeting id and of URLs (`/v1/sources/{id}`).
pub const MAX_ID_LEN: usize = 40;

/// Checks a source id: 1 to [`MAX_ID_LEN`] characters of `a-z`, `0-9` and `-`, the same rule for
/// definitions and `import --file --source-id`, so an id is always safe in a URL and a meeting id.
pub fn check_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "source id `{id}` must be 1-{MAX_ID_LEN} characters of a-z, 0-9 and -"
        ))
    }
}

/// The TOML form.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DefinitionFile {
    id: String,
    name: String,
    format: FeedFormat,
    fellowship: Option<String>,
    url: Option<String>,
    path: Option<PathBuf>,
    formats_url: Option<String>,
    formats_path: Option<PathBuf>,
    #[serde(default = "default_refresh_hours")]
    refresh_hours: f64,
    #[serde(default = "default_timezone")]
    timezone: String,
    country: Option<String>,
    attribution: String,
    #[serde(default)]
    enabled: bool,
    #[serde(default = "default_max_shrink")]
    max_shrink: f64,
    bounds: Option<[f64; 4]>,
    mapping: Option<PathBuf>,
    csv_preset: Option<String>,
    #[serde(default)]
    roomless: Roomless,
    notes: Option<String>,
    contact: Option<String>,
}

fn default_refresh_hours() -> f64 {
    24.0
}

fn default_timezone() -> String {
    "Europe/London".into()
}

fn default_max_shrink() -> f64 {
    0.5
}

/// What a record with no venue, address or coordinates is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Roomless {
    /// An error in the record, unless it has an online link (then it is online).
    #[default]
    Reject,
    /// An online meeting whose joining instructions are in its notes (online intergroups list
    /// e-mail groups, chat rooms and Skype meetings this way).
    Online,
}

/// A checked source definition.
#[derive(Debug, Clone)]
pub struct SourceDefinition {
    pub id: String,
    pub name: String,
    pub format: FeedFormat,
    /// Fellowship of records that do not say.
    pub fellowship: Option<Fellowship>,
    pub location: Location,
    /// BMLT `GetFormats`, to resolve format ids.
    pub formats: Option<Location>,
    pub refresh_hours: f64,
    pub timezone: Zone,
    pub country: Option<String>,
    pub attribution: String,
    pub enabled: bool,
    /// Largest share of meetings an import may lose before it is refused (without `--force`).
    pub max_shrink: f64,
    pub bounds: Option<[f64; 4]>,
    pub csv: Option<CsvMapping>,
    pub roomless: Roomless,
    pub notes: Option<String>,
    /// Where to tell the source that a listing is wrong: a web page (`https://...`) or an e-mail
    /// address. Meeting pages link it as "report a problem".
    pub contact: Option<String>,
}

impl SourceDefinition {
    /// Parses one definition; relative paths are taken from `base`.
    pub fn parse(text: &str, base: &Path) -> Result<SourceDefinition, String> {
        let file: DefinitionFile = toml::from_str(text).map_err(|e| e.to_string())?;
        check_id(&file.id)?;
        let fellowship = match &file.fellowship {
            Some(code) => {
                Some(Fellowship::parse(code).ok_or_else(|| format!("unknown fellowship `{code}`"))?)
            }
            None => None,
        };
        let location = match (file.url, file.path) {
            (Some(url), None) if url.starts_with("http://") || url.starts_with("https://") => {
                Location::Url(url)
            }
            (Some(url), None) => return Err(format!("url `{url}` must start with http:// or https://")),
            (None, Some(path)) => Location::File(base.join(path)),
            _ => return Err("give exactly one of `url` and `path`".into()),
        };
        let timezone = Zone::get(&file.timezone)
            .ok_or_else(|| format!("`{}` is not an IANA time zone", file.timezone))?;
        if !(file.max_shrink > 0.0 && file.max_shrink <= 1.0) {
            return Err("max_shrink must be more than 0 and at most 1".into());
        }
        if file.refresh_hours.is_nan() || file.refresh_hours <= 0.0 {
            return Err("refresh_hours must be positive".into());
        }
        let csv = match (file.format, file.mapping, file.csv_preset.as_deref()) {
            (FeedFormat::Csv, Some(mapping), None) => {
                let path = base.join(mapping);
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read mapping {}: {e}", path.display()))?;
                Some(CsvMapping::from_toml(&text).map_err(|e| format!("mapping {}: {e}", path.display()))?)
            }
            (FeedFormat::Csv, None, Some("tsml")) => Some(CsvMapping::tsml()),
            (FeedFormat::Csv, None, Some(other)) => {
                return Err(format!("unknown csv_preset `{other}` (known: tsml)"))
            }
            (FeedFormat::Csv, _, _) => return Err("a csv source needs `mapping` or `csv_preset`".into()),
            (_, None, None) => None,
            _ => return Err("`mapping` and `csv_preset` are for csv sources".into()),
        };
        let formats = match (file.formats_url, file.formats_path) {
            (Some(url), None) => Some(Location::Url(url)),
            (None, Some(path)) => Some(Location::File(base.join(path))),
            (None, None) => None,
            _ => return Err("give at most one of `formats_url` and `formats_path`".into()),
        };
        if let Some(contact) = &file.contact {
            let web = contact.starts_with("https://") || contact.starts_with("http://");
            let mail = !web && contact.contains('@') && !contact.contains(char::is_whitespace);
            if !(web || mail) {
                return Err(format!(
                    "contact `{contact}` must be an http(s) address or an e-mail address"
                ));
            }
        }
        if formats.is_some() && file.format != FeedFormat::Bmlt {
            return Err("`formats_url` and `formats_path` are for bmlt sources".into());
        }
        Ok(SourceDefinition {
            id: file.id,
            name: file.name,
            format: file.format,
            fellowship,
            location,
            formats,
            refresh_hours: file.refresh_hours,
            timezone,
            country: file.country,
            attribution: file.attribution,
            enabled: file.enabled,
            max_shrink: file.max_shrink,
            bounds: file.bounds,
            csv,
            roomless: file.roomless,
            notes: file.notes,
            contact: file.contact,
        })
    }

    /// One definition file; relative paths are taken from its folder.
    pub fn load(path: &Path) -> Result<SourceDefinition, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        SourceDefinition::parse(&text, path.parent().unwrap_or(Path::new(".")))
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Every `*.toml` in `dir` (not its subfolders), in file-name order. Ids must be unique.
    pub fn load_dir(dir: &Path) -> Result<Vec<SourceDefinition>, String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        let mut sources: Vec<SourceDefinition> = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let source =
                SourceDefinition::parse(&text, dir).map_err(|e| format!("{}: {e}", file.display()))?;
            if sources.iter().any(|s| s.id == source.id) {
                return Err(format!("{}: id `{}` is used twice", file.display(), source.id));
            }
            sources.push(source);
        }
        Ok(sources)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_definitions_are_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("importers");
        let sources = SourceDefinition::load_dir(&dir).unwrap();
        assert!(sources.len() >= 4);
        // Nothing is switched on until someone has confirmed the feed.
        assert!(sources.iter().all(|s| !s.enabled));
    }

    #[test]
    fn bad_definitions_say_what_is_wrong() {
        let base = Path::new(".");
        let ok = "id = \"x\"\nname = \"X\"\nformat = \"meeting-guide\"\nurl = \"https://example.org/feed.json\"\nattribution = \"X\"\n";
        assert!(SourceDefinition::parse(ok, base).is_ok());
        for (change, expect) in [
            (ok.replace("id = \"x\"", "id = \"Bad Id\""), "id `Bad Id`"),
            (ok.replace("id = \"x\"", "id = \"\""), "1-40 characters"),
            (
                ok.replace("id = \"x\"", &format!("id = \"{}\"", "a".repeat(41))),
                "1-40 characters",
            ),
            (ok.replace("id = \"x\"", "id = \"../x\""), "a-z, 0-9 and -"),
            (ok.replace("https://", "ftp://"), "must start with http"),
            (format!("{ok}path = \"f.json\"\n"), "exactly one of"),
            (format!("{ok}fellowship = \"gamblers\"\n"), "unknown fellowship"),
            (format!("{ok}timezone = \"Mars/Base\"\n"), "IANA"),
            (format!("{ok}max_shrink = 2.0\n"), "max_shrink"),
            (ok.replace("meeting-guide", "csv"), "needs `mapping`"),
            (format!("{ok}colour = \"red\"\n"), "unknown field"),
        ] {
            let err = SourceDefinition::parse(&change, base).unwrap_err();
            assert!(err.contains(expect), "{err}");
        }
    }
}
