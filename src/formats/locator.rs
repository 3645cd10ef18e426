//! A small locator map for a meeting's page: the coastline of Great Britain and Ireland (the
//! bundled Natural Earth outline the finder's map draws too) with a dot where the meeting is.
//! Drawn as inline SVG on the server, so the page makes no request to a map server and works
//! without JavaScript and on paper; the OpenStreetMap link beside it gives the street detail.

use std::fmt::Write;
use std::sync::OnceLock;

/// The bundled outline (see NOTICE: Made with Natural Earth).
const OUTLINE: &str = include_str!("../../data/gb-ie-outline.geojson");

/// The area drawn, in degrees: Great Britain, Ireland, the Isle of Man and the nearer islands.
const WEST: f64 = -10.8;
const EAST: f64 = 2.0;
const SOUTH: f64 = 49.8;
const NORTH: f64 = 60.9;
/// Width of the drawing in SVG units; the height follows from the projection.
const WIDTH: f64 = 160.0;

/// East-west degrees are shorter than north-south ones at these latitudes: scaled by the cosine
/// of the middle latitude (an equirectangular projection, close enough at this size).
fn x_scale() -> f64 {
    ((SOUTH + NORTH) / 2.0).to_radians().cos()
}

fn height() -> f64 {
    WIDTH * (NORTH - SOUTH) / ((EAST - WEST) * x_scale())
}

fn project(lon: f64, lat: f64) -> (f64, f64) {
    let x = (lon - WEST) / (EAST - WEST) * WIDTH;
    let y = (NORTH - lat) / (NORTH - SOUTH) * height();
    (x, y)
}

/// The outline as one SVG path, made once per process.
fn outline_path() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        let doc: serde_json::Value = serde_json::from_str(OUTLINE).expect("the bundled outline is GeoJSON");
        let mut d = String::new();
        let features = doc["features"].as_array().map(Vec::as_slice).unwrap_or_default();
        for feature in features {
            let geometry = &feature["geometry"];
            let polygons: Vec<&serde_json::Value> = match geometry["type"].as_str() {
                Some("Polygon") => vec![&geometry["coordinates"]],
                Some("MultiPolygon") => geometry["coordinates"]
                    .as_array()
                    .map(|p| p.iter().collect())
                    .unwrap_or_default(),
                _ => vec![],
            };
            for polygon in polygons {
                for ring in polygon.as_array().map(Vec::as_slice).unwrap_or_default() {
                    let points = ring.as_array().map(Vec::as_slice).unwrap_or_default();
                    for (i, point) in points.iter().enumerate() {
                        let (Some(lon), Some(lat)) = (point[0].as_f64(), point[1].as_f64()) else {
                            continue;
                        };
                        let (x, y) = project(lon, lat);
                        let _ = write!(d, "{}{x:.1} {y:.1}", if i == 0 { "M" } else { "L" });
                    }
                    d.push('Z');
                }
            }
        }
        d
    })
}

/// The locator map for a meeting at `(lat, lon)`, labelled `label` for screen readers; `None`
/// when the point is outside the area drawn (a meeting abroad gets only its coordinates).
pub fn locator_svg(lat: f64, lon: f64, label: &str) -> Option<String> {
    if !(SOUTH..=NORTH).contains(&lat) || !(WEST..=EAST).contains(&lon) {
        return None;
    }
    let (x, y) = project(lon, lat);
    let h = height();
    Some(format!(
        "<svg class=\"locator\" viewBox=\"0 0 {WIDTH:.0} {h:.0}\" width=\"{WIDTH:.0}\" height=\"{h:.0}\" \
         role=\"img\" aria-label=\"{label}\" xmlns=\"http://www.w3.org/2000/svg\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#eef4f8\"/>\
         <path d=\"{path}\" fill=\"#e4e0d4\" stroke=\"#6b6b6b\" stroke-width=\"0.5\"/>\
         <circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"6\" fill=\"none\" stroke=\"#b00020\" stroke-width=\"2\"/>\
         <circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2.5\" fill=\"#b00020\"/></svg>",
        label = super::html::escape(label),
        path = outline_path(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_meeting_in_wrexham_is_drawn_north_of_cardiff_and_west_of_london() {
        let wrexham = locator_svg(53.046, -2.993, "Wrexham").unwrap();
        let dot = |svg: &str| -> (f64, f64) {
            let at = svg.find("<circle cx=\"").unwrap() + "<circle cx=\"".len();
            let rest = &svg[at..];
            let x: f64 = rest[..rest.find('"').unwrap()].parse().unwrap();
            let at = rest.find("cy=\"").unwrap() + 4;
            let y: f64 = rest[at..at + rest[at..].find('"').unwrap()].parse().unwrap();
            (x, y)
        };
        let (wx, wy) = dot(&wrexham);
        let (cx, cy) = dot(&locator_svg(51.48, -3.18, "Cardiff").unwrap());
        let (lx, _) = dot(&locator_svg(51.507, -0.128, "London").unwrap());
        assert!(wy < cy, "Wrexham is north of Cardiff");
        assert!(wx < lx && cx < lx, "both are west of London");
        assert!(wrexham.contains("role=\"img\" aria-label=\"Wrexham\""));
        assert!(wrexham.matches('M').count() > 10, "the coastline is drawn");
    }

    #[test]
    fn a_meeting_abroad_gets_no_locator_and_labels_are_escaped() {
        assert!(locator_svg(40.71, -74.0, "New York").is_none());
        assert!(locator_svg(53.0, -3.0, "<b>")
            .unwrap()
            .contains("aria-label=\"&lt;b&gt;\""));
    }
}
