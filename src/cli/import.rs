//! `meetingmap import`: import defined sources, or one file, and print what happened.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::directory::Directory;
use crate::domain::{Fellowship, ImportOutcome, ImportRun, Zone};
use crate::formats::csv_feed::CsvMapping;
use crate::gazetteer::Gazetteer;
use crate::import::fetch::Fetcher;
use crate::import::schedule::FETCH_TIMEOUT;
use crate::import::source::{check_id, FeedFormat, Location, SourceDefinition};
use crate::import::{ImportOptions, Importer};
use crate::settings::{DatabaseSettings, SourcesSettings};

#[derive(Args)]
pub struct ImportArgs {
    /// Source ids to import (repeatable).
    #[arg(long = "source", conflicts_with_all = ["all", "file"])]
    sources: Vec<String>,
    /// Import every enabled source.
    #[arg(long, conflicts_with = "file")]
    all: bool,
    /// Import this file instead of a defined source; needs `--source-id` (with `--format`) or
    /// `--definition`.
    #[arg(long)]
    file: Option<PathBuf>,
    /// Format of --file.
    #[arg(long, value_parser = ["meeting-guide", "bmlt", "csv"], requires = "file")]
    format: Option<String>,
    /// Fellowship of records in --file that do not say.
    #[arg(long, requires = "file")]
    fellowship: Option<String>,
    /// Column mapping (TOML) for a CSV --file; default: the TSML template's columns.
    #[arg(long, requires = "file")]
    mapping: Option<PathBuf>,
    /// Source id for --file: 1-40 characters of a-z, 0-9 and -. Required (there is no default
    /// from the file name: two unrelated `meetings.json` would replace each other's meetings).
    #[arg(long, requires = "file")]
    source_id: Option<String>,
    /// Source name for --file (default: "<id> (local file)").
    #[arg(long, requires = "source_id")]
    name: Option<String>,
    /// Attribution published with --file's meetings (default: says it is a local file; the
    /// file's path is never published).
    #[arg(long, requires = "source_id")]
    attribution: Option<String>,
    /// Source definition (TOML, as in importers/) for --file: its id, name, attribution, format,
    /// fellowship, time zone, bounds and mapping apply; its `url` or `path` is replaced by --file.
    #[arg(long, requires = "file", conflicts_with_all = ["source_id", "format", "fellowship", "mapping", "timezone"])]
    definition: Option<PathBuf>,
    /// Time zone of --file's meetings when records do not say.
    #[arg(long, default_value = "Europe/London")]
    timezone: String,
    /// Import even if the feed shrank by more than the source allows.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    definitions: SourcesSettings,
    #[command(flatten)]
    database: DatabaseSettings,
}

pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    let importers = &args.definitions.importers;
    let chosen = match &args.file {
        Some(file) => vec![match &args.definition {
            Some(definition) => SourceDefinition {
                location: Location::File(file.clone()),
                ..SourceDefinition::load(definition).map_err(anyhow::Error::msg)?
            },
            None => file_source(file, &args)?,
        }],
        None => {
            let defined = SourceDefinition::load_dir(importers).map_err(anyhow::Error::msg)?;
            if args.all {
                defined.into_iter().filter(|s| s.enabled).collect()
            } else if args.sources.is_empty() {
                bail!("say which: --source ID, --all (enabled sources) or --file PATH");
            } else {
                let mut chosen = Vec::new();
                for id in &args.sources {
                    let source = defined.iter().find(|s| &s.id == id).with_context(|| {
                        let known: Vec<&str> = defined.iter().map(|s| s.id.as_str()).collect();
                        format!(
                            "no source `{id}` in {} (known: {})",
                            importers.display(),
                            known.join(", ")
                        )
                    })?;
                    chosen.push(source.clone());
                }
                chosen
            }
        }
    };
    if chosen.is_empty() {
        bail!("no enabled sources in {}", importers.display());
    }
    let directory = Directory::open_for_writes(&args.database.url).await?;
    run_imports(directory, chosen, args.force).await
}

/// A one-off source for `import --file` without a definition.
fn file_source(file: &std::path::Path, args: &ImportArgs) -> anyhow::Result<SourceDefinition> {
    let Some(id) = args.source_id.clone() else {
        bail!("--file needs --source-id ID (a-z, 0-9 and -) or --definition FILE.toml: the id names the source whose meetings the file replaces");
    };
    check_id(&id).map_err(|e| anyhow::anyhow!("--source-id: {e}"))?;
    let format = args
        .format
        .as_deref()
        .and_then(FeedFormat::parse)
        .context("--file needs --format meeting-guide, bmlt or csv (or --definition)")?;
    let mapping = args.mapping.clone();
    let csv = match (format, mapping) {
        (FeedFormat::Csv, Some(path)) => {
            let text =
                std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            Some(
                CsvMapping::from_toml(&text)
                    .map_err(|e| anyhow::anyhow!("mapping {}: {e}", path.display()))?,
            )
        }
        (FeedFormat::Csv, None) => Some(CsvMapping::tsml()),
        (_, Some(_)) => bail!("--mapping is for --format csv"),
        (_, None) => None,
    };
    let timezone = &args.timezone;
    Ok(SourceDefinition {
        // Marked as a local file rather than named after its path: names and attributions are
        // published with every meeting, and a path on this machine is nobody's business.
        name: args.name.clone().unwrap_or_else(|| format!("{id} (local file)")),
        attribution: args
            .attribution
            .clone()
            .unwrap_or_else(|| "Imported from a local file (no attribution given)".into()),
        id,
        format,
        fellowship: match args.fellowship.clone() {
            Some(code) => {
                Some(Fellowship::parse(&code).with_context(|| format!("unknown fellowship `{code}`"))?)
            }
            None => None,
        },
        location: Location::File(file.to_path_buf()),
        formats: None,
        refresh_hours: 24.0,
        timezone: Zone::get(timezone).with_context(|| format!("`{timezone}` is not an IANA time zone"))?,
        country: None,
        enabled: false,
        max_shrink: 0.5,
        bounds: None,
        csv,
        roomless: Default::default(),
        notes: None,
        contact: None,
    })
}

async fn run_imports(
    directory: Directory,
    sources: Vec<SourceDefinition>,
    force: bool,
) -> anyhow::Result<()> {
    let importer = Importer::new(
        directory,
        Fetcher::new(FETCH_TIMEOUT),
        Arc::new(Gazetteer::bundled()),
    );
    let mut runs = Vec::new();
    for source in &sources {
        let progress = ProgressBar::new(0).with_style(
            ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len}").expect("a valid template"),
        );
        let options = ImportOptions {
            force,
            progress: Some(progress.clone()),
        };
        let run = importer.import(source, &options).await?;
        progress.finish_and_clear();
        runs.push(run);
    }
    print!("{}", summary(&runs));
    let failed: Vec<&str> = runs
        .iter()
        .filter(|r| r.outcome == ImportOutcome::Failed)
        .map(|r| r.source_id.as_str())
        .collect();
    if !failed.is_empty() {
        bail!("import failed for {}", failed.join(", "));
    }
    Ok(())
}

/// The table printed after an import, then each source's problems.
fn summary(runs: &[ImportRun]) -> String {
    const COLUMNS: [(&str, usize); 11] = [
        ("source", 28),
        ("outcome", 9),
        ("records", 8),
        ("accepted", 8),
        ("added", 6),
        ("updated", 7),
        ("unchanged", 9),
        ("removed", 7),
        ("rejected", 8),
        ("by postcode", 11),
        ("no coords", 9),
    ];
    let row = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(COLUMNS)
            .enumerate()
            .map(|(i, (cell, (_, width)))| {
                if i < 2 {
                    format!("{cell:<width$}")
                } else {
                    format!("{cell:>width$}")
                }
            })
            .collect();
        padded.join(" ") + "\n"
    };
    let mut out = row(COLUMNS.iter().map(|(name, _)| name.to_string()).collect());
    for r in runs {
        let c = r.counts;
        let outcome = serde_json::to_value(r.outcome).expect("serialises");
        let mut cells = vec![r.source_id.clone(), outcome.as_str().unwrap_or("").to_string()];
        // A failed run changed nothing: no added, updated, unchanged or removed to report.
        let failed = r.outcome == ImportOutcome::Failed;
        let changed = |n: usize| if failed { "-".to_string() } else { n.to_string() };
        cells.extend([c.records, c.accepted].map(|n| n.to_string()));
        cells.extend([c.added, c.updated, c.unchanged, c.removed].map(changed));
        cells.extend([c.rejected, c.placed_by_postcode, c.without_coordinates].map(|n| n.to_string()));
        out += &row(cells);
    }
    for r in runs {
        if let Some(reason) = &r.reason {
            out += &format!("\n{}: {reason}\n", r.source_id);
        }
        if !r.rejects.is_empty() {
            out += &format!("\n{}: {} rejected records:\n", r.source_id, r.counts.rejected);
            for reject in r.rejects.iter().take(20) {
                out += &format!("  {}: {}\n", reject.record, reject.reason);
            }
            if r.counts.rejected > 20 {
                out += &format!(
                    "  ... and {} more (see /v1/sources/{}/imports)\n",
                    r.counts.rejected - 20,
                    r.source_id
                );
            }
        }
        if !r.warnings.is_empty() {
            out += &format!(
                "\n{}: {} changed on import (raw values kept in source.raw):\n",
                r.source_id,
                match r.counts.warned {
                    1 => "1 record".to_string(),
                    n => format!("{n} records"),
                }
            );
            for warning in r.warnings.iter().take(20) {
                out += &format!("  {}: {}\n", warning.record, warning.warning);
            }
            if r.warnings.len() > 20 {
                out += &format!(
                    "  ... and {} more (see /v1/sources/{}/imports)\n",
                    r.warnings.len() - 20,
                    r.source_id
                );
            }
        }
        if !r.unknown_types.is_empty() {
            let codes: Vec<String> = r
                .unknown_types
                .iter()
                .map(|u| format!("{} ({})", u.code, u.meetings))
                .collect();
            out += &format!(
                "\n{}: type codes kept as raw tags: {}\n",
                r.source_id,
                codes.join(", ")
            );
        }
    }
    out
}
