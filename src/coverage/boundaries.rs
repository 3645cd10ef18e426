//! Area outlines for the coverage report's map and the summary's GeoJSON: a GeoJSON
//! FeatureCollection of Polygon and MultiPolygon features with `code` and `name` properties (such
//! as ONS's local authority district boundaries, `uk-lad-2024-bgc.geojson`), simplified once when
//! read. [`Boundaries::shape`] gives an area's outline at any [`Level`]: upper-tier authorities
//! and nations are the union of their districts.

use std::collections::HashMap;
use std::fmt::Write;
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

use anyhow::{bail, Context};
use geo::orient::Direction;
use geo::{unary_union, Contains, Coord, LineString, MultiPolygon, Orient, Polygon, Simplify};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;
use serde_json::Value;

use super::{AreaLookup, Level};

/// Tolerance of the simplification done when reading, in degrees (about 20 m north-south): finer
/// than any map of a district shows, and it makes a detailed boundary file several times smaller.
pub const READ_TOLERANCE_DEG: f64 = 0.0002;

/// A closed ring of `[lon, lat]` positions (first equals last).
pub type Ring = Vec<[f64; 2]>;

/// One area's outline.
#[derive(Debug, Clone, PartialEq)]
pub struct Outline {
    pub code: String,
    pub name: String,
    /// Polygons, each its outer ring followed by its holes.
    pub polygons: Vec<Vec<Ring>>,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: [f64; 4],
}

/// Outlines by area code.
#[derive(Debug, Default)]
pub struct Boundaries {
    outlines: Vec<Outline>,
    by_code: HashMap<String, usize>,
    /// Area shapes by code, per [`Level`] (in `Level` order), made on first use.
    shapes: [OnceLock<HashMap<String, MultiPolygon<f64>>>; 3],
    /// The outlines as polygons in an index of their boxes, for [`Boundaries::containing`].
    index: OnceLock<RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>>,
    polygons: OnceLock<Vec<MultiPolygon<f64>>>,
}

impl Boundaries {
    /// Reads a FeatureCollection file.
    pub fn load(path: &Path) -> anyhow::Result<Boundaries> {
        let file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        Boundaries::read(std::io::BufReader::new(file))
            .with_context(|| format!("{} is not a usable boundary file", path.display()))
    }

    /// Reads a FeatureCollection. Every feature needs a `code` and a `name` property and a
    /// Polygon or MultiPolygon geometry; rings are closed if they were not.
    pub fn read(input: impl Read) -> anyhow::Result<Boundaries> {
        let json: Value = serde_json::from_reader(input).context("not JSON")?;
        if json["type"] != "FeatureCollection" {
            bail!("not a GeoJSON FeatureCollection");
        }
        let mut boundaries = Boundaries::default();
        for (i, feature) in json["features"].as_array().into_iter().flatten().enumerate() {
            let property = |name: &str| {
                feature["properties"][name]
                    .as_str()
                    .map(str::to_string)
                    .with_context(|| format!("feature {i} has no `{name}` property"))
            };
            let (code, name) = (property("code")?, property("name")?);
            let geometry = &feature["geometry"];
            let coordinates = &geometry["coordinates"];
            let polygons = match geometry["type"].as_str() {
                Some("Polygon") => vec![polygon(coordinates)],
                Some("MultiPolygon") => coordinates
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(polygon)
                    .collect(),
                _ => bail!("feature {i} ({code}) is not a Polygon or MultiPolygon"),
            }
            .into_iter()
            .collect::<anyhow::Result<Vec<_>>>()
            .with_context(|| format!("feature {i} ({code})"))?;
            let polygons: Vec<Vec<Ring>> = polygons.into_iter().filter(|p| !p.is_empty()).collect();
            let bbox = polygons
                .iter()
                .flatten()
                .flatten()
                .fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |b, &[lon, lat]| {
                    [b[0].min(lon), b[1].min(lat), b[2].max(lon), b[3].max(lat)]
                });
            boundaries.by_code.insert(code.clone(), boundaries.outlines.len());
            boundaries.outlines.push(Outline {
                code,
                name,
                polygons,
                bbox,
            });
        }
        Ok(boundaries)
    }

    pub fn get(&self, code: &str) -> Option<&Outline> {
        self.by_code.get(code).map(|&i| &self.outlines[i])
    }

    pub fn outlines(&self) -> &[Outline] {
        &self.outlines
    }

    /// The outline containing (`lat`, `lon`), if any (the first, should outlines overlap).
    pub fn containing(&self, lat: f64, lon: f64) -> Option<&Outline> {
        let polygons = self.polygons.get_or_init(|| {
            self.outlines
                .iter()
                .map(|o| MultiPolygon(o.polygons.iter().filter_map(|r| to_polygon(r)).collect()))
                .collect()
        });
        let index = self.index.get_or_init(|| {
            RTree::bulk_load(
                self.outlines
                    .iter()
                    .enumerate()
                    .map(|(i, o)| {
                        GeomWithData::new(
                            Rectangle::from_corners([o.bbox[0], o.bbox[1]], [o.bbox[2], o.bbox[3]]),
                            i,
                        )
                    })
                    .collect(),
            )
        });
        let point = geo::Point::new(lon, lat);
        index
            .locate_all_at_point(&[lon, lat])
            .find(|candidate| polygons[candidate.data].contains(&point))
            .map(|candidate| &self.outlines[candidate.data])
    }

    /// The outline of the area `code` at `level`, exterior rings counterclockwise and holes
    /// clockwise (RFC 7946's right-hand rule), positions rounded to [`SHAPE_DECIMALS`]: a
    /// district's own polygons, or the union of the districts `lookup` puts in an upper-tier
    /// authority or nation. The union of every area at a level is made once, on first use.
    pub fn shape(&self, lookup: &AreaLookup, level: Level, code: &str) -> Option<&MultiPolygon<f64>> {
        let index = match level {
            Level::Lad => 0,
            Level::Utla => 1,
            Level::Nation => 2,
        };
        self.shapes[index]
            .get_or_init(|| self.shapes_at(lookup, level))
            .get(code)
    }

    fn shapes_at(&self, lookup: &AreaLookup, level: Level) -> HashMap<String, MultiPolygon<f64>> {
        let mut members: HashMap<&str, Vec<Polygon<f64>>> = HashMap::new();
        for outline in &self.outlines {
            if let Some(area) = lookup.code_of(level, &outline.code) {
                members
                    .entry(area)
                    .or_default()
                    .extend(outline.polygons.iter().filter_map(|rings| to_polygon(rings)));
            }
        }
        members
            .into_iter()
            // Districts share edges: the union leaves the area's outline, not theirs. A district's
            // own polygons go through it too, as simplifying can make a ring cross itself.
            .map(|(code, polygons)| (code.to_string(), for_geojson(&unary_union(&polygons))))
            .collect()
    }
}

/// Decimal places of the positions in [`Boundaries::shape`]: 10 cm, finer than the 20 m the
/// outlines are simplified to.
pub const SHAPE_DECIMALS: i32 = 6;

/// The rings as a polygon oriented by the right-hand rule: files wind rings either way, and a
/// union reads a ring wound unlike the first as a hole.
fn to_polygon(rings: &[Ring]) -> Option<Polygon<f64>> {
    let line = |ring: &Ring| -> LineString<f64> { ring.iter().map(|&[x, y]| (x, y)).collect() };
    let (exterior, holes) = rings.split_first()?;
    Some(Polygon::new(line(exterior), holes.iter().map(line).collect()).orient(Direction::Default))
}

/// Rings smaller than this once rounded, in square degrees (about 1 m²): slivers a union leaves,
/// enclosing nothing.
const MIN_RING_AREA: f64 = 1e-10;

/// Rounded, and wound by the right-hand rule as RFC 7946 checkers measure it (by the sign of the
/// ring's area); rings that enclose nothing once rounded (too short, all in a line, slivers) are
/// dropped (a polygon with its exterior).
fn for_geojson(shape: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let scale = 10f64.powi(SHAPE_DECIMALS);
    let ring = |line: &LineString<f64>, counterclockwise: bool| -> Option<LineString<f64>> {
        let mut coords: Vec<Coord<f64>> = line
            .0
            .iter()
            .map(|c| Coord {
                x: (c.x * scale).round() / scale,
                y: (c.y * scale).round() / scale,
            })
            .collect();
        coords.dedup();
        let mut ring = LineString(coords);
        ring.close();
        let twice_area: f64 = ring.0.windows(2).map(|w| w[0].x * w[1].y - w[1].x * w[0].y).sum();
        if ring.0.len() < 4 || twice_area.abs() < 2.0 * MIN_RING_AREA {
            return None;
        }
        if (twice_area > 0.0) != counterclockwise {
            ring.0.reverse();
        }
        Some(ring)
    };
    let polygons = shape
        .0
        .iter()
        .filter_map(|p| {
            let exterior = ring(p.exterior(), true)?;
            let holes = p.interiors().iter().filter_map(|h| ring(h, false)).collect();
            Some(Polygon::new(exterior, holes))
        })
        .collect();
    MultiPolygon(polygons)
}

/// An RFC 7946 MultiPolygon geometry of `shape` (already oriented and rounded), as JSON text:
/// written directly, as a country's outline is tens of thousands of positions.
pub fn geojson_geometry(shape: &MultiPolygon<f64>) -> String {
    let mut out = String::from(r#"{"type":"MultiPolygon","coordinates":["#);
    for (i, polygon) in shape.0.iter().enumerate() {
        out.push_str(if i == 0 { "[" } else { ",[" });
        for (j, ring) in std::iter::once(polygon.exterior())
            .chain(polygon.interiors())
            .enumerate()
        {
            out.push_str(if j == 0 { "[" } else { ",[" });
            for (k, c) in ring.0.iter().enumerate() {
                // f64's Display is the shortest text that reads back as the same number.
                let _ = write!(out, "{}[{},{}]", if k == 0 { "" } else { "," }, c.x, c.y);
            }
            out.push(']');
        }
        out.push(']');
    }
    out.push_str("]}");
    out
}

/// A polygon's rings, simplified; an outer ring that simplifies away leaves no polygon, and holes
/// that do are dropped.
fn polygon(rings: &Value) -> anyhow::Result<Vec<Ring>> {
    let mut out = Vec::new();
    for (i, ring) in rings.as_array().into_iter().flatten().enumerate() {
        let mut positions = Vec::new();
        for position in ring.as_array().into_iter().flatten() {
            match (position[0].as_f64(), position[1].as_f64()) {
                (Some(lon), Some(lat))
                    if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) =>
                {
                    positions.push([lon, lat])
                }
                _ => bail!("a position is not [lon, lat] in degrees: {position}"),
            }
        }
        let ring = simplify(close(positions), READ_TOLERANCE_DEG);
        match (i, ring) {
            (_, Some(ring)) => out.push(ring),
            (0, None) => return Ok(Vec::new()),
            (_, None) => {}
        }
    }
    Ok(out)
}

/// The ring with its first position repeated at the end when it was not.
pub fn close(mut ring: Ring) -> Ring {
    if let (Some(&first), Some(&last)) = (ring.first(), ring.last()) {
        if first != last {
            ring.push(first);
        }
    }
    ring
}

/// Douglas–Peucker simplification of a closed ring to `tolerance` (in the ring's units); `None`
/// when too little is left to enclose anything.
pub fn simplify(ring: Ring, tolerance: f64) -> Option<Ring> {
    let line: LineString<f64> = ring.into_iter().map(|[x, y]| (x, y)).collect();
    let simple: Ring = line
        .simplify(tolerance)
        .0
        .into_iter()
        .map(|c| [c.x, c.y])
        .collect();
    (simple.len() >= 4).then_some(simple)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_polygons_and_multipolygons_closing_rings() {
        let json = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"code":"A1","name":"Square"},
             "geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}},
            {"type":"Feature","properties":{"code":"B2","name":"Two"},
             "geometry":{"type":"MultiPolygon","coordinates":[
                [[[2,2],[3,2],[3,3],[2,3],[2,2]]],
                [[[4,4],[4.00001,4],[4,4.00001],[4,4]]]]}}]}"#;
        let b = Boundaries::read(json.as_bytes()).unwrap();
        let a = b.get("A1").unwrap();
        assert_eq!(a.name, "Square");
        assert_eq!(
            a.polygons[0][0],
            vec![[0., 0.], [1., 0.], [1., 1.], [0., 1.], [0., 0.]]
        );
        assert_eq!(a.bbox, [0., 0., 1., 1.]);
        // The second polygon of B2 is below the tolerance and simplifies away.
        let two = b.get("B2").unwrap();
        assert_eq!(two.polygons.len(), 1);
        assert_eq!(two.bbox, [2., 2., 3., 3.]);
        assert!(b.get("C3").is_none());
    }

    #[test]
    fn refuses_what_it_cannot_draw() {
        for (json, says) in [
            (r#"{"type":"Feature"}"#, "FeatureCollection"),
            (
                r#"{"type":"FeatureCollection","features":[{"properties":{"name":"x"},"geometry":null}]}"#,
                "code",
            ),
            (
                r#"{"type":"FeatureCollection","features":[{"properties":{"code":"x","name":"x"},"geometry":{"type":"Point","coordinates":[0,0]}}]}"#,
                "not a Polygon",
            ),
            (
                r#"{"type":"FeatureCollection","features":[{"properties":{"code":"x","name":"x"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[0,"a"]]]}}]}"#,
                "[lon, lat]",
            ),
        ] {
            let err = format!("{:#}", Boundaries::read(json.as_bytes()).unwrap_err());
            assert!(err.contains(says), "{err}");
        }
    }

    fn square(west: f64, south: f64, side: f64) -> Ring {
        let (east, north) = (west + side, south + side);
        // Clockwise: the wrong way round for RFC 7946.
        vec![
            [west, south],
            [west, north],
            [east, north],
            [east, south],
            [west, south],
        ]
    }

    /// Two districts side by side in one upper-tier authority and nation, wound opposite ways,
    /// and one in neither.
    fn two_districts() -> (Boundaries, AreaLookup) {
        let feature = |code: &str, ring: Ring| {
            serde_json::json!({"type": "Feature", "properties": {"code": code, "name": code},
                "geometry": {"type": "Polygon", "coordinates": [ring]}})
        };
        let json = serde_json::json!({"type": "FeatureCollection", "features": [
            feature("L1", square(0.12345678, 0.0, 1.0)),
            // Counterclockwise, unlike L1.
            feature("L2", square(0.12345678 + 1.0, 0.0, 1.0).into_iter().rev().collect()),
            feature("L3", square(5.0, 5.0, 1.0)),
        ]});
        let lookup = AreaLookup {
            upper: ["L1", "L2"]
                .map(|lad| (lad.to_string(), ("U1".to_string(), "Upper".to_string())))
                .into(),
            country: ["L1", "L2"]
                .map(|lad| (lad.to_string(), "Nation".to_string()))
                .into(),
        };
        (Boundaries::read(json.to_string().as_bytes()).unwrap(), lookup)
    }

    fn rings(shape: &MultiPolygon<f64>) -> Vec<Vec<Vec<[f64; 2]>>> {
        shape
            .0
            .iter()
            .map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(|r| r.0.iter().map(|c| [c.x, c.y]).collect())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn shapes_are_rounded_and_follow_the_right_hand_rule() {
        let (b, lookup) = two_districts();
        let shape = b.shape(&lookup, Level::Lad, "L1").unwrap();
        let l1 = rings(shape);
        // Counterclockwise from wherever the union starts the ring.
        let mut ring = l1[0][0].clone();
        ring.pop();
        let west_south = (0..ring.len())
            .min_by(|&i, &j| ring[i].partial_cmp(&ring[j]).unwrap())
            .unwrap();
        ring.rotate_left(west_south);
        assert_eq!(
            (l1.len(), l1[0].len(), ring),
            (
                1,
                1,
                vec![[0.123457, 0.0], [1.123457, 0.0], [1.123457, 1.0], [0.123457, 1.0]]
            )
        );
        let geometry: Value = serde_json::from_str(&geojson_geometry(shape)).unwrap();
        assert_eq!(geometry["type"], "MultiPolygon");
        let written: Vec<Vec<Vec<[f64; 2]>>> =
            serde_json::from_value(geometry["coordinates"].clone()).unwrap();
        assert_eq!(written, l1);
        // A district the lookup does not know is its own upper-tier area, but in no nation.
        assert!(b.shape(&lookup, Level::Utla, "L3").is_some());
        assert!(b.shape(&lookup, Level::Nation, "L3").is_none());
        assert!(b.shape(&lookup, Level::Lad, "L9").is_none());
    }

    #[test]
    fn rings_enclosing_nothing_are_dropped() {
        let line = |ring: Ring| -> LineString<f64> { ring.into_iter().map(|[x, y]| (x, y)).collect() };
        // A union of all England left a hole like this one: three positions in a line.
        let sliver = line(vec![[0.2, 0.2], [0.6, 0.6], [0.4, 0.4], [0.2, 0.2]]);
        let shapes = MultiPolygon(vec![
            Polygon::new(line(square(0.0, 0.0, 1.0)), vec![sliver.clone()]),
            Polygon::new(sliver, vec![]),
        ]);
        let shape = for_geojson(&shapes);
        assert_eq!(shape.0.len(), 1);
        assert!(shape.0[0].interiors().is_empty());
    }

    #[test]
    fn upper_tier_areas_and_nations_are_unions_of_their_districts() {
        let (b, lookup) = two_districts();
        for (level, code) in [(Level::Utla, "U1"), (Level::Nation, "Nation")] {
            let shape = b.shape(&lookup, level, code).unwrap();
            assert_eq!(shape.0.len(), 1, "{level:?}: one polygon, the shared edge gone");
            let polygon = &shape.0[0];
            assert!(polygon.interiors().is_empty());
            let ring = &polygon.exterior().0;
            let (xs, ys): (Vec<f64>, Vec<f64>) = ring.iter().map(|c| (c.x, c.y)).unzip();
            assert_eq!(xs.iter().copied().fold(f64::MAX, f64::min), 0.123457);
            assert_eq!(xs.iter().copied().fold(f64::MIN, f64::max), 2.123457);
            assert_eq!(
                (
                    ys.iter().copied().fold(f64::MAX, f64::min),
                    ys.iter().copied().fold(f64::MIN, f64::max)
                ),
                (0.0, 1.0)
            );
            assert_eq!(ring.first(), ring.last());
            let twice_area: f64 = ring.windows(2).map(|w| w[0].x * w[1].y - w[1].x * w[0].y).sum();
            assert!(
                (twice_area - 4.0).abs() < 1e-9,
                "counterclockwise, area 2: {twice_area}"
            );
        }
    }

    #[test]
    fn simplifying_keeps_rings_closed() {
        let ring: Ring = (0..100)
            .map(|i| {
                let a = i as f64 / 100.0 * std::f64::consts::TAU;
                [a.cos(), a.sin()]
            })
            .collect();
        let simple = simplify(close(ring), 0.05).unwrap();
        assert!(simple.len() < 30 && simple.len() >= 4);
        assert_eq!(simple.first(), simple.last());
        assert!(simplify(vec![[0., 0.], [1., 0.], [0., 0.]], 0.1).is_none());
    }
}
