//! The hand-out builder (`GET /handout`): a form a keyworker fills in to get the printable
//! hand-out of [`super::handout`]. Plain HTML that submits to `/v1/handout` by GET, so it works
//! without JavaScript and the resulting address can be bookmarked or shared.

use std::fmt::Write;

use super::html::escape;
use crate::domain::{Day, Fellowship};
use crate::travel::Mode;

/// Content-Security-Policy of the builder: inline styles only, and the form may only submit here.
pub const FORM_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'";

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; font-size: 1rem; color: #000; margin: 1rem auto; max-width: 42rem; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.5rem; }
fieldset { border: 1px solid #555; margin: 0 0 1rem; padding: 0.5rem 0.8rem; }
legend { font-weight: bold; padding: 0 0.3rem; }
label { display: inline-flex; align-items: center; gap: 0.3rem; min-height: 2rem; margin-right: 1rem; }
input[type=text], input[type=number], select { font-size: 1rem; min-height: 2rem; }
input[type=checkbox], input[type=radio] { width: 1.3rem; height: 1.3rem; }
.disabled { color: #555; }
button { font-size: 1rem; padding: 0.5rem 1.2rem; min-height: 2.5rem; }
p.hint { font-size: 0.9rem; color: #333; margin: 0.2rem 0; }
";

/// What the form starts with (the finder's "print / hand-out" link pre-fills these).
#[derive(Debug, Default)]
pub struct Prefill {
    pub near: String,
    pub fellowships: Vec<Fellowship>,
    pub days: Vec<Day>,
    pub start_after: String,
    pub start_before: String,
    pub mode: Option<Mode>,
    pub max_minutes: Option<u32>,
}

fn checked(on: bool) -> &'static str {
    if on {
        " checked"
    } else {
        ""
    }
}

fn selected(on: bool) -> &'static str {
    if on {
        " selected"
    } else {
        ""
    }
}

/// The builder page. `listed` says which fellowships have meetings in the directory: the others
/// are shown disabled with "no data", so nobody prints a hand-out that can only be empty.
pub fn render(prefill: &Prefill, listed: &dyn Fn(Fellowship) -> bool) -> String {
    let mut out = String::with_capacity(8192);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    out.push_str("<title>Make a meetings hand-out</title><style>");
    out.push_str(STYLE);
    out.push_str("</style></head><body><main>\n<h1>Make a meetings hand-out</h1>\n");
    out.push_str("<p>A printable list of the coming week's mutual aid meetings near your client, with travel times, helplines and a QR code per meeting.</p>\n");
    out.push_str("<form method=\"get\" action=\"/v1/handout\">\n");

    let _ = writeln!(
        out,
        "<fieldset><legend>Where</legend><label for=\"near\">Postcode or place</label><input type=\"text\" id=\"near\" name=\"near\" required autocomplete=\"postal-code\" value=\"{}\"></fieldset>",
        escape(&prefill.near)
    );

    out.push_str("<fieldset><legend>Fellowships</legend>");
    for f in Fellowship::all() {
        let info = f.info();
        let id = format!("fellowship-{}", info.id);
        if listed(f) {
            let _ = write!(
                out,
                "<label for=\"{id}\"><input type=\"checkbox\" id=\"{id}\" name=\"fellowship\" value=\"{}\"{}>{}</label>",
                info.id,
                checked(prefill.fellowships.contains(&f)),
                escape(info.name)
            );
        } else {
            let _ = write!(
                out,
                "<label for=\"{id}\" class=\"disabled\"><input type=\"checkbox\" id=\"{id}\" name=\"fellowship\" value=\"{}\" disabled>{} (no data)</label>",
                info.id,
                escape(info.name)
            );
        }
    }
    out.push_str("<p class=\"hint\">None ticked: every fellowship.</p></fieldset>\n");

    out.push_str("<fieldset><legend>Days</legend>");
    // Monday first, as a week reads in the UK.
    for day in Day::ALL.iter().cycle().skip(1).take(7) {
        let id = format!("day-{}", day.as_str());
        let _ = write!(
            out,
            "<label for=\"{id}\"><input type=\"checkbox\" id=\"{id}\" name=\"day\" value=\"{}\"{}>{}</label>",
            day.as_str(),
            checked(prefill.days.contains(day)),
            day.full_name()
        );
    }
    out.push_str("<p class=\"hint\">None ticked: every day.</p></fieldset>\n");

    out.push_str("<fieldset><legend>Time of day</legend>");
    for (name, label, choices) in [
        (
            "start_after",
            "Starting from",
            [
                ("", "any time"),
                ("12:00", "12:00 (afternoons)"),
                ("17:00", "17:00 (evenings)"),
            ],
        ),
        (
            "start_before",
            "Starting by",
            [
                ("", "any time"),
                ("12:00", "12:00 (mornings)"),
                ("17:00", "17:00"),
            ],
        ),
    ] {
        let current = if name == "start_after" {
            &prefill.start_after
        } else {
            &prefill.start_before
        };
        let _ = write!(
            out,
            "<label for=\"{name}\">{label}</label><select id=\"{name}\" name=\"{name}\">"
        );
        for (value, text) in choices {
            let _ = write!(
                out,
                "<option value=\"{value}\"{}>{text}</option>",
                selected(current == value)
            );
        }
        out.push_str("</select> ");
    }
    out.push_str("</fieldset>\n");

    out.push_str("<fieldset><legend>Travel</legend><label for=\"mode\">Limit by</label><select id=\"mode\" name=\"mode\">");
    let _ = write!(
        out,
        "<option value=\"\"{}>distance only (within 10 km)</option>",
        selected(prefill.mode.is_none())
    );
    for (mode, text) in [
        (Mode::Transit, "public transport (estimate)"),
        (Mode::Walk, "walking"),
        (Mode::Drive, "driving"),
        (Mode::Cycle, "cycling"),
    ] {
        let _ = write!(
            out,
            "<option value=\"{}\"{}>{text}</option>",
            mode.as_str(),
            selected(prefill.mode == Some(mode))
        );
    }
    let _ = write!(
        out,
        "</select> <label for=\"max_minutes\">within (minutes)</label><input type=\"number\" id=\"max_minutes\" name=\"max_minutes\" min=\"1\" max=\"240\" value=\"{}\">",
        prefill.max_minutes.map_or(String::new(), |m| m.to_string())
    );
    out.push_str("<p class=\"hint\">Every meeting on the hand-out shows walking, driving and public-transport minutes whatever you pick here.</p></fieldset>\n");

    out.push_str("<fieldset><legend>Paper</legend>");
    out.push_str("<label for=\"paper-a4\"><input type=\"radio\" id=\"paper-a4\" name=\"paper\" value=\"a4\" checked>A4</label>");
    out.push_str("<label for=\"paper-letter\"><input type=\"radio\" id=\"paper-letter\" name=\"paper\" value=\"letter\">US Letter</label></fieldset>\n");

    out.push_str("<fieldset><legend>Extra pages</legend>");
    out.push_str("<label for=\"choosing\"><input type=\"checkbox\" id=\"choosing\" name=\"choosing\" value=\"true\">Choosing a group (what to weigh when picking a first meeting)</label>");
    out.push_str("<label for=\"journal\"><input type=\"checkbox\" id=\"journal\" name=\"journal\" value=\"true\">Client journal (to fill in by hand)</label></fieldset>\n");

    out.push_str("<button type=\"submit\">Make the hand-out</button>\n</form>\n</main></body></html>\n");
    out
}
