//! The coverage report: one self-contained HTML page (inline stylesheet, no scripts, fonts,
//! images or requests) made to be printed on A4 and put in a board paper: a summary in words, a
//! banner for fellowships without data, a choropleth of the share within reach by district with
//! place labels, meetings, gaps, a scale bar and a legend, the completeness of each fellowship's
//! data, a district by fellowship comparison with small multiples, a table per area, the change
//! since a date, and the method in words. The API and the command line both render it here.
//!
//! The map is an inline SVG drawn here: longitude and latitude are projected equirectangularly
//! with the longitude scaled by the cosine of the view's middle latitude (true to shape at GB
//! scales), fitted to the area shown. Outlines are clipped to the view and simplified to half a
//! pixel, so a district's report stays small however detailed the boundary file is.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write;

use jiff::Timestamp;

use super::CoverageQuestion;
use crate::coverage::boundaries::{self, Boundaries, Ring};
use crate::coverage::{
    in_question_area, Analysis, AreaLookup, AreaSummary, Level, PointCoverage, Summary, Threshold,
    NEAREST_SEARCH_KM,
};
use crate::domain::{Attendance, Fellowship};
use crate::formats::html::escape;
use crate::search::Snapshot;
use crate::travel::Mode;

/// Width of the map in pixels, and its greatest height.
const MAP_WIDTH: f64 = 800.0;
const MAP_MAX_HEIGHT: f64 = 900.0;
/// Gap circles' radius range in pixels (by the square root of the weight, so area shows weight).
const GAP_MIN_RADIUS: f64 = 2.5;
const GAP_MAX_RADIUS: f64 = 7.0;
/// Most gap circles drawn (the heaviest): all of GB at a short threshold has ten thousand, and
/// each carries its tooltip.
const MAX_GAP_CIRCLES: usize = 3_000;
/// Outline vertices closer than this (in pixels) to the simplified line are dropped.
const OUTLINE_TOLERANCE_PX: f64 = 0.5;

/// Colours of the map and its legend; the screenshot test looks for the first two.
pub const MEETING_COLOUR: &str = "#1f5fbf";
pub const GAP_COLOUR: &str = "#5b2a86";
const GAP_STROKE: &str = "#ffffff";
/// The choropleth's classes of the share of weight within reach: upper bounds (percent) and
/// colours (ColorBrewer OrRd, darkest for the worst served), then the colour of areas without
/// demand points. The screenshot test looks for them.
pub const SHARE_CLASSES: [(f64, &str); 5] = [
    (50.0, "#b30000"),
    (70.0, "#e34a33"),
    (85.0, "#fc8d59"),
    (95.0, "#fdcc8a"),
    (100.0, "#fef0d9"),
];
pub const NO_POINTS_COLOUR: &str = "#d9d9d9";
/// Pixels a gap cluster gathers at national scale.
const CLUSTER_PX: f64 = 14.0;
/// Place labels drawn on a map, at most.
const MAX_LABELS: usize = 14;

const STYLE: &str = "
@page { size: A4; margin: 14mm 12mm; }
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; font-size: 10.5pt; color: #111; margin: 1.5em; max-width: 60em; }
h1 { font-size: 16pt; margin: 0 0 0.3em; }
h2 { font-size: 13pt; margin: 1.5em 0 0.4em; break-after: avoid; page-break-after: avoid; }
h3 { font-size: 11pt; margin: 1.2em 0 0.3em; break-after: avoid; page-break-after: avoid; }
p.lead { font-size: 11.5pt; }
.banner { border: 2px solid #8a5a00; background: #fff4d6; padding: 0.5em 0.8em; margin: 0.8em 0; }
.banner p { margin: 0.2em 0; }
.warn { color: #8a3b00; }
figure { margin: 0.5em 0; break-inside: avoid; }
figcaption { font-size: 9pt; color: #333; }
.multiples { display: flex; flex-wrap: wrap; gap: 0.6em; }
.multiples figure { width: 15em; }
.multiples svg { width: 100%; height: auto; border: 1px solid #bbb; background: #f6f5f0; }
.map text.pl { font-size: 11px; fill: #111; stroke: #fff; stroke-width: 3px; paint-order: stroke; stroke-linejoin: round; }
.map .scale text { font-size: 11px; fill: #111; stroke: #fff; stroke-width: 3px; paint-order: stroke; }
td.nodata { color: #8a3b00; font-style: italic; }
p.meta { color: #333; margin: 0 0 1em; }
svg.map { display: block; background: #f6f5f0; border: 1px solid #999; max-width: 100%; height: auto; }
.map .area { fill: #ffffff; stroke: #9a9a9a; stroke-width: 0.6; }
.map .area.focus { fill: #fffdf2; stroke: #222; stroke-width: 2; }
.map .area.c { stroke: #555; stroke-width: 0.7; }
.map .area.c.focus { stroke: #222; stroke-width: 1.6; }
ul.legend { list-style: none; padding: 0; margin: 0.5em 0 1em; }
ul.legend li { display: inline-block; margin-right: 1.5em; }
ul.legend svg { vertical-align: middle; margin-right: 0.3em; }
table { border-collapse: collapse; margin: 0.3em 0 1em; }
th, td { border: 1px solid #888; padding: 0.3em 0.5em; text-align: right; vertical-align: top; }
th { background: #eee; }
th[scope=row], th[scope=col], td.text { text-align: left; }
td.dark { color: #fff; }
.small { font-size: 9pt; color: #333; }
pre.attribution { font-size: 8.5pt; white-space: pre-wrap; }
@media print { body { margin: 0; max-width: none; } section { break-inside: avoid; } table { break-inside: auto; } tr { break-inside: avoid; } }
";

/// The data attribution the bundled files' licences require: NOTICE's paragraphs on them (from
/// the postcode centroids to the place names), so the report cannot drift from NOTICE.
fn data_attribution() -> &'static str {
    const NOTICE: &str = include_str!("../../NOTICE");
    let start = NOTICE.find("Postcode centroids").unwrap_or(0);
    let end = NOTICE.find("\n\ngb-postcodes.csv.gz").unwrap_or(NOTICE.len());
    NOTICE.get(start..end).unwrap_or(NOTICE)
}

/// What a report is made from: one analysis and its summary.
pub struct ReportInput<'a> {
    pub snapshot: &'a Snapshot,
    pub query: &'a CoverageQuestion,
    /// The analysis run: the question's, narrowed to fellowships with data.
    pub analysis: &'a Analysis,
    /// Fellowships asked about without data.
    pub no_data: &'a [Fellowship],
    /// [`crate::coverage::analyse`] of the query's points.
    pub coverage: &'a [PointCoverage],
    /// [`crate::coverage::summarise`] of it at the question's level.
    pub summary: &'a Summary,
    /// The same by district, when the level is coarser (an upper tier lists its districts).
    pub districts: Option<&'a Summary>,
    pub lookup: &'a AreaLookup,
    pub boundaries: Option<&'a Boundaries>,
    pub produced: Timestamp,
}

impl ReportInput<'_> {
    /// The fellowships asked about: those analysed, then those without data.
    fn asked(&self) -> Vec<Fellowship> {
        self.analysis
            .fellowships
            .iter()
            .chain(self.no_data)
            .copied()
            .collect()
    }
}

/// `[min_lon, min_lat, max_lon, max_lat]`.
type BBox = [f64; 4];

fn extend(b: BBox, lat: f64, lon: f64) -> BBox {
    [b[0].min(lon), b[1].min(lat), b[2].max(lon), b[3].max(lat)]
}

const EMPTY: BBox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];

/// Longitude and latitude to map pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Projection {
    west: f64,
    north: f64,
    /// Cosine of the middle latitude: how much shorter a degree of longitude is.
    kx: f64,
    /// Pixels per degree of latitude.
    scale: f64,
    width: f64,
    height: f64,
}

impl Projection {
    /// Fits `bbox`, with a margin, into the map's size.
    fn fit(bbox: BBox) -> Projection {
        let [mut west, mut south, mut east, mut north] = if bbox[0] <= bbox[2] {
            bbox
        } else {
            // Nothing to show: GB.
            [-8.0, 49.8, 2.0, 60.9]
        };
        // A lone point still gets a few kilometres around it.
        let min_span = 0.05;
        if east - west < min_span {
            (west, east) = ((west + east - min_span) / 2.0, (west + east + min_span) / 2.0);
        }
        if north - south < min_span {
            (south, north) = ((south + north - min_span) / 2.0, (south + north + min_span) / 2.0);
        }
        let (pad_x, pad_y) = ((east - west) * 0.05, (north - south) * 0.05);
        let (west, east, south, north) = (west - pad_x, east + pad_x, south - pad_y, north + pad_y);
        let kx = ((south + north) / 2.0).to_radians().cos();
        let (span_x, span_y) = ((east - west) * kx, north - south);
        let mut scale = MAP_WIDTH / span_x;
        if span_y * scale > MAP_MAX_HEIGHT {
            scale = MAP_MAX_HEIGHT / span_y;
        }
        Projection {
            west,
            north,
            kx,
            scale,
            width: (span_x * scale).round(),
            height: (span_y * scale).round(),
        }
    }

    fn xy(&self, lat: f64, lon: f64) -> (f64, f64) {
        (
            (lon - self.west) * self.kx * self.scale,
            (self.north - lat) * self.scale,
        )
    }

    fn contains(&self, (x, y): (f64, f64)) -> bool {
        (0.0..=self.width).contains(&x) && (0.0..=self.height).contains(&y)
    }

    /// The view as `[min_lon, min_lat, max_lon, max_lat]`.
    fn bbox(&self) -> BBox {
        let east = self.west + self.width / self.scale / self.kx;
        let south = self.north - self.height / self.scale;
        [self.west, south, east, self.north]
    }
}

/// A pixel coordinate, to a tenth of a pixel.
fn px(v: f64) -> String {
    let rounded = (v * 10.0).round() / 10.0;
    format!("{rounded}")
}

/// A number for people: thousands separated, whole numbers without decimals.
fn amount(v: f64) -> String {
    let text = if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    };
    let (int, frac) = text.split_once('.').map_or((text.as_str(), ""), |(i, f)| (i, f));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

fn threshold_words(threshold: Threshold) -> String {
    match threshold {
        Threshold::Km(km) => format!("{} km in a straight line", amount(km)),
        Threshold::Minutes(mode, minutes) => {
            format!("{} minutes {} (estimated)", amount(minutes), mode_words(mode))
        }
    }
}

fn mode_words(mode: Mode) -> &'static str {
    match mode {
        Mode::Walk => "on foot",
        Mode::Cycle => "by bicycle",
        Mode::Drive => "by car",
        Mode::Transit => "by public transport",
    }
}

/// A figure rounded for a sentence: 41,000 rather than 41,234.
fn round_words(v: f64) -> String {
    let step = if v >= 10_000.0 {
        1_000.0
    } else if v >= 1_000.0 {
        100.0
    } else {
        1.0
    };
    amount((v / step).round() * step)
}

/// A share as a whole percent for sentences ("31%"), or one decimal below 1%.
fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p > 0.0 && p < 1.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

/// The choropleth class colour of a share within reach (0..=1).
pub fn share_colour(share: f64) -> &'static str {
    let p = share * 100.0;
    SHARE_CLASSES
        .iter()
        .find(|(upper, _)| p < *upper)
        .map_or(SHARE_CLASSES[4].1, |(_, colour)| colour)
}

/// A scale bar's length: a round number of km about `target_px` long.
fn scale_km(px_per_km: f64, target_px: f64) -> f64 {
    let want = target_px / px_per_km;
    [
        0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0,
    ]
    .into_iter()
    .rev()
    .find(|&km| km <= want)
    .unwrap_or(0.5)
}

/// Sutherland–Hodgman clipping of a closed ring (in pixels) to a rectangle; `None` when nothing
/// is left. The clipped ring may run along the rectangle's edges, which lie outside the view.
fn clip(ring: &[[f64; 2]], [x0, y0, x1, y1]: [f64; 4]) -> Option<Ring> {
    let edges: [(usize, f64, bool); 4] = [(0, x0, true), (0, x1, false), (1, y0, true), (1, y1, false)];
    let mut out: Ring = ring.to_vec();
    for (axis, bound, keep_above) in edges {
        let inside = |p: &[f64; 2]| {
            if keep_above {
                p[axis] >= bound
            } else {
                p[axis] <= bound
            }
        };
        let input = std::mem::take(&mut out);
        for (i, current) in input.iter().enumerate() {
            let previous = &input[(i + input.len() - 1) % input.len()];
            let crossing = || {
                let t = (bound - previous[axis]) / (current[axis] - previous[axis]);
                let mut p = [
                    previous[0] + t * (current[0] - previous[0]),
                    previous[1] + t * (current[1] - previous[1]),
                ];
                p[axis] = bound;
                p
            };
            match (inside(previous), inside(current)) {
                (true, true) => out.push(*current),
                (true, false) => out.push(crossing()),
                (false, true) => {
                    out.push(crossing());
                    out.push(*current);
                }
                (false, false) => {}
            }
        }
        if out.is_empty() {
            return None;
        }
    }
    Some(boundaries::close(out))
}

/// The outline's rings as one SVG path in pixels: clipped to just beyond the view, simplified.
fn outline_path(polygons: &[Vec<Ring>], projection: &Projection) -> String {
    let margin = 10.0;
    let frame = [
        -margin,
        -margin,
        projection.width + margin,
        projection.height + margin,
    ];
    let mut d = String::new();
    for ring in polygons.iter().flatten() {
        let pixels: Vec<[f64; 2]> = ring
            .iter()
            .map(|&[lon, lat]| {
                let (x, y) = projection.xy(lat, lon);
                [x, y]
            })
            .collect();
        let Some(ring) = clip(&pixels, frame).and_then(|r| boundaries::simplify(r, OUTLINE_TOLERANCE_PX))
        else {
            continue;
        };
        for (i, [x, y]) in ring[..ring.len() - 1].iter().enumerate() {
            let _ = write!(d, "{}{} {}", if i == 0 { 'M' } else { 'L' }, px(*x), px(*y));
        }
        d.push('Z');
    }
    d
}

/// One demand point out of reach of at least one fellowship asked about.
struct Gap<'a> {
    point: usize,
    missing: Vec<&'a PointCoverage>,
}

/// The report for one analysis.
pub fn report(input: &ReportInput) -> String {
    let query = input.query;
    let points = query.demand.points();
    let in_view = |i: usize| in_question_area(query, &points[i]);

    let mut gaps: Vec<Gap> = Vec::new();
    for c in input.coverage.iter().filter(|c| !c.covered()) {
        let point = c.point as usize;
        if !in_view(point) {
            continue;
        }
        match gaps.last_mut() {
            Some(last) if last.point == point => last.missing.push(c),
            _ => gaps.push(Gap {
                point,
                missing: vec![c],
            }),
        }
    }
    gaps.sort_by(|a, b| points[b.point].weight.total_cmp(&points[a.point].weight));

    let focus: Vec<&boundaries::Outline> = match (&query.area, input.boundaries) {
        (Some(area), Some(b)) => b
            .outlines()
            .iter()
            .filter(|o| input.lookup.contains(area.level, &area.code, &o.code))
            .collect(),
        _ => Vec::new(),
    };
    let bbox = if focus.is_empty() {
        (0..points.len())
            .filter(|&i| in_view(i))
            .fold(EMPTY, |b, i| extend(b, points[i].lat, points[i].lon))
    } else {
        focus.iter().fold(EMPTY, |b, o| {
            extend(extend(b, o.bbox[1], o.bbox[0]), o.bbox[3], o.bbox[2])
        })
    };
    let projection = Projection::fit(bbox);
    let place = query
        .area
        .as_ref()
        .map_or_else(|| "Great Britain".to_string(), |a| a.name.clone());
    let names = |list: &[Fellowship]| list.iter().map(|f| f.info().name).collect::<Vec<_>>().join(", ");
    let asked = input.asked();
    let title = format!(
        "Coverage in {place}: {} within {}",
        names(&asked),
        threshold_words(query.analysis.threshold)
    );

    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}\
         .map .m {{ fill: {MEETING_COLOUR}; stroke: #fff; stroke-width: 1.5; }}\n\
         .map .g, .map .gc {{ fill: {GAP_COLOUR}; stroke: {GAP_STROKE}; stroke-width: 1; }}\n\
         .map .gc {{ fill-opacity: 0.85; }}\n\
         .map .m.n {{ stroke-width: 0.4; }}\n\
         </style></head><body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    let _ = writeln!(
        out,
        "<p class=\"meta\">Produced on {} by meetingmap from {} meetings. Parameters: <code>{}</code>.</p>",
        input.produced.strftime("%-d %B %Y at %H:%M UTC"),
        amount(input.snapshot.len() as f64),
        escape(&serde_urlencoded::to_string(&query.given).unwrap_or_default())
    );
    banner(&mut out, input);
    executive_summary(&mut out, input, &place);

    out.push_str("<section class=\"map-section\"><h2>Map</h2><figure>");
    let map_info = map(&mut out, input, &projection, &gaps, &title);
    legend(&mut out, input, &map_info, gaps.len());
    out.push_str("</figure></section>\n");
    tables(&mut out, input);
    completeness(&mut out, input, &place);
    comparison(&mut out, input, &projection, &focus);
    by_area(&mut out, input);
    trends(&mut out, input);
    method(&mut out, input);
    out.push_str("</body></html>\n");
    out
}

/// The fellowships without data and the meetings not counted, before anything else is read.
fn banner(out: &mut String, input: &ReportInput) {
    let mut lines: Vec<String> = Vec::new();
    if !input.no_data.is_empty() {
        lines.push(format!(
            "<strong>No data source:</strong> {}. No source this directory imports lists {} \
             meetings, so {} not analysed. This says nothing about whether such meetings exist.",
            escape(
                &input
                    .no_data
                    .iter()
                    .map(|f| f.info().name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            if input.no_data.len() == 1 { "its" } else { "their" },
            if input.no_data.len() == 1 {
                "it is"
            } else {
                "they are"
            },
        ));
    }
    let not_counted: u32 = input.summary.not_counted.values().sum();
    if not_counted > 0 {
        let whom = match input.summary.attribution {
            super::Attribution::Catchment => "beyond the catchment of every point supplied",
            super::Attribution::Boundaries => {
                "outside Great Britain (Ireland, Northern Ireland, the Isle of Man, the Channel Islands)"
            }
            super::Attribution::NearestPoint => {
                "outside Great Britain or too far from any demand point to place"
            }
        };
        lines.push(format!(
            "<span class=\"not-counted\">{} matching meetings {whom} are not counted in any area.</span>",
            amount(not_counted as f64)
        ));
    }
    if let Threshold::Minutes(mode, minutes) = input.query.analysis.threshold {
        lines.push(format!(
            "Reach {} is an <strong>estimate</strong>: {} minutes is taken as {} km in a straight \
             line{}. See the method.",
            mode_words(mode),
            amount(minutes),
            amount((input.query.analysis.threshold.km() * 10.0).round() / 10.0),
            if mode == Mode::Transit {
                ", assuming 10 minutes' walk to and from stops, 10 minutes' wait and 20 km/h on \
                 board, with no timetables"
            } else {
                ", assuming typical speeds and roads 1.3 times longer than the straight line"
            }
        ));
    }
    if lines.is_empty() {
        return;
    }
    out.push_str("<div class=\"banner\" role=\"note\">");
    for line in lines {
        let _ = write!(out, "<p>{line}</p>");
    }
    out.push_str("</div>\n");
}

/// Totals per fellowship over every area shown.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    total: f64,
    within: f64,
    meetings: u32,
    rural: (f64, f64),
    urban: (f64, f64),
    remote: (f64, f64),
    evening: f64,
    weekend: f64,
}

fn totals(areas: &[AreaSummary]) -> BTreeMap<usize, Totals> {
    let mut totals: BTreeMap<usize, Totals> = BTreeMap::new();
    for a in areas {
        let t = totals.entry(a.fellowship.index()).or_default();
        t.total += a.weight_total;
        t.within += a.weight_within_reach;
        t.meetings += a.meetings;
        t.rural.0 += a.rural.weight_total;
        t.rural.1 += a.rural.weight_within_reach;
        t.urban.0 += a.urban.weight_total;
        t.urban.1 += a.urban.weight_within_reach;
        t.remote.0 += a.remote.weight_total;
        t.remote.1 += a.remote.weight_within_reach;
        t.evening += a.share_evening_within_reach * a.weight_total;
        t.weekend += a.share_weekend_within_reach * a.weight_total;
    }
    totals
}

/// Share beyond reach of a (total, within) pair.
fn beyond(part: (f64, f64)) -> Option<f64> {
    (part.0 > 0.0).then(|| (part.0 - part.1) / part.0)
}

/// The summary in words, a sentence per fellowship.
fn executive_summary(out: &mut String, input: &ReportInput, place: &str) {
    let query = input.query;
    let totals = totals(&input.summary.areas);
    let unit = query.demand.weight_unit();
    out.push_str("<section class=\"summary\"><h2>Summary</h2>");
    if input.analysis.fellowships.is_empty() {
        out.push_str("<p class=\"lead\">None of the fellowships asked about has a data source, so there is nothing to analyse.</p>");
    }
    let reach = match query.analysis.threshold {
        Threshold::Km(km) => format!("more than {} km in a straight line", amount(km)),
        Threshold::Minutes(mode, minutes) => {
            format!(
                "more than {} minutes {} (estimated)",
                amount(minutes),
                mode_words(mode)
            )
        }
    };
    for f in &input.analysis.fellowships {
        let t = totals.get(&f.index()).copied().unwrap_or_default();
        if t.total <= 0.0 {
            continue;
        }
        let beyond_all = (t.total - t.within) / t.total;
        let who = match unit {
            Some("residents") => "residents",
            Some(unit) => unit,
            None => "of the weight",
        };
        let mut sentence = format!(
            "In {}, {} of {} {who} ({}) {} {reach} from {} {} meeting",
            escape(place),
            round_words(t.total - t.within),
            round_words(t.total),
            percent(beyond_all),
            if query.demand.is_people() { "live" } else { "are" },
            if f.info().name.starts_with(['A', 'E', 'I', 'O', 'U']) {
                "an"
            } else {
                "a"
            },
            escape(f.info().name),
        );
        let parts: Vec<String> = [("rural", t.rural), ("urban", t.urban)]
            .into_iter()
            .filter_map(|(name, part)| Some(format!("{name} {who} {}", percent(beyond(part)?))))
            .collect();
        if !parts.is_empty() {
            let _ = write!(sentence, "; {}", parts.join(", "));
        }
        if let Some(remote) = beyond(t.remote) {
            let _ = write!(sentence, " (in remote places {})", percent(remote));
        }
        let _ = write!(
            sentence,
            ". {} have an evening meeting (17:00 or later) within reach and {} a weekend one; {} \
             listed here, {} per 100,000.",
            percent(t.evening / t.total),
            percent(t.weekend / t.total),
            match t.meetings {
                0 => "no meetings are".to_string(),
                1 => "1 meeting is".to_string(),
                n => format!("{} meetings are", amount(n as f64)),
            },
            format_args!("{:.1}", t.meetings as f64 * 100_000.0 / t.total)
        );
        let _ = write!(
            out,
            "<p class=\"lead\" data-fellowship=\"{}\">{sentence}</p>",
            f.id()
        );
    }
    out.push_str("</section>\n");
}

/// What the map drew, for its legend.
struct MapInfo {
    meetings: usize,
    choropleth: Option<Fellowship>,
    clustered: bool,
    scale_km: f64,
}

/// Share within reach per district for `fellowship`, from the district rows.
fn district_shares<'a>(input: &ReportInput<'a>, fellowship: Fellowship) -> HashMap<&'a str, f64> {
    let rows = match input.query.level {
        Level::Lad => &input.summary.areas,
        _ => input.districts.map_or(&input.summary.areas, |d| &d.areas),
    };
    rows.iter()
        .filter(|a| a.fellowship == fellowship && a.weight_total > 0.0)
        .map(|a| (a.code.as_str(), a.share_within_reach))
        .collect()
}

/// District outlines in view, coloured by share within reach when `shares` is given.
fn draw_areas(
    out: &mut String,
    input: &ReportInput,
    projection: &Projection,
    shares: Option<&HashMap<&str, f64>>,
) {
    let Some(b) = input.boundaries else { return };
    let query = input.query;
    let view = projection.bbox();
    out.push_str("<g class=\"areas\">");
    // Neighbours first, so the area asked about is drawn over them.
    let mut outlines: Vec<(bool, &boundaries::Outline)> = b
        .outlines()
        .iter()
        .filter(|o| {
            o.bbox[0] <= view[2] && o.bbox[2] >= view[0] && o.bbox[1] <= view[3] && o.bbox[3] >= view[1]
        })
        .map(|o| {
            (
                query
                    .area
                    .as_ref()
                    .is_some_and(|a| input.lookup.contains(a.level, &a.code, &o.code)),
                o,
            )
        })
        .collect();
    outlines.sort_by_key(|(focus, _)| *focus);
    for (focus, o) in outlines {
        let d = outline_path(&o.polygons, projection);
        if d.is_empty() {
            continue;
        }
        let in_question = query.area.is_none() || focus;
        let (class, fill, share) = match shares {
            Some(shares) if in_question && input.lookup.is_gb(&o.code) => match shares.get(o.code.as_str()) {
                Some(&share) => ("area c", Some(share_colour(share)), Some(share)),
                None => ("area c", Some(NO_POINTS_COLOUR), None),
            },
            _ => ("area", None, None),
        };
        let _ = write!(
            out,
            "<path class=\"{class}{}\"{} data-code=\"{}\" d=\"{d}\"><title>{} ({}){}</title></path>",
            if focus { " focus" } else { "" },
            fill.map_or_else(String::new, |f| format!(" style=\"fill:{f}\"")),
            escape(&o.code),
            escape(&o.name),
            escape(&o.code),
            share.map_or_else(String::new, |s| format!(": {} within reach", percent(s))),
        );
    }
    out.push_str("</g>");
}

/// The map; returns what it drew.
fn map(out: &mut String, input: &ReportInput, projection: &Projection, gaps: &[Gap], title: &str) -> MapInfo {
    let query = input.query;
    let points = query.demand.points();
    let _ = write!(
        out,
        "<svg class=\"map\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"map-title map-desc\" \
         width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" data-bbox=\"{}\">\
         <title id=\"map-title\">Map: {}</title>",
        projection
            .bbox()
            .iter()
            .map(|v| format!("{v:.5}"))
            .collect::<Vec<_>>()
            .join(","),
        escape(title),
        w = projection.width,
        h = projection.height,
    );
    let choropleth = input.boundaries.and(input.analysis.fellowships.first().copied());
    let shares = choropleth.map(|f| district_shares(input, f));
    draw_areas(out, input, projection, shares.as_ref());

    // National scale (a view over 150 km across): gaps gathered into clusters, so that thousands
    // of overlapping circles do not paint the country.
    let view = projection.bbox();
    let across_km = (view[2] - view[0]) * projection.kx * 111.32;
    let clustered = across_km > 150.0 && gaps.len() > 200;
    out.push_str("<g class=\"gaps\">");
    if clustered {
        let mut cells: BTreeMap<(i32, i32), (f64, f64, f64, usize)> = BTreeMap::new();
        for gap in gaps {
            let p = &points[gap.point];
            let (x, y) = projection.xy(p.lat, p.lon);
            let key = ((x / CLUSTER_PX).floor() as i32, (y / CLUSTER_PX).floor() as i32);
            let cell = cells.entry(key).or_default();
            cell.0 += x * p.weight.max(1e-9);
            cell.1 += y * p.weight.max(1e-9);
            cell.2 += p.weight.max(1e-9);
            cell.3 += 1;
        }
        let heaviest = cells.values().map(|c| c.2).fold(0.0, f64::max);
        for (sx, sy, weight, count) in cells.values() {
            let r = 2.0 + (CLUSTER_PX * 0.75 - 2.0) * (weight / heaviest).sqrt();
            let _ = write!(
                out,
                "<circle class=\"gc\" cx=\"{}\" cy=\"{}\" r=\"{}\"><title>{count} demand points out of reach, weight {}</title></circle>",
                px(sx / weight),
                px(sy / weight),
                px(r),
                amount(weight.round())
            );
        }
    } else {
        let heaviest = gaps.first().map_or(0.0, |g| points[g.point].weight);
        for gap in gaps.iter().take(MAX_GAP_CIRCLES) {
            let p = &points[gap.point];
            let (x, y) = projection.xy(p.lat, p.lon);
            let share = if heaviest > 0.0 {
                (p.weight / heaviest).sqrt()
            } else {
                0.0
            };
            let r = GAP_MIN_RADIUS + (GAP_MAX_RADIUS - GAP_MIN_RADIUS) * share;
            let _ = write!(
                out,
                "<circle class=\"g\" cx=\"{}\" cy=\"{}\" r=\"{}\"><title>{}</title></circle>",
                px(x),
                px(y),
                px(r),
                escape(&gap_words(input, gap))
            );
        }
    }
    out.push_str("</g>");

    let mut seen: HashSet<(i32, i32)> = HashSet::new();
    // At national scale meetings are small dots, or thousands would hide the map under them.
    let (class, radius, cell) = if across_km > 150.0 {
        ("m n", 1.8, 2.0)
    } else {
        ("m", 4.5, 3.0)
    };
    out.push_str("<g class=\"meetings\">");
    // With no fellowship analysed (none asked about has data), the filter names none, which would
    // match every meeting: none is drawn.
    let analysed = !input.analysis.fellowships.is_empty();
    for (lat, lon, _) in input
        .snapshot
        .rooms_matching(&input.analysis.filter)
        .filter(|_| analysed)
    {
        let (x, y) = projection.xy(lat, lon);
        // One symbol per few pixels: a city's hundreds of meetings would otherwise be most of the file.
        if projection.contains((x, y)) && seen.insert(((x / cell).round() as i32, (y / cell).round() as i32))
        {
            let _ = write!(
                out,
                "<circle class=\"{class}\" cx=\"{}\" cy=\"{}\" r=\"{radius}\"/>",
                px(x),
                px(y)
            );
        }
    }
    out.push_str("</g>");
    place_labels(out, projection);
    let scale = scale_bar(out, projection);
    let _ = writeln!(
        out,
        "<desc id=\"map-desc\">{}{} meeting locations (blue dots) and {} demand points with no \
         meeting within the threshold for at least one fellowship ({}){}.</desc></svg>",
        choropleth.map_or_else(String::new, |f| format!(
            "Districts shaded by the share within reach of {} (darker is fewer). ",
            f.info().name
        )),
        seen.len(),
        if clustered {
            amount(gaps.len() as f64)
        } else {
            gaps_shown(gaps.len())
        },
        if clustered {
            "purple circles gathering nearby points, larger for more weight"
        } else {
            "purple circles, larger for more weight"
        },
        if input.boundaries.is_some() {
            ", over area outlines"
        } else {
            ""
        }
    );
    MapInfo {
        meetings: seen.len(),
        choropleth,
        clustered,
        scale_km: scale,
    }
}

/// The largest places in view, labelled where their labels do not overlap.
fn place_labels(out: &mut String, projection: &Projection) {
    let mut places: Vec<&crate::gazetteer::bundled::PlaceRow> = crate::gazetteer::bundled::places()
        .iter()
        .filter(|p| p.in_gb() && p.population.is_some())
        .filter(|p| projection.contains(projection.xy(p.lat, p.lon)))
        .collect();
    places.sort_by_key(|p| std::cmp::Reverse(p.population));
    let mut taken: Vec<[f64; 4]> = Vec::new();
    out.push_str("<g class=\"labels\">");
    for p in places.into_iter().take(200) {
        if taken.len() == MAX_LABELS {
            break;
        }
        let (x, y) = projection.xy(p.lat, p.lon);
        let width = p.name.chars().count() as f64 * 6.2;
        let (left, top) = (x + 4.0, y - 12.0);
        let bbox = [left - 6.0, top, left + width, top + 16.0];
        let fits = bbox[2] < projection.width && bbox[1] > 0.0;
        let clear = taken
            .iter()
            .all(|t| bbox[2] < t[0] || bbox[0] > t[2] || bbox[3] < t[1] || bbox[1] > t[3]);
        if !fits || !clear {
            continue;
        }
        taken.push(bbox);
        let _ = write!(
            out,
            "<circle cx=\"{}\" cy=\"{}\" r=\"2\" fill=\"#111\"/><text class=\"pl\" x=\"{}\" y=\"{}\">{}</text>",
            px(x),
            px(y),
            px(left),
            px(y - 2.0),
            escape(&p.name)
        );
    }
    out.push_str("</g>");
}

/// A scale bar at the bottom left; returns its length in km.
fn scale_bar(out: &mut String, projection: &Projection) -> f64 {
    let px_per_km = projection.scale / 111.32;
    let km = scale_km(px_per_km, 120.0);
    let length = km * px_per_km;
    let (x, y) = (12.0, projection.height - 14.0);
    let _ = write!(
        out,
        "<g class=\"scale\" data-km=\"{km}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"5\" fill=\"#111\"/>\
         <rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"5\" fill=\"#fff\" stroke=\"#111\" stroke-width=\"0.8\"/>\
         <text x=\"{}\" y=\"{}\">{} km</text></g>",
        px(x),
        px(y),
        px(length / 2.0),
        px(x + length / 2.0),
        px(y),
        px(length / 2.0),
        px(x),
        px(y - 4.0),
        amount(km)
    );
    km
}

/// How many of `total` gap points the map shows, in words.
fn gaps_shown(total: usize) -> String {
    if total > MAX_GAP_CIRCLES {
        format!(
            "the heaviest {} of {}",
            amount(MAX_GAP_CIRCLES as f64),
            amount(total as f64)
        )
    } else {
        amount(total as f64)
    }
}

/// A gap point's tooltip.
fn gap_words(input: &ReportInput, gap: &Gap) -> String {
    let p = &input.query.demand.points()[gap.point];
    let mut words = format!(
        "{}{}: weight {}{}; out of reach of ",
        p.label,
        if p.lad_name.is_empty() {
            String::new()
        } else {
            format!(" ({})", p.lad_name)
        },
        amount(p.weight),
        input
            .query
            .demand
            .weight_unit()
            .map_or_else(String::new, |unit| format!(" ({unit})"))
    );
    let parts: Vec<String> = gap
        .missing
        .iter()
        .map(|c| {
            let nearest = match (c.reach.nearest_km, c.nearest_minutes) {
                (Some(km), Some(min)) => format!("nearest {km:.1} km, about {} min", min.ceil()),
                (Some(km), None) => format!("nearest {km:.1} km"),
                (None, _) => format!("none within {NEAREST_SEARCH_KM} km"),
            };
            format!("{} ({nearest})", c.fellowship.id())
        })
        .collect();
    words.push_str(&parts.join(", "));
    words
}

fn legend(out: &mut String, input: &ReportInput, info: &MapInfo, gaps: usize) {
    let swatch = |shape: &str| {
        format!("<svg width=\"16\" height=\"16\" viewBox=\"0 0 16 16\" aria-hidden=\"true\">{shape}</svg>")
    };
    out.push_str("<figcaption><ul class=\"legend\">");
    if let Some(f) = info.choropleth {
        let _ = write!(
            out,
            "<li class=\"classes\">Share of {} within reach of {}:</li>",
            input.query.demand.weight_unit().unwrap_or("the weight"),
            escape(f.info().name)
        );
        let mut lower = 0.0;
        for (upper, colour) in SHARE_CLASSES {
            let words = if upper >= 100.0 {
                format!("{lower:.0}% or more")
            } else {
                format!("{lower:.0}–{upper:.0}%")
            };
            let _ = write!(
                out,
                "<li>{}{words}</li>",
                swatch(&format!(
                    "<rect x=\"1\" y=\"1\" width=\"14\" height=\"14\" fill=\"{colour}\" stroke=\"#555\"/>"
                ))
            );
            lower = upper;
        }
        let _ = write!(
            out,
            "<li>{}No demand points</li>",
            swatch(&format!(
                "<rect x=\"1\" y=\"1\" width=\"14\" height=\"14\" fill=\"{NO_POINTS_COLOUR}\" stroke=\"#555\"/>"
            ))
        );
        out.push_str("<br>");
    }
    let _ = write!(
        out,
        "<li>{}Meeting location ({} shown)</li>",
        swatch(&format!(
            "<circle cx=\"8\" cy=\"8\" r=\"4\" fill=\"{MEETING_COLOUR}\" stroke=\"#fff\"/>"
        )),
        amount(info.meetings as f64)
    );
    let _ = write!(
        out,
        "<li>{}{} out of reach ({} shown; larger for more weight)</li>",
        swatch(&format!(
            "<circle cx=\"8\" cy=\"8\" r=\"6\" fill=\"{GAP_COLOUR}\" stroke=\"{GAP_STROKE}\"/>"
        )),
        if info.clustered {
            "Demand points gathered"
        } else {
            "Demand point"
        },
        if info.clustered {
            format!("all {}", amount(gaps as f64))
        } else {
            gaps_shown(gaps)
        }
    );
    if input.boundaries.is_some() {
        let _ = write!(
            out,
            "<li>{}Local authority district</li>",
            swatch("<rect x=\"2\" y=\"2\" width=\"12\" height=\"12\" fill=\"#fff\" stroke=\"#9a9a9a\"/>")
        );
    }
    if input.query.area.is_some() && input.boundaries.is_some() {
        let _ = write!(
            out,
            "<li>{}The area reported on</li>",
            swatch("<rect x=\"2\" y=\"2\" width=\"12\" height=\"12\" fill=\"#fffdf2\" stroke=\"#222\" stroke-width=\"2\"/>")
        );
    }
    let _ = write!(
        out,
        "<li>Scale bar: {} km. Place labels: GeoNames.</li>",
        amount(info.scale_km)
    );
    if let Threshold::Minutes(mode, minutes) = input.query.analysis.threshold {
        let _ = write!(
            out,
            "<li class=\"estimate\">Within reach: {} minutes {} is an estimate, taken as {} km in a \
             straight line{}.</li>",
            amount(minutes),
            mode_words(mode),
            amount((input.query.analysis.threshold.km() * 10.0).round() / 10.0),
            if mode == Mode::Transit {
                " (10 minutes' walk to and from stops, 10 minutes' wait, 20 km/h on board; no timetables)"
            } else {
                " (typical speeds, roads 1.3 times the straight line)"
            }
        );
    }
    out.push_str("</ul></figcaption>\n");
}

fn head(unit: &str, worst: bool) -> String {
    format!(
        "<thead><tr><th scope=\"col\">Fellowship</th><th scope=\"col\">Weight{unit}</th>\
         <th scope=\"col\">Within reach</th><th scope=\"col\">Share</th>\
         <th scope=\"col\">Meetings in area</th><th scope=\"col\">Meetings per 100,000</th>\
         <th scope=\"col\">Beyond reach</th><th scope=\"col\">Rural within</th>\
         <th scope=\"col\">Urban within</th><th scope=\"col\">Remote within</th>\
         <th scope=\"col\">Evening within</th><th scope=\"col\">Weekend within</th>{}</tr></thead>",
        if worst {
            "<th scope=\"col\">Worst-served points</th>"
        } else {
            ""
        }
    )
}

fn unit(input: &ReportInput) -> String {
    input
        .query
        .demand
        .weight_unit()
        .map_or_else(String::new, |unit| format!(" ({unit})"))
}

fn tables(out: &mut String, input: &ReportInput) {
    let totals = totals(&input.summary.areas);
    out.push_str("<section><h2>Totals</h2>\n<table class=\"totals\"><caption>All areas shown</caption>");
    out.push_str(&head(&unit(input), false));
    out.push_str("<tbody>");
    for f in &input.analysis.fellowships {
        row(
            out,
            f.info().name,
            &totals.get(&f.index()).copied().unwrap_or_default(),
            None,
        );
    }
    for f in input.no_data {
        no_data_row(out, f.info().name, 11);
    }
    out.push_str("</tbody></table></section>\n");
}

fn no_data_row(out: &mut String, name: &str, columns: usize) {
    let _ = write!(
        out,
        "<tr><th scope=\"row\">{}</th><td class=\"nodata\" colspan=\"{columns}\">no data source</td></tr>",
        escape(name)
    );
}

fn share_cell(part: (f64, f64)) -> String {
    if part.0 > 0.0 {
        format!("{:.1}%", part.1 / part.0 * 100.0)
    } else {
        "–".to_string()
    }
}

fn row(out: &mut String, name: &str, t: &Totals, worst: Option<&str>) {
    let share = if t.total > 0.0 {
        t.within / t.total * 100.0
    } else {
        0.0
    };
    let per_100k = if t.total > 0.0 {
        t.meetings as f64 * 100_000.0 / t.total
    } else {
        0.0
    };
    let _ = write!(
        out,
        "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{share:.1}%</td><td>{}</td><td>{per_100k:.1}</td>\
         <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}</tr>",
        escape(name),
        amount(t.total),
        amount(t.within),
        t.meetings,
        amount(t.total - t.within),
        share_cell(t.rural),
        share_cell(t.urban),
        share_cell(t.remote),
        share_cell((t.total, t.evening)),
        share_cell((t.total, t.weekend)),
        worst.map_or_else(String::new, |w| format!("<td class=\"text\">{}</td>", escape(w)))
    );
}

/// Per fellowship: who lists it, how old the feeds are, meetings per nation, and a warning
/// when the area reported on has far fewer per head than Great Britain.
fn completeness(out: &mut String, input: &ReportInput, place: &str) {
    let asked = input.asked();
    if asked.is_empty() {
        return;
    }
    // Sources of the in-person meetings, per fellowship.
    let mut sources: BTreeMap<(usize, String, String), u32> = BTreeMap::new();
    let snapshot = input.snapshot;
    for i in 0..snapshot.len() as u32 {
        let fellowship = snapshot.fellowship(i);
        if snapshot.is_active(i)
            && snapshot.attendance(i) != Attendance::Online
            && asked.contains(&fellowship)
        {
            let source = snapshot.source(i);
            *sources
                .entry((fellowship.index(), source.id.clone(), source.name.clone()))
                .or_insert(0) += 1;
        }
    }
    let totals = totals(&input.summary.areas);
    let gb_weight: f64 = if input.query.demand.is_people() || input.query.area.is_some() {
        input.query.demand.points().iter().map(|p| p.weight).sum()
    } else {
        0.0
    };
    out.push_str(
        "<section><h2>Completeness of the data</h2>\n<p class=\"small\">Coverage can only be as \
         complete as the meeting lists it is made from. A fellowship without a source is not \
         analysed; a thin source makes an area look worse served than it is.</p>\
         <table class=\"completeness\"><thead><tr><th scope=\"col\">Fellowship</th>\
         <th scope=\"col\">Sources (in-person meetings)</th><th scope=\"col\">Feed dates</th>\
         <th scope=\"col\">Meetings per nation</th><th scope=\"col\">Note</th></tr></thead><tbody>",
    );
    for f in &asked {
        let listed: Vec<String> = sources
            .iter()
            .filter(|((i, _, _), _)| *i == f.index())
            .map(|((_, _, name), n)| format!("{} ({})", name, amount(*n as f64)))
            .collect();
        let dates: Vec<String> = sources
            .keys()
            .filter(|(i, _, _)| *i == f.index())
            .filter_map(|(_, id, _)| input.query.feeds.iter().find(|feed| &feed.id == id))
            .map(|feed| {
                let date = feed.feed_date.map_or_else(
                    || "the feed states no date".to_string(),
                    |d| format!("as of {}", d.strftime("%-d %B %Y")),
                );
                let imported = feed
                    .imported
                    .map_or_else(String::new, |t| format!(", imported {}", t.strftime("%-d %B %Y")));
                format!("{}: {date}{imported}", feed.name)
            })
            .collect();
        let nations: Vec<String> = ["England", "Scotland", "Wales"]
            .into_iter()
            .map(|n| {
                let count = input
                    .summary
                    .per_nation
                    .get(&(n.to_string(), f.index() as u8))
                    .copied()
                    .unwrap_or(0);
                format!("{n} {}", amount(count as f64))
            })
            .collect();
        let not_counted = input
            .summary
            .not_counted
            .get(&(f.index() as u8))
            .copied()
            .unwrap_or(0);
        let mut note = String::new();
        if input.no_data.contains(f) {
            note = "<span class=\"warn\">No data source: not analysed.</span>".to_string();
        } else if let Some(t) = totals.get(&f.index()) {
            let gb_meetings: u32 = input
                .summary
                .per_nation
                .iter()
                .filter(|((_, i), _)| *i == f.index() as u8)
                .map(|(_, n)| n)
                .sum();
            let here = if t.total > 0.0 {
                t.meetings as f64 * 100_000.0 / t.total
            } else {
                0.0
            };
            let gb = if gb_weight > 0.0 {
                gb_meetings as f64 * 100_000.0 / gb_weight
            } else {
                0.0
            };
            if input.query.area.is_some() && gb > 0.0 && here < gb * 0.25 {
                note = format!(
                    "<span class=\"warn\">Thin here: {} listed in {}, {here:.1} per 100,000 \
                     against {gb:.1} across Great Britain. The source may not cover this area well.</span>",
                    match t.meetings {
                        1 => "1 meeting".to_string(),
                        n => format!("{} meetings", amount(n as f64)),
                    },
                    escape(place)
                );
            }
        }
        let _ = write!(
            out,
            "<tr data-fellowship=\"{}\"><th scope=\"row\">{}</th><td class=\"text\">{}</td><td class=\"text\">{}</td>\
             <td class=\"text\">{}{}</td><td class=\"text\">{note}</td></tr>",
            f.id(),
            escape(f.info().name),
            if listed.is_empty() { "none".to_string() } else { escape(&listed.join("; ")) },
            if dates.is_empty() { "not known".to_string() } else { escape(&dates.join("; ")) },
            nations.join(", "),
            if not_counted > 0 {
                format!("; not counted {}", amount(not_counted as f64))
            } else {
                String::new()
            },
        );
    }
    out.push_str("</tbody></table></section>\n");
}

/// A district by fellowship table, and a small map per fellowship, when there is more than one
/// of either.
fn comparison(
    out: &mut String,
    input: &ReportInput,
    projection: &Projection,
    focus: &[&boundaries::Outline],
) {
    let rows = match input.query.level {
        Level::Lad => &input.summary.areas,
        _ => input.districts.map_or(&input.summary.areas, |d| &d.areas),
    };
    let mut districts: Vec<(&str, &str)> = rows.iter().map(|a| (a.code.as_str(), a.name.as_str())).collect();
    districts.dedup();
    let fellowships = &input.analysis.fellowships;
    if (districts.len() < 2 && fellowships.len() + input.no_data.len() < 2) || districts.len() > 400 {
        return;
    }
    out.push_str("<section class=\"comparison\"><h2>Fellowships compared, by district</h2>\n");
    if input.boundaries.is_some() && fellowships.len() > 1 {
        out.push_str("<div class=\"multiples\">");
        let small = Projection {
            scale: projection.scale * 240.0 / projection.width,
            width: 240.0,
            height: (projection.height * 240.0 / projection.width).round(),
            ..*projection
        };
        for f in fellowships {
            let shares = district_shares(input, *f);
            let _ = write!(
                out,
                "<figure><svg class=\"map small\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" \
                 width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\"><title>{}: share within reach by district</title>",
                escape(f.info().name),
                w = small.width,
                h = small.height
            );
            draw_areas(out, input, &small, Some(&shares));
            let _ = write!(
                out,
                "</svg><figcaption>{}</figcaption></figure>",
                escape(f.info().name)
            );
        }
        out.push_str("</div>\n");
        let _ = focus;
    }
    out.push_str("<table class=\"districts\"><thead><tr><th scope=\"col\">District</th>");
    for f in fellowships.iter().chain(input.no_data) {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(f.info().name));
    }
    out.push_str("</tr></thead><tbody>");
    for (code, name) in districts {
        let _ = write!(
            out,
            "<tr data-code=\"{}\"><th scope=\"row\">{}</th>",
            escape(code),
            escape(name)
        );
        for f in fellowships {
            match rows.iter().find(|a| a.code == code && a.fellowship == *f) {
                Some(a) if a.weight_total > 0.0 => {
                    // White on the two darkest classes, so that every figure reads.
                    let colour = share_colour(a.share_within_reach);
                    let dark = colour == SHARE_CLASSES[0].1 || colour == SHARE_CLASSES[1].1;
                    let _ = write!(
                        out,
                        "<td{} style=\"background:{colour}\">{:.1}%</td>",
                        if dark { " class=\"dark\"" } else { "" },
                        a.share_within_reach * 100.0
                    );
                }
                _ => out.push_str("<td>–</td>"),
            }
        }
        for _ in input.no_data {
            out.push_str("<td class=\"nodata\">no data source</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table><p class=\"small\">Share of the weight within reach; cells shaded as on the map.</p></section>\n");
}

fn by_area(out: &mut String, input: &ReportInput) {
    let areas = &input.summary.areas;
    out.push_str("<h2>By area</h2>\n");
    if areas.is_empty() {
        out.push_str("<p>No demand points fall in the areas asked about.</p>\n");
    }
    for (i, a) in areas.iter().enumerate() {
        if i == 0 || areas[i - 1].code != a.code {
            let code = if a.code == a.name {
                String::new()
            } else {
                format!(" <span class=\"small\">{}</span>", escape(&a.code))
            };
            let _ = write!(
                out,
                "<section><h3>{}{code}</h3><table class=\"area\" data-code=\"{}\">{}<tbody>",
                escape(&a.name),
                escape(&a.code),
                head(&unit(input), true)
            );
        }
        let worst: Vec<String> = a
            .worst_served
            .iter()
            .map(|p| {
                let nearest = p.nearest_km.map_or_else(
                    || format!("none within {NEAREST_SEARCH_KM} km"),
                    |km| format!("{km:.1} km"),
                );
                format!("{} ({}; nearest {nearest})", p.label, amount(p.weight))
            })
            .collect();
        let t = Totals {
            total: a.weight_total,
            within: a.weight_within_reach,
            meetings: a.meetings,
            rural: (a.rural.weight_total, a.rural.weight_within_reach),
            urban: (a.urban.weight_total, a.urban.weight_within_reach),
            remote: (a.remote.weight_total, a.remote.weight_within_reach),
            evening: a.share_evening_within_reach * a.weight_total,
            weekend: a.share_weekend_within_reach * a.weight_total,
        };
        row(out, a.fellowship.info().name, &t, Some(&worst.join("; ")));
        if areas.get(i + 1).is_none_or(|next| next.code != a.code) {
            for f in input.no_data {
                no_data_row(out, f.info().name, 12);
            }
            out.push_str("</tbody></table></section>\n");
        }
    }
}

/// The change since the date asked for, from the summaries stored at imports.
fn trends(out: &mut String, input: &ReportInput) {
    let Some(since) = input.query.since else { return };
    out.push_str("<section class=\"trends\"><h2>Change since ");
    let _ = writeln!(out, "{}</h2>", since.strftime("%-d %B %Y"));
    let Some(baseline) = &input.query.baseline else {
        out.push_str("<p>No coverage summary was stored at an import on or before that date, so no change can be shown.</p></section>\n");
        return;
    };
    let (level, code) = match &input.query.area {
        Some(a) => (a.level.as_str().to_string(), a.code.clone()),
        None => ("nation".to_string(), String::new()),
    };
    let _ = write!(
        out,
        "<p class=\"small\">Summaries stored at the imports of {} and {}, at {} km in a straight \
         line over the small areas (whatever this report's own threshold), so the two are alike.</p>\
         <table class=\"trend\"><thead><tr><th scope=\"col\">Area</th><th scope=\"col\">Fellowship</th>\
         <th scope=\"col\">Meetings then</th><th scope=\"col\">Meetings now</th>\
         <th scope=\"col\">Within reach then</th><th scope=\"col\">Within reach now</th></tr></thead><tbody>",
        baseline.then_at.strftime("%-d %B %Y"),
        baseline.now_at.strftime("%-d %B %Y"),
        super::trends::TREND_KM
    );
    let mut any = false;
    for now in baseline
        .now
        .iter()
        .filter(|r| r.level == level && (code.is_empty() || r.code == code))
    {
        let then = baseline
            .then
            .iter()
            .find(|r| r.level == now.level && r.code == now.code && r.fellowship == now.fellowship);
        let share = |r: &super::trends::TrendRow| {
            if r.residents > 0.0 {
                format!("{:.1}%", r.within_reach / r.residents * 100.0)
            } else {
                "–".into()
            }
        };
        any = true;
        let name = Fellowship::parse(&now.fellowship).map_or(now.fellowship.as_str(), |f| f.info().name);
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td class=\"text\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&now.code),
            escape(name),
            then.map_or_else(|| "–".into(), |t| amount(t.meetings as f64)),
            amount(now.meetings as f64),
            then.map_or_else(|| "–".into(), share),
            share(now)
        );
    }
    if !any {
        out.push_str("<tr><td colspan=\"6\">No stored summary for this area.</td></tr>");
    }
    out.push_str("</tbody></table></section>\n");
}

fn method(out: &mut String, input: &ReportInput) {
    let query = input.query;
    let threshold = query.analysis.threshold;
    out.push_str("<section class=\"method\"><h2>Method</h2>\n");
    let _ = writeln!(
        out,
        "<p>Demand points are {}. Weights used: {}. For each point and fellowship, the nearest \
         meeting is found (looked for up to {NEAREST_SEARCH_KM} km) and the weekly meetings \
         within {} are counted; a point is within reach when there is at least one. Evening \
         means a meeting starting at 17:00 or later; weekend, on a Saturday or Sunday.</p>",
        escape(query.demand.describe()),
        query.demand.weight_unit().unwrap_or("as supplied"),
        escape(&threshold_words(threshold))
    );
    let _ = writeln!(
        out,
        "<p>Rural and urban: each small area's official class (ONS Rural-Urban Classification \
         2021 in England and Wales; the Scottish Government Urban Rural Classification 2016 in \
         Scotland, classes 1–2 urban and 3–6 rural, the same 10,000-resident threshold); remote: \
         \"further from a major town or city\" in England and Wales, classes 4 and 6 (over 30 \
         minutes' drive from a settlement of 10,000) in Scotland. Other demand points take the \
         class of the nearest small area.</p>"
    );
    if let Threshold::Minutes(mode, _) = threshold {
        let _ = writeln!(
            out,
            "<p>Minutes are an <strong>estimate</strong>, turned into a straight-line distance \
             ({} km) by meetingmap's offline estimate {}: great-circle distance with a road \
             circuity of 1.3 at typical speeds; public transport assumes 10 minutes walking to \
             and from stops, 10 minutes waiting and 20 km/h riding, as no timetables are used. \
             Treat times as a guide.</p>",
            amount((threshold.km() * 100.0).round() / 100.0),
            mode_words(mode)
        );
    }
    let _ = writeln!(
        out,
        "<p>A meeting counts when it is held in person or hybrid (online-only meetings are not \
         anywhere), is not temporarily closed, and matches the parameters given (fellowship, \
         access, attendance, days, start times, types). Fellowships not named are those the \
         directory lists meetings of; named ones without a source are marked \"no data \
         source\", never 0%. Points are added up by {}; {}. Meetings per 100,000 divides the \
         meetings in an area by its weight. The worst-served points are the heaviest ones out of \
         reach.</p>",
        query.level.label(),
        escape(&input.summary.attribution.describe(threshold.km()))
    );
    let _ = writeln!(
        out,
        "<p>Produced on {}. Meeting data: as listed by each source's own feed, with attribution \
         at <code>/v1/sources</code>.{}</p>\n<pre class=\"attribution\">{}</pre></section>",
        input.produced.strftime("%-d %B %Y at %H:%M UTC"),
        if input.boundaries.is_some() {
            " Area outlines: from the boundary file the report was made with (for ONS \
             boundaries: Source: Office for National Statistics licensed under the Open \
             Government Licence v.3.0; contains OS data © Crown copyright and database right)."
        } else {
            ""
        },
        escape(data_attribution())
    );
}

#[cfg(test)]
mod tests;
