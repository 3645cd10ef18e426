//! The coverage report: one self-contained HTML page (inline stylesheet, no scripts, fonts,
//! images or requests) with a map of meetings and gap points over area outlines, a legend, a
//! table per area and the method in words.
//!
//! The map is an inline SVG drawn here: longitude and latitude are projected equirectangularly
//! with the longitude scaled by the cosine of the view's middle latitude (true to shape at GB
//! scales), fitted to the area shown. Outlines are clipped to the view and simplified to half a
//! pixel, so a district's report stays small however detailed the boundary file is.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

use jiff::Timestamp;

use super::CoverageQuestion;
use crate::coverage::boundaries::{self, Boundaries, Ring};
use crate::coverage::{AreaLookup, AreaSummary, PointCoverage, Threshold, NEAREST_SEARCH_KM};
use crate::formats::html::escape;
use crate::search::Snapshot;

/// Width of the map in pixels, and its greatest height.
const MAP_WIDTH: f64 = 800.0;
const MAP_MAX_HEIGHT: f64 = 900.0;
/// Gap circles' radius range in pixels (by the square root of the weight, so area shows weight).
const GAP_MIN_RADIUS: f64 = 3.0;
const GAP_MAX_RADIUS: f64 = 12.0;
/// Most gap circles drawn (the heaviest): all of GB at a short threshold has ten thousand, and
/// each carries its tooltip.
const MAX_GAP_CIRCLES: usize = 3_000;
/// Outline vertices closer than this (in pixels) to the simplified line are dropped.
const OUTLINE_TOLERANCE_PX: f64 = 0.5;

/// Colours of the map and its legend; the screenshot test looks for the first two.
pub const MEETING_COLOUR: &str = "#1f5fbf";
pub const GAP_COLOUR: &str = "#e0301e";
const GAP_STROKE: &str = "#6b1208";

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; font-size: 11pt; color: #111; margin: 1.5em; max-width: 60em; }
h1 { font-size: 16pt; margin: 0 0 0.3em; }
h2 { font-size: 13pt; margin: 1.5em 0 0.4em; }
h3 { font-size: 11pt; margin: 1.2em 0 0.3em; }
p.meta { color: #333; margin: 0 0 1em; }
svg.map { display: block; background: #f6f5f0; border: 1px solid #999; max-width: 100%; height: auto; }
.map .area { fill: #ffffff; stroke: #9a9a9a; stroke-width: 0.6; }
.map .area.focus { fill: #fffdf2; stroke: #222; stroke-width: 2; }
ul.legend { list-style: none; padding: 0; margin: 0.5em 0 1em; }
ul.legend li { display: inline-block; margin-right: 1.5em; }
ul.legend svg { vertical-align: middle; margin-right: 0.3em; }
table { border-collapse: collapse; margin: 0.3em 0 1em; }
th, td { border: 1px solid #888; padding: 0.3em 0.5em; text-align: right; vertical-align: top; }
th { background: #eee; }
th[scope=row], td.text { text-align: left; }
.small { font-size: 9pt; color: #333; }
pre.attribution { font-size: 8.5pt; white-space: pre-wrap; }
@media print { body { margin: 0; } section { break-inside: avoid; } }
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
    /// [`crate::coverage::analyse`] of the query's points.
    pub coverage: &'a [PointCoverage],
    /// [`crate::coverage::summarise`] of it.
    pub areas: &'a [AreaSummary],
    pub lookup: &'a AreaLookup,
    pub boundaries: Option<&'a Boundaries>,
    pub produced: Timestamp,
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
            format!("{} minutes by {} (estimated)", amount(minutes), mode.as_str())
        }
    }
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
    let (area, level) = (query.area.as_deref(), query.level);
    let in_view = |i: usize| area.is_none_or(|a| input.lookup.area(&points[i], level).0 == a);

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

    let focus: Vec<&boundaries::Outline> = match (area, input.boundaries) {
        (Some(code), Some(b)) => b
            .outlines()
            .iter()
            .filter(|o| input.lookup.contains(level, code, &o.code))
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

    let mut title = format!(
        "Coverage: {} within {}",
        query
            .analysis
            .fellowships
            .iter()
            .map(|f| f.info().name)
            .collect::<Vec<_>>()
            .join(", "),
        threshold_words(query.analysis.threshold)
    );
    if let Some(code) = area {
        let name = input
            .areas
            .iter()
            .find(|a| a.code == code)
            .map_or(code, |a| a.name.as_str());
        let _ = write!(title, ", {name}");
    }

    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}\
         .map .m {{ fill: {MEETING_COLOUR}; }}\n\
         .map .g {{ fill: {GAP_COLOUR}; stroke: {GAP_STROKE}; stroke-width: 0.8; }}\n\
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

    let meeting_count = map(&mut out, input, &projection, &gaps, &title);
    legend(
        &mut out,
        meeting_count,
        gaps.len(),
        input.boundaries.is_some(),
        !focus.is_empty(),
    );
    tables(&mut out, input);
    method(&mut out, input);
    out.push_str("</body></html>\n");
    out
}

/// The map; returns how many meeting dots it shows.
fn map(out: &mut String, input: &ReportInput, projection: &Projection, gaps: &[Gap], title: &str) -> usize {
    let query = input.query;
    let points = query.demand.points();
    let area = query.area.as_deref();
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

    if let Some(b) = input.boundaries {
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
                    area.is_some_and(|a| input.lookup.contains(query.level, a, &o.code)),
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
            let _ = write!(
                out,
                "<path class=\"area{}\" data-code=\"{}\" d=\"{d}\"><title>{} ({})</title></path>",
                if focus { " focus" } else { "" },
                escape(&o.code),
                escape(&o.name),
                escape(&o.code),
            );
        }
        out.push_str("</g>");
    }

    let mut seen: HashSet<(i32, i32)> = HashSet::new();
    out.push_str("<g class=\"meetings\">");
    for (lat, lon, _) in input.snapshot.rooms_matching(&query.analysis.filter) {
        let (x, y) = projection.xy(lat, lon);
        // One dot per pixel: a city's hundreds of meetings would otherwise be most of the file.
        if projection.contains((x, y)) && seen.insert((x.round() as i32, y.round() as i32)) {
            let _ = write!(
                out,
                "<circle class=\"m\" cx=\"{}\" cy=\"{}\" r=\"2\"/>",
                px(x),
                px(y)
            );
        }
    }
    out.push_str("</g><g class=\"gaps\">");
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
    let _ = writeln!(
        out,
        "</g><desc id=\"map-desc\">{} meeting locations (blue dots) and {} demand points with no \
         meeting within the threshold for at least one fellowship (red circles, larger for more \
         weight){}.</desc></svg>",
        seen.len(),
        gaps_shown(gaps.len()),
        if input.boundaries.is_some() {
            ", over area outlines"
        } else {
            ""
        }
    );
    seen.len()
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

fn legend(out: &mut String, meetings: usize, gaps: usize, outlines: bool, focus: bool) {
    let swatch = |shape: &str| {
        format!("<svg width=\"16\" height=\"16\" viewBox=\"0 0 16 16\" aria-hidden=\"true\">{shape}</svg>")
    };
    out.push_str("<ul class=\"legend\">");
    let _ = write!(
        out,
        "<li>{}Meeting location ({} shown)</li>",
        swatch(&format!(
            "<circle cx=\"8\" cy=\"8\" r=\"3\" fill=\"{MEETING_COLOUR}\"/>"
        )),
        amount(meetings as f64)
    );
    let _ = write!(
        out,
        "<li>{}Demand point out of reach ({} shown; larger for more weight)</li>",
        swatch(&format!(
            "<circle cx=\"8\" cy=\"8\" r=\"6\" fill=\"{GAP_COLOUR}\" stroke=\"{GAP_STROKE}\"/>"
        )),
        gaps_shown(gaps)
    );
    if outlines {
        let _ = write!(
            out,
            "<li>{}Local authority district</li>",
            swatch("<rect x=\"2\" y=\"2\" width=\"12\" height=\"12\" fill=\"#fff\" stroke=\"#9a9a9a\"/>")
        );
    }
    if focus {
        let _ = write!(
            out,
            "<li>{}The area reported on</li>",
            swatch("<rect x=\"2\" y=\"2\" width=\"12\" height=\"12\" fill=\"#fffdf2\" stroke=\"#222\" stroke-width=\"2\"/>")
        );
    }
    out.push_str("</ul>\n");
}

fn tables(out: &mut String, input: &ReportInput) {
    let unit = input
        .query
        .demand
        .weight_unit()
        .map_or_else(String::new, |unit| format!(" ({unit})"));
    let head = |worst: bool| {
        format!(
            "<thead><tr><th scope=\"col\">Fellowship</th><th scope=\"col\">Weight{unit}</th>\
             <th scope=\"col\">Within reach</th><th scope=\"col\">Share</th>\
             <th scope=\"col\">Meetings in area</th><th scope=\"col\">Meetings per 10,000</th>{}</tr></thead>",
            if worst { "<th scope=\"col\">Worst-served points</th>" } else { "" }
        )
    };
    // Every area shown, added up per fellowship.
    let mut totals: BTreeMap<usize, (f64, f64, u32)> = BTreeMap::new();
    for a in input.areas {
        let t = totals.entry(a.fellowship.index()).or_default();
        t.0 += a.weight_total;
        t.1 += a.weight_within_reach;
        t.2 += a.meetings;
    }
    out.push_str("<h2>Summary</h2>\n<table class=\"totals\"><caption>All areas shown</caption>");
    out.push_str(&head(false));
    out.push_str("<tbody>");
    for f in &input.query.analysis.fellowships {
        let (total, within, meetings) = totals.get(&f.index()).copied().unwrap_or_default();
        row(out, f.info().name, total, within, meetings, None);
    }
    out.push_str("</tbody></table>\n<h2>By area</h2>\n");
    if input.areas.is_empty() {
        out.push_str("<p>No demand points fall in the areas asked about.</p>\n");
    }
    for (i, a) in input.areas.iter().enumerate() {
        if i == 0 || input.areas[i - 1].code != a.code {
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
                head(true)
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
        row(
            out,
            a.fellowship.info().name,
            a.weight_total,
            a.weight_within_reach,
            a.meetings,
            Some(&worst.join("; ")),
        );
        if input.areas.get(i + 1).is_none_or(|next| next.code != a.code) {
            out.push_str("</tbody></table></section>\n");
        }
    }
}

fn row(out: &mut String, name: &str, total: f64, within: f64, meetings: u32, worst: Option<&str>) {
    let share = if total > 0.0 { within / total * 100.0 } else { 0.0 };
    let per_10k = if total > 0.0 {
        meetings as f64 * 10_000.0 / total
    } else {
        0.0
    };
    let _ = write!(
        out,
        "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{share:.1}%</td><td>{}</td><td>{per_10k:.2}</td>{}</tr>",
        escape(name),
        amount(total),
        amount(within),
        meetings,
        worst.map_or_else(String::new, |w| format!("<td class=\"text\">{}</td>", escape(w)))
    );
}

fn method(out: &mut String, input: &ReportInput) {
    let query = input.query;
    let threshold = query.analysis.threshold;
    out.push_str("<h2>Method</h2>\n");
    let _ = writeln!(
        out,
        "<p>Demand points are {}. For each point and fellowship, the nearest meeting is found \
         (looked for up to {NEAREST_SEARCH_KM} km) and the weekly meetings within {} are counted; \
         a point is within reach when there is at least one.</p>",
        escape(query.demand.describe()),
        escape(&threshold_words(threshold))
    );
    if let Threshold::Minutes(mode, _) = threshold {
        let _ = writeln!(
            out,
            "<p>Minutes are turned into a straight-line distance ({} km) by meetingmap's offline \
             estimate for {}: great-circle distance with a road circuity of 1.3 at typical \
             speeds; transit assumes 10 minutes walking to and from stops, 10 minutes waiting and \
             20 km/h riding, as no timetables are used. Treat times as a guide.</p>",
            amount((threshold.km() * 100.0).round() / 100.0),
            mode.as_str()
        );
    }
    let _ = writeln!(
        out,
        "<p>A meeting counts when it is held in person or hybrid (online-only meetings are not \
         anywhere), is not temporarily closed, and matches the parameters given (fellowship, \
         access, attendance, days, start times, types). Points are added up by {}; each meeting \
         is counted in the area of the demand point nearest to it. Meetings per 10,000 divides \
         the meetings in an area by its weight. The worst-served points are the heaviest ones \
         out of reach.</p>",
        match query.level {
            crate::coverage::Level::Lad => "local authority district",
            crate::coverage::Level::Utla => "upper-tier authority (in Wales, local health board)",
            crate::coverage::Level::Nation => "nation",
        }
    );
    let _ = writeln!(
        out,
        "<p>Produced on {}. Meeting data: as listed by each source's own feed, with attribution \
         at <code>/v1/sources</code>.{}</p>\n<pre class=\"attribution\">{}</pre>",
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
