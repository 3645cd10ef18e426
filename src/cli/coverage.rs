//! `meetingmap coverage`: the coverage report, summary or gaps, written to a file or printed. The
//! options are typed (each parsed by the same rules as the API's parameters) and build the
//! coverage question directly: no query string and no HTTP parser in between.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use jiff::Timestamp;

use crate::coverage::boundaries::Boundaries;
use crate::coverage::{BundledPoints, CoverageQuestion, Level, Output as CoverageOutput, QuestionSpec};
use crate::directory::Directory;
use crate::domain::{Access, Attendance, Day, Fellowship, LocalTime, MeetingType};
use crate::settings::{DatabaseSettings, OutlineSettings};
use crate::travel::Mode;

/// `meetingmap coverage`: the parameters of `/v1/coverage`, as options.
#[derive(Args)]
pub struct CoverageArgs {
    /// Fellowship codes, comma-separated (default: every fellowship the directory lists).
    #[arg(long, value_delimiter = ',', value_parser = Flag::<Fellowship>::reader)]
    fellowship: Option<Vec<Flag<Fellowship>>>,
    /// `open` or `closed`.
    #[arg(long, value_parser = Flag::<Access>::reader)]
    access: Option<Flag<Access>>,
    /// `in_person`, `hybrid`, comma-separated.
    #[arg(long, value_delimiter = ',', value_parser = Flag::<Attendance>::reader)]
    attendance: Vec<Flag<Attendance>>,
    /// Weekdays (`sun`..`sat`), comma-separated.
    #[arg(long, value_delimiter = ',', value_parser = Flag::<Day>::reader)]
    day: Vec<Flag<Day>>,
    /// Earliest local start time, `HH:MM`.
    #[arg(long, value_parser = Flag::<LocalTime>::reader)]
    start_after: Option<Flag<LocalTime>>,
    /// Latest local start time, `HH:MM`.
    #[arg(long, value_parser = Flag::<LocalTime>::reader)]
    start_before: Option<Flag<LocalTime>>,
    /// Meeting types that must all apply, comma-separated.
    #[arg(long = "type", value_delimiter = ',', value_parser = Flag::<MeetingType>::reader)]
    types: Vec<Flag<MeetingType>>,
    /// Within reach: this straight-line distance in km.
    #[arg(long, value_parser = number)]
    max_km: Option<f64>,
    /// Within reach: this many estimated minutes by --mode.
    #[arg(long, value_parser = number)]
    max_minutes: Option<f64>,
    /// `walk`, `cycle`, `drive` or `transit`.
    #[arg(long, value_parser = Flag::<Mode>::reader)]
    mode: Option<Flag<Mode>>,
    /// `lad`, `utla` or `nation`.
    #[arg(long, value_parser = Flag::<Level>::reader)]
    level: Option<Flag<Level>>,
    /// Only this area, by name or code (`Powys`, `"Norfolk"`, `W06000023`); see
    /// `meetingmap list-areas`.
    #[arg(long)]
    area: Option<String>,
    /// Demand points: `small_areas` (default: GB small areas weighted by residents), `sectors`,
    /// `places`, or a CSV file with `lat`, `lon` and `weight` columns (write `./places` for a
    /// file called places).
    #[arg(long)]
    points: Option<String>,
    /// Gaps listed with `--gaps` (default 100).
    #[arg(long, value_parser = count)]
    limit: Option<usize>,
    /// The report shows the change since this date (YYYY-MM-DD).
    #[arg(long, value_parser = Flag::<jiff::civil::Date>::reader)]
    since: Option<Flag<jiff::civil::Date>>,
    /// As `format=` on /v1/coverage: `html` (the report), or the summary per area as `json`,
    /// `geojson` (area outlines from --boundaries) or `csv`; with --gaps, the gaps as `json`,
    /// `geojson` or `csv`.
    #[arg(long, default_value = "html", value_parser = ["html", "json", "geojson", "csv"])]
    format: String,
    /// The points out of reach (as /v1/coverage/gaps) instead of the summary.
    #[arg(long)]
    gaps: bool,
    #[command(flatten)]
    outlines: OutlineSettings,
    /// File to write; standard output when absent.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    database: DatabaseSettings,
}

/// An option's value read by its type, or why it does not read. Clap stops at the first value it
/// refuses; these are kept and reported together with the question's own objections, so every
/// bad option is named at once, as the API names every bad parameter.
#[derive(Clone, Debug)]
struct Flag<T>(Result<T, String>);

/// A value of a typed option: how it reads, and what to say when it does not.
trait FlagValue: Sized + Clone + Send + Sync + 'static {
    fn read(text: &str) -> Option<Self>;
    const EXPECTED: &'static str;
}

macro_rules! flag_value {
    ($($ty:ty: $parse:expr, $expected:literal;)*) => {$(
        impl FlagValue for $ty {
            fn read(text: &str) -> Option<Self> {
                $parse(text)
            }
            const EXPECTED: &'static str = $expected;
        }
    )*};
}

flag_value! {
    Fellowship: Fellowship::parse, "a fellowship code (see `/v1/fellowships`)";
    Access: Access::parse, "open or closed";
    Attendance: Attendance::parse, "in_person, online or hybrid";
    Day: Day::parse, "sun, mon, tue, wed, thu, fri or sat";
    LocalTime: LocalTime::parse, "a local time HH:MM";
    MeetingType: MeetingType::parse, "a type code (see `/v1/types`)";
    Mode: Mode::parse, "walk, cycle, drive or transit";
    Level: Level::parse, "lad, utla or nation";
    jiff::civil::Date: |t: &str| t.trim().parse().ok(), "a date YYYY-MM-DD";
}

impl<T: FlagValue> Flag<T> {
    /// Clap's value parser: never fails, the failure is kept.
    fn reader(text: &str) -> Result<Flag<T>, String> {
        Ok(Flag(T::read(text).ok_or_else(|| {
            format!("must be {}, not `{}`", T::EXPECTED, text.trim())
        })))
    }
}

/// A number option: one that does not read is out of range, and the question says so.
fn number(text: &str) -> Result<f64, String> {
    Ok(text.trim().parse().unwrap_or(f64::NAN))
}

/// A count option: one that does not read is out of range (0), and the question says so.
fn count(text: &str) -> Result<usize, String> {
    Ok(text.trim().parse().unwrap_or(0))
}

/// Collects the values of typed options, noting the first that did not read under `name`.
struct Flags(Vec<(String, String)>);

impl Flags {
    fn one<T>(&mut self, name: &str, flag: &Option<Flag<T>>) -> Option<T>
    where
        T: Clone,
    {
        match flag.as_ref()?.0.clone() {
            Ok(value) => Some(value),
            Err(reason) => {
                self.note(name, reason);
                None
            }
        }
    }

    fn all<T: Clone>(&mut self, name: &str, flags: &[Flag<T>]) -> Vec<T> {
        flags
            .iter()
            .filter_map(|f| match f.0.clone() {
                Ok(value) => Some(value),
                Err(reason) => {
                    self.note(name, reason);
                    None
                }
            })
            .collect()
    }

    fn note(&mut self, name: &str, reason: String) {
        if !self.0.iter().any(|(n, _)| n == name) {
            self.0.push((name.to_string(), reason));
        }
    }
}

impl CoverageArgs {
    /// The options as a coverage question, checked by the same rules as the API's.
    fn query(&self) -> anyhow::Result<CoverageQuestion> {
        let (points, supplied) = match self.points.as_deref() {
            None => (None, None),
            Some(text) => match BundledPoints::parse(text) {
                Some(keyword) => (Some(keyword), None),
                None => {
                    let reader = std::fs::File::open(text).with_context(|| format!("cannot read {text}"))?;
                    let mut points = crate::coverage::read_points(reader)
                        .with_context(|| format!("points file {text}"))?;
                    crate::coverage::place_in_areas(&mut points);
                    (None, Some(points))
                }
            },
        };
        let mut flags = Flags(Vec::new());
        let spec = QuestionSpec {
            fellowships: self.fellowship.as_ref().map(|f| flags.all("fellowship", f)),
            access: flags.one("access", &self.access),
            attendance: flags.all("attendance", &self.attendance),
            days: flags.all("day", &self.day),
            start_after: flags.one("start_after", &self.start_after),
            start_before: flags.one("start_before", &self.start_before),
            types: flags.all("type", &self.types),
            max_km: self.max_km,
            max_minutes: self.max_minutes,
            mode: flags.one("mode", &self.mode),
            level: flags.one("level", &self.level),
            area: self.area.clone(),
            points,
            supplied,
            limit: self.limit,
            since: flags.one("since", &self.since),
        };
        let refused = match spec.check() {
            Ok(question) if flags.0.is_empty() => return Ok(question),
            Ok(_) => Vec::new(),
            Err(refused) => refused.0,
        };
        // One reason per option that did not read: it is not also "required".
        let unread = flags.0.len();
        for (name, reason) in refused {
            if !flags.0[..unread].iter().any(|(n, _)| *n == name) {
                flags.0.push((name, reason));
            }
        }
        bail!(
            "{}",
            flags
                .0
                .iter()
                .map(|(name, reason)| format!("--{} {reason}", name.replace('_', "-")))
                .collect::<Vec<_>>()
                .join("; ")
        )
    }
}

pub async fn run(args: CoverageArgs) -> anyhow::Result<()> {
    let output = CoverageOutput::named(&args.format, args.gaps)
        .context("with --gaps, --format must be json, geojson or csv")?;
    let query = args.query()?;
    let boundaries = args
        .outlines
        .boundaries
        .as_deref()
        .map(Boundaries::load)
        .transpose()?;
    let mut query = query;
    let directory = Directory::open(&args.database.url).await?;
    let snapshot = directory.snapshot();
    if !crate::coverage::has_places(&snapshot) {
        bail!(
            "the directory at {} has no in-person meetings to report coverage of: is --database \
             right? Import a feed first (meetingmap import)",
            args.database.url
        );
    }
    if output == CoverageOutput::Report {
        query.feeds = crate::coverage::feeds(&directory, &snapshot).await?;
        if let Some(since) = query.since {
            query.baseline = crate::coverage::trends::baseline(&directory, since).await?;
        }
    }
    let started = std::time::Instant::now();
    let body = crate::coverage::render(output, &snapshot, &query, boundaries.as_ref(), Timestamp::now());
    let took = started.elapsed();
    match &args.out {
        Some(path) => {
            std::fs::write(path, &body).with_context(|| format!("cannot write {}", path.display()))?;
            let analysed = query
                .demand
                .points()
                .iter()
                .filter(|p| crate::coverage::in_question_area(&query, p))
                .count();
            println!(
                "wrote {} ({} KB): {analysed} demand points against {} meetings, in {:.2} s",
                path.display(),
                body.len().div_ceil(1024),
                snapshot.len(),
                took.as_secs_f64()
            );
        }
        None => writeln!(std::io::stdout().lock(), "{body}")?,
    }
    Ok(())
}
