//! The coverage question: what the API's parameters and the command line's flags both read into
//! ([`QuestionSpec`], typed but not yet checked), and the checked [`CoverageQuestion`].
//!
//! The rules that relate the parts (a threshold is a distance or minutes by a mode, not both; an
//! area must exist at the level; points are bundled or supplied) live here once. Errors name the
//! part by its parameter name (`max_km`), with a reason a person can act on; the HTTP layer makes
//! them a 400 problem, the command line `--max-km must be ...` messages.

use std::sync::OnceLock;

use crate::domain::{Access, Attendance, Day, Fellowship, LocalTime, MeetingType};
use crate::search::Filter;
use crate::travel::Mode;

use super::{Analysis, AreaLookup, Demand, DemandPoint, Level, Threshold};

/// Largest `max_km` (and the furthest `max_minutes` may reach), and largest `max_minutes`.
///
/// The cost of an analysis grows with the meetings within reach of each point: all GB at 100,000
/// meetings takes 0.8 s at 5 km, 2.5 s at 15 km, 3.6 s at 20 km and ~44 s at 100 km (see
/// docs/benchmarks.md). 15 km keeps the worst question allowed about three times the usual one.
pub const MAX_KM: f64 = 15.0;
/// Largest reach for a question about one district or county (not a nation): its few hundred
/// points cost less at 40 km than all GB's 42,648 at 15 km, and "30 minutes by car" in rural
/// Wales needs it.
pub const MAX_AREA_KM: f64 = 40.0;
pub const MAX_MINUTES: f64 = 240.0;
/// Gaps listed when no limit is given, and the most that may be asked for.
pub const DEFAULT_GAPS: usize = 100;
pub const MAX_GAPS: usize = 10_000;
/// Most demand points supplied to one question: the analysis takes about 60 ms per 1,000 points
/// and fellowship.
pub const MAX_POINTS: usize = 20_000;

/// The area lookup every question and answer uses, built once.
pub(crate) fn lookup() -> &'static AreaLookup {
    static LOOKUP: OnceLock<AreaLookup> = OnceLock::new();
    LOOKUP.get_or_init(AreaLookup::bundled)
}

/// The bundled demand points, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundledPoints {
    /// GB small areas weighted by residents (the default).
    SmallAreas,
    /// GB postcode sectors weighted by live postcodes.
    Sectors,
    /// GB places weighted by population.
    Places,
}

impl BundledPoints {
    pub const ALL: [BundledPoints; 3] = [
        BundledPoints::SmallAreas,
        BundledPoints::Sectors,
        BundledPoints::Places,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BundledPoints::SmallAreas => "small_areas",
            BundledPoints::Sectors => "sectors",
            BundledPoints::Places => "places",
        }
    }

    pub fn parse(text: &str) -> Option<BundledPoints> {
        BundledPoints::ALL.into_iter().find(|p| p.as_str() == text.trim())
    }
}

/// A coverage question as given, each part typed; [`check`](QuestionSpec::check) relates them.
/// `None` and empty lists mean "not given".
#[derive(Debug, Clone, Default)]
pub struct QuestionSpec {
    /// Fellowships asked about, in order (repeats dropped); `None` is every fellowship the
    /// directory lists meetings of.
    pub fellowships: Option<Vec<Fellowship>>,
    pub access: Option<Access>,
    pub attendance: Vec<Attendance>,
    pub days: Vec<Day>,
    pub start_after: Option<LocalTime>,
    pub start_before: Option<LocalTime>,
    pub types: Vec<MeetingType>,
    /// Within reach: this great-circle distance (0 < km <= [`MAX_KM`]).
    pub max_km: Option<f64>,
    /// Within reach: this many estimated minutes by `mode` (0 < minutes <= [`MAX_MINUTES`]).
    pub max_minutes: Option<f64>,
    pub mode: Option<Mode>,
    /// Areas to add up by; `None` is local authority districts.
    pub level: Option<Level>,
    /// Only this area: its code or name (at `level` when given, else at any level).
    pub area: Option<String>,
    /// Bundled points named; `None` is small areas unless points are supplied.
    pub points: Option<BundledPoints>,
    /// Points supplied instead of the bundled ones.
    pub supplied: Option<Vec<DemandPoint>>,
    /// Gaps listed (1..=[`MAX_GAPS`]); `None` is [`DEFAULT_GAPS`].
    pub limit: Option<usize>,
    /// The report shows the change since this date (from the summaries stored at each import).
    pub since: Option<jiff::civil::Date>,
}

/// What is wrong with a question: each part by its parameter name, with the reason.
#[derive(Debug, Clone, PartialEq, Default, thiserror::Error)]
#[error("{}", .0.iter().map(|(name, reason)| format!("{name} {reason}")).collect::<Vec<_>>().join("; "))]
pub struct QuestionError(pub Vec<(String, String)>);

impl QuestionError {
    fn push(&mut self, name: &str, reason: impl Into<String>) {
        self.0.push((name.to_string(), reason.into()));
    }
}

/// The area a question is about.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaChoice {
    pub code: String,
    pub name: String,
    /// The level the area is at (not necessarily the level added up by).
    pub level: Level,
}

/// A source's feed, as the completeness panel states it.
#[derive(Debug, Clone, PartialEq)]
pub struct Feed {
    pub id: String,
    pub name: String,
    /// The feed's own date, when it states one.
    pub feed_date: Option<jiff::civil::Date>,
    /// When it was last imported successfully.
    pub imported: Option<jiff::Timestamp>,
}

/// A checked coverage question.
#[derive(Debug)]
pub struct CoverageQuestion {
    pub analysis: Analysis,
    pub level: Level,
    pub area: Option<AreaChoice>,
    /// Whether the fellowships were named; when not, the analysis keeps those the directory lists.
    pub fellowships_named: bool,
    pub since: Option<jiff::civil::Date>,
    /// The sources' feeds, for the completeness panel (filled in by the caller, which can ask the
    /// store; empty when not known).
    pub feeds: Vec<Feed>,
    /// The stored summaries since `since` (filled in by the caller from the store).
    pub baseline: Option<super::trends::Baseline>,
    pub limit: usize,
    pub demand: Demand,
    /// The parts given, as `name=value` text, sorted: for the report to state and to key answers.
    pub given: Vec<(String, String)>,
}

fn in_range(errors: &mut QuestionError, name: &str, value: Option<f64>, max: f64) -> Option<f64> {
    let value = value?;
    // NaN (a number that did not read) fails here too, with the same reason.
    if value > 0.0 && value <= max {
        Some(value)
    } else {
        errors.push(name, format!("must be a number above 0 and at most {max}"));
        None
    }
}

impl QuestionSpec {
    /// Within `km` of a meeting, for every fellowship, over postcode sectors by district.
    pub fn within_km(km: f64) -> QuestionSpec {
        QuestionSpec {
            max_km: Some(km),
            ..QuestionSpec::default()
        }
    }

    /// Within `minutes` by `mode` of a meeting.
    pub fn within_minutes(mode: Mode, minutes: f64) -> QuestionSpec {
        QuestionSpec {
            max_minutes: Some(minutes),
            mode: Some(mode),
            ..QuestionSpec::default()
        }
    }

    /// Only these fellowships.
    pub fn fellowships(self, fellowships: impl IntoIterator<Item = Fellowship>) -> QuestionSpec {
        QuestionSpec {
            fellowships: Some(fellowships.into_iter().collect()),
            ..self
        }
    }

    /// Only this area (a code or name), at `level`.
    pub fn area(self, level: Level, code: &str) -> QuestionSpec {
        QuestionSpec {
            level: Some(level),
            area: Some(code.to_string()),
            ..self
        }
    }

    /// The parts given, as text, sorted by name.
    fn given(&self) -> Vec<(String, String)> {
        fn join<T: ToString>(items: &[T]) -> Option<String> {
            (!items.is_empty()).then(|| items.iter().map(T::to_string).collect::<Vec<_>>().join(","))
        }
        let fellowships = self
            .fellowships
            .as_ref()
            .map(|f| f.iter().map(|f| f.id()).collect::<Vec<_>>().join(","));
        let parts = [
            ("fellowship", fellowships),
            ("access", self.access.map(|a| a.as_str().to_string())),
            (
                "attendance",
                join(&self.attendance.iter().map(|a| a.as_str()).collect::<Vec<_>>()),
            ),
            (
                "day",
                join(&self.days.iter().map(|d| d.as_str()).collect::<Vec<_>>()),
            ),
            ("start_after", self.start_after.map(|t| t.to_string())),
            ("start_before", self.start_before.map(|t| t.to_string())),
            ("type", join(&self.types)),
            ("max_km", self.max_km.map(|v| v.to_string())),
            ("max_minutes", self.max_minutes.map(|v| v.to_string())),
            ("mode", self.mode.map(|m| m.as_str().to_string())),
            ("level", self.level.map(|l| l.as_str().to_string())),
            ("area", self.area.clone()),
            ("points", self.points.map(|p| p.as_str().to_string())),
            ("limit", self.limit.map(|n| n.to_string())),
            ("since", self.since.map(|d| d.to_string())),
        ];
        let mut given: Vec<(String, String)> = parts
            .into_iter()
            .filter_map(|(name, value)| Some((name.to_string(), value?)))
            .collect();
        given.sort();
        given
    }

    /// The question, or every reason it is not one.
    pub fn check(self) -> Result<CoverageQuestion, QuestionError> {
        let mut errors = QuestionError::default();
        let given = self.given();
        let mut fellowships: Vec<Fellowship> = Vec::new();
        for f in self.fellowships.iter().flatten() {
            if !fellowships.contains(f) {
                fellowships.push(*f);
            }
        }
        match &self.fellowships {
            None => fellowships.extend(Fellowship::all()),
            Some(_) if fellowships.is_empty() => errors.push("fellowship", "names no fellowship"),
            Some(_) => {}
        }
        let mut filter = Filter::default()
            .fellowships(fellowships.iter().copied())
            .attendance(self.attendance)
            .days(self.days)
            .start_between(self.start_after, self.start_before)
            .types(self.types);
        if let Some(access) = self.access {
            filter = filter.access(access);
        }
        let level = self.level.unwrap_or_default();
        let area = match self.area.as_deref().map(str::trim) {
            None => None,
            Some("") => {
                errors.push("area", "is empty; give an area's name or code");
                None
            }
            Some(text) => match super::find_area(text, self.level) {
                Ok(found) => Some(AreaChoice {
                    code: found.code.clone(),
                    name: found.name.clone(),
                    level: found.at,
                }),
                Err(near) => {
                    let at = self
                        .level
                        .map_or_else(|| "area".to_string(), |l| l.label().to_string());
                    let hint = if near.is_empty() {
                        " (`meetingmap list-areas` lists them)".to_string()
                    } else {
                        format!(
                            "; did you mean {}?",
                            near.iter()
                                .map(|a| format!("{} ({}, {})", a.name, a.at.short_label(), a.code))
                                .collect::<Vec<_>>()
                                .join(" or ")
                        )
                    };
                    errors.push(
                        "area",
                        format!("`{text}` is not the name or code of a Great Britain {at}{hint}"),
                    );
                    None
                }
            },
        };
        // One district or county has few points: a longer reach costs it less than all GB a short one.
        let most_km = match &area {
            Some(a) if a.level != Level::Nation => MAX_AREA_KM,
            _ => MAX_KM,
        };
        let km = in_range(&mut errors, "max_km", self.max_km, most_km);
        let minutes = in_range(&mut errors, "max_minutes", self.max_minutes, MAX_MINUTES);
        let threshold = match (self.max_km, self.max_minutes) {
            (Some(_), Some(_)) => {
                errors.push("max_minutes", "cannot be combined with max_km");
                None
            }
            (None, None) => {
                errors.push("max_km", "is required (or max_minutes with mode)");
                None
            }
            (Some(_), None) => km.map(Threshold::Km),
            (None, Some(_)) => {
                if self.mode.is_none() {
                    errors.push("mode", "is required with max_minutes");
                }
                self.mode.zip(minutes).map(|(m, t)| Threshold::Minutes(m, t))
            }
        };
        // Minutes are bounded by the same reach as kilometres: the cost of an analysis grows with
        // the meetings within reach of each point, whatever the threshold is written in.
        if let Some(Threshold::Minutes(mode, _)) = threshold.filter(|t| t.km() > most_km) {
            let most = crate::travel::estimate_minutes(mode, most_km).floor();
            errors.push(
                "max_minutes",
                format!(
                    "reaches beyond {most_km} km by {}, the furthest analysed {}; at most {most} minutes",
                    mode.as_str(),
                    if most_km == MAX_KM {
                        "over more than one county (give an area for up to 40 km)"
                    } else {
                        "for one area"
                    }
                ),
            );
        }
        let demand = match (self.points, self.supplied) {
            (None, Some(points)) => Demand::Supplied(points),
            (Some(_), Some(_)) => {
                errors.push(
                    "points",
                    "cannot be combined with points sent in the request body",
                );
                Demand::SmallAreas
            }
            (None | Some(BundledPoints::SmallAreas), None) => Demand::SmallAreas,
            (Some(BundledPoints::Sectors), None) => Demand::Sectors,
            (Some(BundledPoints::Places), None) => Demand::Places,
        };
        let limit = match self.limit {
            None => DEFAULT_GAPS,
            Some(n) if (1..=MAX_GAPS).contains(&n) => n,
            Some(_) => {
                errors.push("limit", format!("must be between 1 and {MAX_GAPS}"));
                DEFAULT_GAPS
            }
        };
        match threshold {
            Some(threshold) if errors.0.is_empty() => Ok(CoverageQuestion {
                analysis: Analysis {
                    filter,
                    fellowships,
                    threshold,
                },
                level,
                area,
                fellowships_named: self.fellowships.is_some(),
                since: self.since,
                feeds: Vec::new(),
                baseline: None,
                limit,
                demand,
                given,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(spec: QuestionSpec) -> Vec<String> {
        spec.check()
            .unwrap_err()
            .0
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    }

    #[test]
    fn parts_are_checked_together() {
        let aa = Fellowship::parse("aa").unwrap();
        let ok = QuestionSpec::within_km(5.0)
            .fellowships([aa, aa])
            .check()
            .unwrap();
        assert_eq!(ok.analysis.fellowships, vec![aa]);
        assert_eq!(ok.limit, DEFAULT_GAPS);
        assert_eq!(
            ok.given,
            vec![
                ("fellowship".into(), "aa,aa".into()),
                ("max_km".into(), "5".into())
            ]
        );
        assert_eq!(names(QuestionSpec::default()), ["max_km"]);
        assert_eq!(names(QuestionSpec::within_km(f64::NAN)), ["max_km"]);
        assert_eq!(
            names(QuestionSpec {
                max_minutes: Some(10.0),
                ..QuestionSpec::within_km(500.0)
            }),
            ["max_km", "max_minutes"]
        );
        assert_eq!(
            names(QuestionSpec {
                max_minutes: Some(10.0),
                ..QuestionSpec::default()
            }),
            ["mode"]
        );
        assert_eq!(
            names(QuestionSpec::within_km(5.0).fellowships([])),
            ["fellowship"]
        );
        assert_eq!(
            names(QuestionSpec::within_km(5.0).area(Level::Lad, "X99999999")),
            ["area"]
        );
        assert_eq!(
            names(QuestionSpec {
                limit: Some(0),
                ..QuestionSpec::within_km(5.0)
            }),
            ["limit"]
        );
        let both = QuestionSpec {
            points: Some(BundledPoints::Places),
            supplied: Some(Vec::new()),
            ..QuestionSpec::within_km(5.0)
        };
        assert_eq!(names(both), ["points"]);
    }
}
