//! QR codes as inline SVG, for printed pages: a phone camera turns the code into the link.
//!
//! The `qrcode` crate makes the matrix; the SVG is one path drawn here (a unit square per dark
//! module), so the page stays self-contained (no images, no external requests) and tests can
//! read the modules back.

use std::fmt::Write;

use qrcode::{Color, EcLevel, QrCode};

/// Light modules around the code. The standard asks for 4; 2 is enough for phone cameras on
/// white paper and keeps the code large in a small printed square.
pub const QUIET_ZONE: usize = 2;

/// `text` as an inline `<svg>` QR code with the accessible name `label` (already HTML-escaped),
/// or `None` if it is too long to encode.
pub fn svg(text: &str, label: &str) -> Option<String> {
    // Level M survives a crease or a smudge and still fits a meeting URL in version 4.
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let size = width + 2 * QUIET_ZONE;
    let mut path = String::with_capacity(width * width * 6);
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == Color::Dark {
            let _ = write!(
                path,
                "M{},{}h1v1h-1z",
                i % width + QUIET_ZONE,
                i / width + QUIET_ZONE
            );
        }
    }
    Some(format!(
        "<svg class=\"qr\" viewBox=\"0 0 {size} {size}\" role=\"img\" aria-label=\"{label}\" shape-rendering=\"crispEdges\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/><path d=\"{path}\"/></svg>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_one_square_per_dark_module() {
        let text = "http://example.org/v1/meetings/aa-1";
        let svg = svg(text, "Meeting page").unwrap();
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).unwrap();
        let dark = code.to_colors().iter().filter(|c| **c == Color::Dark).count();
        assert_eq!(svg.matches("h1v1h-1z").count(), dark);
        let size = code.width() + 2 * QUIET_ZONE;
        assert!(svg.contains(&format!("viewBox=\"0 0 {size} {size}\"")));
    }
}
