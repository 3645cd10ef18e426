//! `meetingmap coverage`: the coverage report, summary or gaps, written to a file or printed.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use jiff::Timestamp;

use crate::coverage::boundaries::Boundaries;
use crate::directory::Directory;
use crate::http::{self, ApiError, CoverageOutput, CoverageQuery};
use crate::settings::{DatabaseSettings, OutlineSettings};

/// `meetingmap coverage`: the parameters of `/v1/coverage`, as options.
#[derive(Args)]
pub struct CoverageArgs {
    /// Fellowship codes, comma-separated (default: every fellowship).
    #[arg(long)]
    fellowship: Option<String>,
    /// `open` or `closed`.
    #[arg(long)]
    access: Option<String>,
    /// `in_person`, `hybrid`, comma-separated.
    #[arg(long)]
    attendance: Option<String>,
    /// Weekdays (`sun`..`sat`), comma-separated.
    #[arg(long)]
    day: Option<String>,
    /// Earliest local start time, `HH:MM`.
    #[arg(long)]
    start_after: Option<String>,
    /// Latest local start time, `HH:MM`.
    #[arg(long)]
    start_before: Option<String>,
    /// Meeting types that must all apply, comma-separated.
    #[arg(long = "type")]
    types: Option<String>,
    /// Within reach: this straight-line distance in km.
    #[arg(long)]
    max_km: Option<String>,
    /// Within reach: this many estimated minutes by --mode.
    #[arg(long)]
    max_minutes: Option<String>,
    /// `walk`, `cycle`, `drive` or `transit`.
    #[arg(long)]
    mode: Option<String>,
    /// `lad`, `utla` or `nation`.
    #[arg(long)]
    level: Option<String>,
    /// Only this area's code (at --level).
    #[arg(long)]
    area: Option<String>,
    /// Demand points: `sectors` (default), `places`, or a CSV file with `lat`, `lon` and `weight`
    /// columns (write `./places` for a file called places).
    #[arg(long)]
    points: Option<String>,
    /// Gaps listed with `--gaps` (default 100).
    #[arg(long)]
    limit: Option<String>,
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

impl CoverageArgs {
    /// The options as the API's query and points, checked by the API's own rules.
    fn query(&self) -> anyhow::Result<CoverageQuery> {
        let mut pairs: Vec<(&str, &str)> = [
            ("fellowship", &self.fellowship),
            ("access", &self.access),
            ("attendance", &self.attendance),
            ("day", &self.day),
            ("start_after", &self.start_after),
            ("start_before", &self.start_before),
            ("type", &self.types),
            ("max_km", &self.max_km),
            ("max_minutes", &self.max_minutes),
            ("mode", &self.mode),
            ("level", &self.level),
            ("area", &self.area),
            ("limit", &self.limit),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value.as_deref()?)))
        .collect();
        let supplied = match self.points.as_deref() {
            None => None,
            Some(keyword @ ("sectors" | "places")) => {
                pairs.push(("points", keyword));
                None
            }
            Some(file) => {
                let reader = std::fs::File::open(file).with_context(|| format!("cannot read {file}"))?;
                let mut points =
                    crate::coverage::read_points(reader).with_context(|| format!("points file {file}"))?;
                crate::coverage::place_in_areas(&mut points);
                Some(points)
            }
        };
        let query = serde_urlencoded::to_string(&pairs)?;
        CoverageQuery::parse(&query, supplied).map_err(|e| match e {
            ApiError::InvalidParams(params) => anyhow::anyhow!(
                "{}",
                params
                    .iter()
                    .map(|p| format!("--{} {}", p.name.replace('_', "-"), p.reason))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            other => anyhow::anyhow!("{other}"),
        })
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
    let directory = Directory::open(&args.database.url).await?;
    let snapshot = directory.snapshot();
    let body = http::render_coverage(output, &snapshot, &query, boundaries.as_ref(), Timestamp::now());
    match &args.out {
        Some(path) => {
            std::fs::write(path, &body).with_context(|| format!("cannot write {}", path.display()))?;
            println!(
                "wrote {} ({} KB): {} demand points against {} meetings",
                path.display(),
                body.len().div_ceil(1024),
                query.demand.points().len(),
                snapshot.len()
            );
        }
        None => writeln!(std::io::stdout().lock(), "{body}")?,
    }
    Ok(())
}
