//! Feed text made clean, once, at import, whatever the format.
//!
//! Feeds are written by volunteers in WordPress, spreadsheets and BMLT's admin pages, and they
//! carry what those tools leave behind: HTML (`<a href=...>`, `<br>`), entities that a title-caser
//! has mangled (`&Amp;`), title-case artefacts (`St Martin’S`, `11Th Step`), stray control
//! characters, and sometimes worse: `javascript:` links, or a 10 MB "name" that would make one
//! occurrences answer 40 MB. Everything downstream (JSON, iCalendar, CSV, the hand-out, the finder)
//! then has to cope with it, so it is cleaned here, in the record → meeting step
//! ([`clean_record`]), and every reader benefits.
//!
//! Nothing is lost: each field the cleaning changed keeps its raw value on the meeting's source
//! record (`source.raw`), and what was dropped or cut short is reported on the import run
//! (`warnings`, visible at `/v1/sources/{id}/imports`). The functions are pure.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::record::RawMeeting;
use crate::domain::Attendance;

/// Meeting and group names. Real ones are under 100 characters ("Tuesday Night Big Book Step
/// Study (Women's) - Hybrid"); twice that leaves room for any honest name while keeping a list
/// of results small.
pub const MAX_NAME_CHARS: usize = 200;
/// One line of a place: venue, address line, town. Long venue names ("The Friends Meeting House,
/// ... Community Centre, Side Room") stay under 150.
pub const MAX_LINE_CHARS: usize = 200;
/// Short codes and numbers: postcode, country, time zone, phone number, record id, type code.
/// The longest honest values (a phone number with its PIN, an IANA zone name such as
/// `America/Argentina/ComodRivadavia`) are under 80.
pub const MAX_SHORT_CHARS: usize = 100;
/// Free text: meeting notes, directions, joining notes. Real notes run to a few paragraphs
/// (readings, format, access details): 4,000 characters is a printed page.
pub const MAX_NOTES_CHARS: usize = 4000;
/// A link: browsers and chat tools handle 2,000 characters everywhere; conferencing links are
/// under 200.
pub const MAX_URL_CHARS: usize = 2000;
/// Address lines per place: a full postal address is at most six; more is a sheet pasted into a
/// cell.
pub const MAX_ADDRESS_LINES: usize = 8;
/// Type codes per record: real ones carry under 20.
pub const MAX_CODES: usize = 50;
/// How much of a raw value is kept in provenance. Enough to see what a feed said and fix it at
/// the source; a 10 MB value is not worth storing with every meeting, and the rest of it is in
/// the feed.
pub const MAX_RAW_KEPT_CHARS: usize = 2000;

/// Whether a field is one line (names, addresses) or may hold paragraphs (notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Line,
    Text,
}

/// HTML elements recognised as markup. Only these are stripped, so text such as `Men <18` or
/// `<Step 11>` is left alone.
const HTML_ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "address",
    "article",
    "b",
    "big",
    "blockquote",
    "body",
    "br",
    "button",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "font",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "i",
    "iframe",
    "img",
    "input",
    "ins",
    "label",
    "li",
    "link",
    "mark",
    "meta",
    "nav",
    "noscript",
    "object",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "script",
    "section",
    "small",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "sup",
    "svg",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "title",
    "tr",
    "u",
    "ul",
    "wbr",
];

/// Elements that end a line of text.
const BLOCK_ELEMENTS: &[&str] = &[
    "address",
    "blockquote",
    "br",
    "div",
    "dd",
    "dl",
    "dt",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tr",
    "ul",
];

/// Cleans one text value: HTML stripped to text (links kept as their URLs), entities decoded,
/// control characters removed, whitespace normalised, title-case artefacts repaired. Returns the
/// clean text (possibly empty) and what was dropped on the way (unsafe links in markup).
pub fn clean_text(value: &str, shape: Shape) -> (String, Vec<String>) {
    let mut dropped = Vec::new();
    if is_plain(value) {
        return (value.trim().to_string(), dropped);
    }
    let text = strip_html(value, &mut dropped);
    let decoded = decode_entities(&text);
    // Markup that was itself encoded (`&lt;p&gt;`, as some WordPress feeds send notes) is markup
    // too once decoded.
    let text = if decoded.contains('<') && decoded != text {
        Cow::Owned(strip_html(&decoded, &mut dropped))
    } else {
        decoded
    };
    let text = remove_controls(&text);
    let text = normalise_whitespace(&text, shape);
    (repair_title_case(&text).into_owned(), dropped)
}

/// Nothing to clean: printable ASCII without markup, entities, apostrophes, runs of spaces or a
/// digit before a capital. Most feed text is like this; the check keeps imports fast.
fn is_plain(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes
        .iter()
        .all(|&b| (0x20..0x7f).contains(&b) && !matches!(b, b'<' | b'&' | b'\''))
        && !bytes
            .windows(2)
            .any(|w| (w[0] == b' ' && w[1] == b' ') || (w[0].is_ascii_digit() && w[1].is_ascii_uppercase()))
}

/// Cuts `value` to at most `max` characters (the last one an ellipsis). Answers whether it cut.
pub fn truncate(value: &mut String, max: usize) -> bool {
    match value.char_indices().nth(max) {
        None => false,
        Some(_) => {
            let end = value
                .char_indices()
                .nth(max.saturating_sub(1))
                .map_or(0, |(i, _)| i);
            value.truncate(end);
            let trimmed = value.trim_end().len();
            value.truncate(trimmed);
            value.push('…');
            true
        }
    }
}

/// A copy of `value` short enough to store or print, saying how much was left out.
pub fn shorten(value: &str, max: usize) -> Cow<'_, str> {
    match value.char_indices().nth(max) {
        None => Cow::Borrowed(value),
        Some((cut, _)) => {
            let rest = value[cut..].chars().count();
            Cow::Owned(format!("{}… ({rest} more characters)", &value[..cut]))
        }
    }
}

/// A link as a browser may safely follow it: `http` or `https` only (no `javascript:`, `data:`,
/// `file:`...), with a host. A bare `zoom.us/j/123` or `www.example.org` gets `https://`. `Err`
/// says why a value is not a link.
pub fn safe_url(value: &str) -> Result<String, String> {
    let value = remove_controls(value);
    let value = value.trim();
    let lower = value.to_ascii_lowercase();
    let (scheme_len, has_scheme) = if lower.starts_with("https://") {
        (8, true)
    } else if lower.starts_with("http://") {
        (7, true)
    } else {
        (0, false)
    };
    if !has_scheme {
        let scheme = value
            .split_once(':')
            .map(|(s, _)| s)
            .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)));
        // `host:port/...` is a host, not a scheme.
        let host_like = |s: &str| s.contains('.') && !s.starts_with('.');
        return match scheme {
            Some(s) if !host_like(s) => Err(format!(
                "`{}:` links are not allowed (only http and https)",
                s.to_ascii_lowercase()
            )),
            _ if host_like(value.split(['/', ':']).next().unwrap_or(""))
                && !value.starts_with('/')
                && !value.contains(char::is_whitespace) =>
            {
                safe_url(&format!("https://{value}"))
            }
            _ => Err("is not a link".into()),
        };
    }
    let rest = &value[scheme_len..];
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err("is not a link (no host)".into());
    }
    if value.contains(char::is_whitespace) {
        return Err("is not a link (it contains spaces)".into());
    }
    Ok(format!("{}{rest}", &lower[..scheme_len]))
}

/// Whether a link goes to a conferencing service.
pub fn is_conferencing(url: &str) -> bool {
    // The services' hosts are the domain's (`CONFERENCING_SERVICES`), which pages name too.
    crate::domain::conferencing_service(url).is_some()
}

/// The `http(s)://` links in a text, as byte ranges, without trailing punctuation.
pub fn find_links(text: &str) -> Vec<std::ops::Range<usize>> {
    let lower = text.to_ascii_lowercase();
    let mut links = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find("http").map(|i| i + from) {
        let rest = &lower[at..];
        if !(rest.starts_with("http://") || rest.starts_with("https://")) {
            from = at + 4;
            continue;
        }
        let len = text[at..]
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '‘' | '’' | '“' | '”'))
            .unwrap_or(text.len() - at);
        let mut end = at + len;
        while let Some(c) = text[..end]
            .chars()
            .next_back()
            .filter(|c| ".,;:!?)]".contains(*c))
        {
            // A closing bracket belongs to the link when the link opened one (Wikipedia style,
            // `?ids[]=1`, and the `[number]` placeholders of redacted copies).
            if (c == ')' && text[at..end].contains('(')) || (c == ']' && text[at..end].contains('[')) {
                break;
            }
            end -= c.len_utf8();
        }
        links.push(at..end);
        from = end.max(at + 1);
    }
    links
}

/// Removes markup, keeping text, line breaks at block elements, and links as their URLs
/// (`text (url)`, or the URL alone when that is its text). Links that are not http(s) keep their
/// text only and are reported in `dropped`.
pub fn strip_html(value: &str, dropped: &mut Vec<String>) -> String {
    if !value.contains('<') {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len());
    // The open `<a>`'s safe href and where its text starts in `out`.
    let mut link: Option<(Option<String>, usize)> = None;
    let mut rest = value;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt + 1..];
        if let Some(comment) = after.strip_prefix("!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let Some(gt) = after.find('>') else {
            out.push('<');
            rest = after;
            continue;
        };
        let tag = &after[..gt];
        let (closing, body) = match tag.strip_prefix('/') {
            Some(body) => (true, body),
            None => (false, tag),
        };
        let name_len = body
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(body.len());
        let name = body[..name_len].to_ascii_lowercase();
        let boundary = body[name_len..]
            .chars()
            .next()
            .is_none_or(|c| c.is_whitespace() || c == '/');
        if name.is_empty() || !boundary || !HTML_ELEMENTS.contains(&name.as_str()) {
            out.push('<');
            rest = after;
            continue;
        }
        rest = &after[gt + 1..];
        if !closing && (name == "script" || name == "style") {
            let close = format!("</{name}");
            rest = rest
                .to_ascii_lowercase()
                .find(&close)
                .and_then(|i| rest[i..].find('>').map(|j| &rest[i + j + 1..]))
                .unwrap_or("");
            continue;
        }
        if BLOCK_ELEMENTS.contains(&name.as_str()) {
            out.push('\n');
        }
        if name == "a" {
            if closing {
                if let Some((Some(href), start)) = link.take() {
                    let text = out[start..].trim().to_string();
                    if text.is_empty() {
                        out.push_str(&href);
                    } else if text != href && decode_entities(&text) != href {
                        out.push_str(&format!(" ({href})"));
                    }
                }
            } else {
                let href = attribute(body, "href").map(|h| decode_entities(&h).into_owned());
                let safe = href.and_then(|h| match safe_url(&h) {
                    Ok(url) => Some(url),
                    Err(why) => {
                        dropped.push(format!("link `{}` dropped: {why}", shorten(&h, 100)));
                        None
                    }
                });
                link = Some((safe, out.len()));
            }
        }
    }
    out.push_str(rest);
    // An `<a>` never closed still keeps its link.
    if let Some((Some(href), start)) = link {
        if out[start..].trim() != href {
            out.push_str(&format!(" ({href})"));
        }
    }
    out
}

/// An attribute's value in a tag's text (`a href="x" class=y`).
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name).map(|i| i + from) {
        let before_ok = lower[..i].ends_with(|c: char| c.is_whitespace());
        let after = lower[i + name.len()..].trim_start();
        if before_ok && after.starts_with('=') {
            let value_start = tag.len() - after.len() + 1;
            let value = tag[value_start..].trim_start();
            return Some(match value.chars().next() {
                Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or("").to_string(),
                _ => value.split(char::is_whitespace).next().unwrap_or("").to_string(),
            });
        }
        from = i + name.len();
    }
    None
}

/// Decodes HTML entities, named ones case-insensitively when the exact name is not one (a
/// title-caser turns `&amp;` into `&Amp;`, which no browser decodes). Twice at most: WordPress
/// feeds often encode text that was already encoded (`&amp;amp;`), and a third layer is not seen.
pub fn decode_entities(value: &str) -> Cow<'_, str> {
    if !value.contains('&') {
        return Cow::Borrowed(value);
    }
    let once = decode_entities_once(value);
    if once.contains('&') && once != value {
        Cow::Owned(decode_entities_once(&once))
    } else {
        Cow::Owned(once)
    }
}

fn decode_entities_once(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        // `&name;`, `&#39;`, `&#x27;`: at most 32 characters of name.
        let entity_end = after
            .char_indices()
            .skip(1)
            .take(33)
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '#'))
            .filter(|(_, c)| *c == ';')
            .map(|(i, _)| i + 1);
        let Some(end) = entity_end else {
            out.push('&');
            rest = &after[1..];
            continue;
        };
        let entity = &after[..end];
        let decoded = [Cow::Borrowed(entity), Cow::Owned(entity.to_ascii_lowercase())]
            .into_iter()
            .map(|e| html_escape::decode_html_entities(&e).into_owned())
            .find(|d| !d.starts_with('&') || d.len() == 1);
        out.push_str(decoded.as_deref().unwrap_or(entity));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Removes control characters (keeping line breaks, tabs become spaces), byte-order marks and
/// bidirectional overrides (which can make text display as something else).
pub fn remove_controls(value: &str) -> Cow<'_, str> {
    let unwanted = |c: char| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{feff}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
    };
    if !value.contains(unwanted) {
        return Cow::Borrowed(value);
    }
    Cow::Owned(
        value
            .chars()
            .filter_map(|c| match c {
                '\t' => Some(' '),
                '\r' | '\u{2028}' | '\u{2029}' => Some('\n'),
                c if unwanted(c) => None,
                c => Some(c),
            })
            .collect(),
    )
}

/// One space between words; a line value on one line; text with its lines trimmed and at most
/// one blank line between paragraphs.
pub fn normalise_whitespace(value: &str, shape: Shape) -> String {
    match shape {
        Shape::Line => value.split_whitespace().collect::<Vec<_>>().join(" "),
        Shape::Text => {
            let mut lines: Vec<String> = Vec::new();
            for line in value.split('\n') {
                let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
                if line.is_empty() && lines.last().is_none_or(|l| l.is_empty()) {
                    continue;
                }
                lines.push(line);
            }
            while lines.last().is_some_and(|l| l.is_empty()) {
                lines.pop();
            }
            lines.join("\n")
        }
    }
}

/// Repairs what a title-caser does to English: a capital after an apostrophe that starts a
/// contraction or possessive (`St Martin’S` → `St Martin’s`, `Don'T`, `We'Ll`) and ordinal
/// suffixes after digits (`11Th` → `11th`, `1St`, `2Nd`, `3Rd`). Text in capitals (`ST MARTIN'S`,
/// `11TH`) and names such as `O'Brien` are left as they are.
pub fn repair_title_case(value: &str) -> Cow<'_, str> {
    let chars: Vec<char> = value.chars().collect();
    let mut out: Option<Vec<char>> = None;
    let is_letter = |i: usize| chars.get(i).is_some_and(|c| c.is_alphabetic());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // After an apostrophe preceded by a lower-case letter.
        if matches!(c, '\'' | '’') && i > 0 && chars[i - 1].is_lowercase() {
            let start = i + 1;
            let mut end = start;
            while is_letter(end) {
                end += 1;
            }
            let word: String = chars[start..end].iter().collect();
            let contraction = ["S", "T", "D", "M", "Ll", "Re", "Ve"].contains(&word.as_str());
            if contraction {
                let fixed = out.get_or_insert_with(|| chars.clone());
                for (j, ch) in word.to_lowercase().chars().enumerate() {
                    fixed[start + j] = ch;
                }
            }
            i = end.max(i + 1);
            continue;
        }
        if c.is_ascii_digit()
            && i + 3 <= chars.len()
            && !chars.get(i + 3).is_some_and(|c| c.is_alphanumeric())
        {
            let suffix: String = chars[i + 1..(i + 3).min(chars.len())].iter().collect();
            if ["St", "Nd", "Rd", "Th"].contains(&suffix.as_str()) {
                let fixed = out.get_or_insert_with(|| chars.clone());
                fixed[i + 1] = fixed[i + 1].to_ascii_lowercase();
                i += 3;
                continue;
            }
        }
        i += 1;
    }
    match out {
        None => Cow::Borrowed(value),
        Some(fixed) => Cow::Owned(fixed.into_iter().collect()),
    }
}

/// What cleaning one record found: problems to report on the import run.
pub type Warnings = Vec<String>;

/// Cleans every text field of a record in place, keeping each changed field's raw value in
/// `raw.raw`, and moves a conferencing link found in the notes to the online link. Answers the
/// warnings to report (links dropped, fields cut short).
pub fn clean_record(raw: &mut RawMeeting) -> Warnings {
    let mut warnings = Vec::new();
    let mut kept = BTreeMap::new();
    {
        let mut field = |key: &str, value: &mut Option<String>, shape: Shape, max: usize| {
            if let Some(v) = value.take() {
                *value = clean_field(key, v, shape, max, &mut kept, &mut warnings);
            }
        };
        field("name", &mut raw.name, Shape::Line, MAX_NAME_CHARS);
        field("group", &mut raw.group_name, Shape::Line, MAX_NAME_CHARS);
        field("venue", &mut raw.venue, Shape::Line, MAX_LINE_CHARS);
        field("town", &mut raw.town, Shape::Line, MAX_LINE_CHARS);
        field("postcode", &mut raw.postcode, Shape::Line, MAX_SHORT_CHARS);
        field("country", &mut raw.country, Shape::Line, MAX_SHORT_CHARS);
        field("timezone", &mut raw.timezone, Shape::Line, MAX_SHORT_CHARS);
        field("record_id", &mut raw.record_id, Shape::Line, MAX_SHORT_CHARS);
        field("notes", &mut raw.notes, Shape::Text, MAX_NOTES_CHARS);
        field(
            "location_notes",
            &mut raw.location_notes,
            Shape::Text,
            MAX_NOTES_CHARS,
        );
        field(
            "online.phone",
            &mut raw.online.phone,
            Shape::Line,
            MAX_SHORT_CHARS,
        );
        field(
            "online.notes",
            &mut raw.online.notes,
            Shape::Text,
            MAX_NOTES_CHARS,
        );
    }
    if !raw.address_lines.is_empty() {
        let before = raw.address_lines.join("\n");
        let count = raw.address_lines.len();
        if count > MAX_ADDRESS_LINES {
            raw.address_lines.truncate(MAX_ADDRESS_LINES);
            warnings.push(format!(
                "address had {count} lines; kept the first {MAX_ADDRESS_LINES}"
            ));
        }
        let mut lines = Vec::with_capacity(raw.address_lines.len());
        for (i, line) in std::mem::take(&mut raw.address_lines).into_iter().enumerate() {
            let key = format!("address line {}", i + 1);
            let mut sink = BTreeMap::new();
            if let Some(line) = clean_field(&key, line, Shape::Line, MAX_LINE_CHARS, &mut sink, &mut warnings)
            {
                lines.push(line);
            }
        }
        if lines.join("\n") != before {
            kept.insert(
                "address_lines".to_string(),
                shorten(&before, MAX_RAW_KEPT_CHARS).into_owned(),
            );
        }
        raw.address_lines = lines;
    }
    if raw.unknown_codes.len() > MAX_CODES {
        warnings.push(format!(
            "{} type codes; kept the first {MAX_CODES}",
            raw.unknown_codes.len()
        ));
        raw.unknown_codes.truncate(MAX_CODES);
    }
    for code in &mut raw.unknown_codes {
        let (mut clean, _) = clean_text(code, Shape::Line);
        if truncate(&mut clean, MAX_SHORT_CHARS) {
            warnings.push(format!("type code cut to {MAX_SHORT_CHARS} characters"));
        }
        *code = clean;
    }
    raw.unknown_codes.retain(|c| !c.is_empty());

    if let Some(url) = raw.online.url.take() {
        match safe_url(&url) {
            Ok(safe) => {
                let mut safe = safe;
                if safe.chars().count() > MAX_URL_CHARS {
                    warnings.push(format!(
                        "online link dropped: longer than {MAX_URL_CHARS} characters"
                    ));
                    kept.insert(
                        "online.url".into(),
                        shorten(&url, MAX_RAW_KEPT_CHARS).into_owned(),
                    );
                } else {
                    if safe != url.trim() {
                        kept.insert("online.url".into(), url.clone());
                    }
                    raw.online.url = Some(std::mem::take(&mut safe));
                }
            }
            Err(why) => {
                warnings.push(format!(
                    "online link `{}` dropped: {why}",
                    shorten(url.trim(), 100)
                ));
                kept.insert(
                    "online.url".into(),
                    shorten(&url, MAX_RAW_KEPT_CHARS).into_owned(),
                );
            }
        }
    }
    move_conferencing_link(raw, &mut kept);
    raw.raw.extend(kept);
    warnings
}

/// Cleans one field: `None` when nothing is left. Records the raw value in `kept` when it changed
/// (beyond surrounding whitespace and Windows line ends), and reports what was cut or dropped.
fn clean_field(
    key: &str,
    value: String,
    shape: Shape,
    max: usize,
    kept: &mut BTreeMap<String, String>,
    warnings: &mut Warnings,
) -> Option<String> {
    let (mut clean, dropped) = clean_text(&value, shape);
    for d in dropped {
        warnings.push(format!("{key}: {d}"));
    }
    let count = clean.chars().count();
    if truncate(&mut clean, max) {
        warnings.push(format!("{key} was {count} characters; cut to {max}"));
    }
    if clean != value.replace("\r\n", "\n").trim() {
        kept.insert(key.to_string(), shorten(&value, MAX_RAW_KEPT_CHARS).into_owned());
    }
    (!clean.is_empty()).then_some(clean)
}

/// A conferencing link in the notes becomes the online link when the record has none (and is
/// taken out of the notes when it is the online link). With a venue the meeting is then hybrid,
/// without one online: a feed that says "in person" but gives a Zoom link in its notes is out of
/// date in what it states. Links written without `https://` (`zoom.us/j/812...`) count, and so
/// does a Zoom meeting ID alone (`Zoom ID 812 3456 7890`: Zoom's join link is made from the ID).
/// The meeting ID and passcode written beside it become the joining notes. Notes that name a
/// Zoom meeting ID whose number is withheld (`Meeting ID - [number]`) still make the meeting
/// joinable online, with those words as its joining notes.
fn move_conferencing_link(raw: &mut RawMeeting, kept: &mut BTreeMap<String, String>) {
    // The meeting's notes first; BMLT servers often put the link in the joining notes, and
    // some feeds in the directions.
    let moved = [
        ("notes", &mut raw.notes),
        ("online.notes", &mut raw.online.notes),
        ("location_notes", &mut raw.location_notes),
    ]
    .into_iter()
    .any(|(key, field)| take_conferencing_link(key, field, &mut raw.online.url, kept));
    let built = !moved && raw.online.url.is_none() && {
        let link = raw.notes.as_deref().and_then(zoom_link_from_id);
        let found = link.is_some();
        raw.online.url = link;
        found
    };
    let details = raw.notes.as_deref().and_then(joining_details);
    // Named, with its number withheld (`[number]`, as copies that redact numbers write it):
    // joinable on request, so online all the same. A short number is something else.
    let named = !moved
        && !built
        && raw.online.url.is_none()
        && details.as_deref().is_some_and(|d| d.contains('['))
        && raw
            .notes
            .as_deref()
            .is_some_and(|n| n.to_ascii_lowercase().contains("zoom"));
    if (moved || built || named) && raw.online.notes.is_none() {
        raw.online.notes = details;
    }
    if named {
        raw.online_flag = true;
    }
    if (moved || built || named) && raw.attendance == Some(Attendance::InPerson) {
        raw.attendance = None;
    }
}

/// Where a conferencing link is in `text`: an `http(s)://` link, else one written without its
/// scheme (`us02web.zoom.us/j/123`), with the link as it is to be followed.
fn find_conferencing_link(text: &str) -> Option<(std::ops::Range<usize>, String)> {
    let with_scheme = find_links(text).into_iter().find_map(|r| {
        let link = text[r.clone()].to_string();
        is_conferencing(&link)
            .then(|| safe_url(&link).ok())
            .flatten()
            .map(|l| (r, l))
    });
    with_scheme.or_else(|| {
        let mut at = 0;
        text.split_inclusive(char::is_whitespace).find_map(|word| {
            let start = at;
            at += word.len();
            let trimmed = word.trim_end();
            let lead = trimmed.len() - trimmed.trim_start_matches(['(', '[', '<', '"', '\'']).len();
            let token = trimmed[lead..].trim_end_matches(|c: char| ".,;:!?)]>\"'".contains(c));
            // Bare links only: a host, then a path (`zoom.us` alone is a name, not a room).
            if token.is_empty() || token.contains("://") || !token.contains('/') {
                return None;
            }
            let link = safe_url(token).ok().filter(|l| is_conferencing(l))?;
            Some((start + lead..start + lead + token.len(), link))
        })
    })
}

/// A Zoom join link from a meeting ID in the notes (`Zoom ID: 812 3456 7890`, `Zoom meeting ID
/// 81234567890`): Zoom IDs are 9 to 11 digits, and `https://zoom.us/j/<id>` joins (asking for
/// the passcode, which stays in the notes). Only when the notes name Zoom.
pub fn zoom_link_from_id(notes: &str) -> Option<String> {
    let lower = notes.to_ascii_lowercase();
    let zoom = lower.find("zoom")?;
    let id = lower[zoom..].find("id").map(|i| i + zoom + 2)?;
    let rest = &notes[id..];
    // `ID:`, `ID -`, `ID is`, then the digits, grouped by spaces or dashes.
    let rest = rest.trim_start_matches([' ', ':', '-', '\u{2013}', '#', '=']);
    let rest = rest
        .strip_prefix("is ")
        .unwrap_or(rest)
        .trim_start_matches([' ', ':']);
    let mut digits = String::new();
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' if !digits.is_empty() => {}
            _ => break,
        }
        if digits.len() > 11 {
            return None;
        }
    }
    (9..=11)
        .contains(&digits.len())
        .then(|| format!("https://zoom.us/j/{digits}"))
}

/// The meeting ID and passcode as the notes write them (`Meeting ID: 812 3456 7890 Passcode:
/// 1234`), for the joining notes; at most 160 characters.
pub fn joining_details(notes: &str) -> Option<String> {
    let lower = notes.to_ascii_lowercase();
    // From the ID, or the passcode when the notes give no ID.
    let start = [
        "meeting id",
        "zoom id",
        "webinar id",
        "conference id",
        "passcode",
        "password",
    ]
    .iter()
    .filter_map(|k| lower.find(k))
    .min()?;
    // Through the passcode's value when there is one, else through the ID's.
    // Near the ID: a "password" further on is about something else.
    let secret = ["passcode", "password", "pass code", "pwd"]
        .iter()
        .filter_map(|k| {
            lower[start..]
                .find(k)
                .filter(|i| *i < 80)
                .map(|i| start + i + k.len())
        })
        .max();
    // The end of the value after a keyword: separators, then one word (a passcode) or the
    // groups of digits of an ID (`812 3456 7890`, or a `[number]` placeholder).
    let value_end = |from: usize, id: bool| -> usize {
        let rest = &notes[from..];
        let mut end = from
            + (rest.len()
                - rest
                    .trim_start_matches([' ', ':', '-', '=', '\u{2013}', '#'])
                    .len());
        for (words, word) in notes[end..].split_inclusive(' ').enumerate() {
            let bare = word.trim().trim_end_matches([',', '.', ';']);
            let fits = if id {
                bare.starts_with('[')
                    || (bare.chars().any(|c| c.is_ascii_digit())
                        && bare.chars().all(|c| c.is_ascii_digit() || c == '-'))
            } else {
                words == 0 && !bare.is_empty()
            };
            if !fits {
                break;
            }
            end += word.trim_end().len();
            if word.ends_with(' ') {
                end += 1;
            }
        }
        end
    };
    let end = match secret {
        Some(after) => value_end(after, false),
        None => {
            let id_at = start + lower[start..].find("id").map_or(0, |i| i + 2);
            value_end(id_at, true)
        }
    };
    let mut details = notes[start..end].trim().trim_end_matches([',', '.', ';']).trim();
    // `(passcode 1212)`: the bracket closes the notes' aside, not the passcode.
    if !details.contains('(') {
        details = details.trim_end_matches(')');
    }
    let details = normalise_whitespace(details, Shape::Line);
    (details.chars().count() > "meeting id".len() && details.chars().count() <= 160).then_some(details)
}

/// Takes the first conferencing link out of `field` when it is, or becomes, the online link.
fn take_conferencing_link(
    key: &str,
    field: &mut Option<String>,
    online: &mut Option<String>,
    kept: &mut BTreeMap<String, String>,
) -> bool {
    let Some(notes) = field.as_deref() else {
        return false;
    };
    let Some((range, link)) = find_conferencing_link(notes) else {
        return false;
    };
    match online {
        Some(url) if *url != link => return false,
        Some(_) => {}
        None => *online = Some(link),
    }
    // Take the link out, with the brackets `strip_html` put around it.
    let (mut start, mut end) = (range.start, range.end);
    if notes[..start].ends_with('(') && notes[end..].starts_with(')') {
        (start, end) = (start - 1, end + 1);
    }
    let (before, after) = (&notes[..start], &notes[end..]);
    // `Join on Zoom (link), passcode` reads `Join on Zoom, passcode`, not `Zoom , passcode`.
    let before = if after.is_empty() || after.starts_with(|c: char| ",.;:!?".contains(c)) {
        before.trim_end_matches([' ', '\t'])
    } else {
        before
    };
    let remaining = normalise_whitespace(&format!("{before}{after}"), Shape::Text);
    kept.entry(key.into()).or_insert_with(|| notes.to_string());
    *field = (!remaining.is_empty()).then_some(remaining);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn clean(value: &str) -> String {
        clean_text(value, Shape::Line).0
    }

    #[test]
    fn entities_are_decoded_case_insensitively_and_twice_at_most() {
        assert_eq!(clean("Fish &Amp; Chips"), "Fish & Chips");
        assert_eq!(clean("Fish &amp; Chips &AMP; Peas"), "Fish & Chips & Peas");
        assert_eq!(
            clean("St Mary&#39;s &amp;amp; St John&#x2019;s"),
            "St Mary's & St John’s"
        );
        assert_eq!(clean("Tom &NBSP;&nbsp; Jerry"), "Tom Jerry");
        assert_eq!(clean("AT&T & co; R&D"), "AT&T & co; R&D");
        assert_eq!(clean("&notanentity; &"), "&notanentity; &");
    }

    #[test]
    fn title_case_artefacts_are_repaired() {
        assert_eq!(clean("St Martin’S Church"), "St Martin’s Church");
        assert_eq!(clean("St Martin'S"), "St Martin's");
        assert_eq!(clean("11Th Step Meeting"), "11th Step Meeting");
        assert_eq!(clean("1St 2Nd 3Rd 4Th"), "1st 2nd 3rd 4th");
        assert_eq!(clean("Don'T Drink, We'Ll Meet"), "Don't Drink, We'll Meet");
        // Left alone: capitals, names, real words after digits.
        for same in [
            "ST MARTIN'S",
            "11TH STEP",
            "O'Brien Hall",
            "D'Arcy",
            "3 Stones",
            "2Nd2",
            "10Thames",
        ] {
            assert_eq!(clean(same), same);
        }
    }

    #[test]
    fn html_becomes_text_with_links_kept_as_urls() {
        let (text, dropped) = clean_text(
            "<p>Meet at the <b>side</b> door.<br/>Join: <a href=\"https://zoom.us/j/123?pwd=a&amp;b=1\">Zoom</a></p>\
             <a href='https://example.org'>https://example.org</a> <script>alert(1)</script>\
             <a href=\"javascript:alert(1)\">click</a> <!-- hidden -->Men <18, <Step 11>",
            Shape::Text,
        );
        assert_eq!(
            text,
            "Meet at the side door.\nJoin: Zoom (https://zoom.us/j/123?pwd=a&b=1)\nhttps://example.org click Men <18, <Step 11>"
        );
        assert_eq!(dropped.len(), 1);
        assert!(
            dropped[0].contains("`javascript:` links are not allowed"),
            "{dropped:?}"
        );
        assert_eq!(clean("A <br> B"), "A B");
        assert_eq!(
            clean("&lt;p&gt;Side door&lt;/p&gt; &lt;3 &amp;lt;b&amp;gt;"),
            "Side door <3"
        );
        assert_eq!(
            clean("<a href=\"https://x.example/\">X"),
            "X (https://x.example/)"
        );
    }

    #[test]
    fn controls_and_whitespace_are_normalised() {
        assert_eq!(clean("\u{feff} A\u{0}\u{7}\tB\u{202e}C\r\n D\u{a0} "), "A BC D");
        assert_eq!(
            clean_text("  one \r\n\r\n\r\n  two  \n\n", Shape::Text).0,
            "one\n\ntwo"
        );
    }

    #[test]
    fn only_http_links_are_safe() {
        assert_eq!(safe_url(" https://zoom.us/j/1 ").unwrap(), "https://zoom.us/j/1");
        assert_eq!(safe_url("HTTP://Example.org/X").unwrap(), "http://Example.org/X");
        assert_eq!(safe_url("zoom.us/j/123").unwrap(), "https://zoom.us/j/123");
        assert_eq!(
            safe_url("www.example.org:8080/x").unwrap(),
            "https://www.example.org:8080/x"
        );
        for (bad, why) in [
            ("javascript:alert(1)", "`javascript:`"),
            ("JaVaScRiPt:alert(1)", "`javascript:`"),
            ("java\u{0}script:alert(1)", "`javascript:`"),
            ("data:text/html,<script>", "`data:`"),
            ("file:///etc/passwd", "`file:`"),
            ("mailto:x@example.org", "`mailto:`"),
            ("https://", "no host"),
            ("https://zoom.us/j/1 passcode 2", "spaces"),
            ("call us", "not a link"),
            ("//evil.example", "not a link"),
        ] {
            let err = safe_url(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn conferencing_links_are_recognised() {
        for yes in [
            "https://zoom.us/j/1",
            "https://us02web.zoom.us/j/1",
            "https://teams.microsoft.com/l/meetup-join/x",
            "http://meet.google.com/abc-defg-hij",
            "https://user@whereby.com:443/room",
        ] {
            assert!(is_conferencing(yes), "{yes}");
        }
        for no in [
            "https://notzoom.us/j/1",
            "https://example.org/zoom.us",
            "zoom.us/j/1",
            "https://zoom.us.evil.example/",
        ] {
            assert!(!is_conferencing(no), "{no}");
        }
        let text = "Join (https://zoom.us/j/1), or see https://example.org/a_(b). Then http";
        let links: Vec<&str> = find_links(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(links, ["https://zoom.us/j/1", "https://example.org/a_(b)"]);
        let text = "[https://zoom.us/j/2] or https://zoom.us/j/[number]?pwd=[redacted]. Bye";
        let links: Vec<&str> = find_links(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(
            links,
            ["https://zoom.us/j/2", "https://zoom.us/j/[number]?pwd=[redacted]"]
        );
    }

    /// Notes as UK feeds write them (the Recovery Meeting Finder dump, intergroup sites).
    #[test]
    fn conferencing_details_in_notes_become_the_online_fields() {
        let record = |notes: &str, attendance: Option<Attendance>, venue: bool| {
            let mut raw = RawMeeting {
                venue: venue.then(|| "Methodist Church Hall".into()),
                notes: Some(notes.into()),
                attendance,
                ..RawMeeting::default()
            };
            clean_record(&mut raw);
            raw
        };
        // A link with its scheme, the ID and passcode beside it: stated in person, so hybrid
        // is left to the record's venue (attendance no longer stated).
        let raw = record(
            "Hybrid mtg with zoom running in the room - https://us04web.zoom.us/j/81234567890 Meeting ID: 812 3456 7890 password: serenity",
            Some(Attendance::InPerson),
            true,
        );
        assert_eq!(
            raw.online.url.as_deref(),
            Some("https://us04web.zoom.us/j/81234567890")
        );
        assert_eq!(
            raw.online.notes.as_deref(),
            Some("Meeting ID: 812 3456 7890 password: serenity")
        );
        assert_eq!(raw.attendance, None);
        assert_eq!(
            raw.notes.as_deref(),
            Some("Hybrid mtg with zoom running in the room - Meeting ID: 812 3456 7890 password: serenity")
        );
        // Written without https://.
        let raw = record(
            "Also on Zoom: us02web.zoom.us/j/87654321098 (passcode 1212)",
            None,
            true,
        );
        assert_eq!(
            raw.online.url.as_deref(),
            Some("https://us02web.zoom.us/j/87654321098")
        );
        assert_eq!(raw.notes.as_deref(), Some("Also on Zoom: (passcode 1212)"));
        let raw = record(
            "Join us on meet.google.com/abc-defg-hij or in the hall.",
            None,
            true,
        );
        assert_eq!(
            raw.online.url.as_deref(),
            Some("https://meet.google.com/abc-defg-hij")
        );
        let raw = record(
            "Online via Teams https://teams.microsoft.com/l/meetup-join/19%3ameeting_x",
            None,
            false,
        );
        assert_eq!(
            raw.online.url.as_deref(),
            Some("https://teams.microsoft.com/l/meetup-join/19%3ameeting_x")
        );
        for (notes, host) in [
            (
                "Webex: https://meetingsemea3.webex.com/meet/aa.leeds",
                "webex.com",
            ),
            ("Jitsi room https://meet.jit.si/SoberSunday", "meet.jit.si"),
            ("Skype https://join.skype.com/abcDEF123", "join.skype.com"),
        ] {
            let raw = record(notes, None, true);
            assert!(
                raw.online.url.as_deref().is_some_and(|u| u.contains(host)),
                "{notes}"
            );
        }
        // A Zoom ID alone makes the join link.
        let raw = record(
            "Meeting is on 1st Floor of the Library. Our zoom ID is 812 3456 7890 Password 4321",
            Some(Attendance::InPerson),
            true,
        );
        assert_eq!(raw.online.url.as_deref(), Some("https://zoom.us/j/81234567890"));
        assert_eq!(
            raw.online.notes.as_deref(),
            Some("zoom ID is 812 3456 7890 Password 4321")
        );
        assert_eq!(raw.attendance, None);
        let raw = record("Zoom meeting ID: 876-543-2109", None, false);
        assert_eq!(raw.online.url.as_deref(), Some("https://zoom.us/j/8765432109"));
        assert_eq!(raw.online.notes.as_deref(), Some("meeting ID: 876-543-2109"));
        // An ID whose number is withheld: online on request, the words kept for joining.
        let raw = record(
            "Zoom Meeting: : Meeting ID - [number] Password - [redacted]",
            Some(Attendance::InPerson),
            true,
        );
        assert_eq!(raw.online.url, None);
        assert!(raw.online_flag);
        assert_eq!(
            raw.online.notes.as_deref(),
            Some("Meeting ID - [number] Password - [redacted]")
        );
        assert_eq!(raw.attendance, None);
        // Not conferencing: left alone.
        for notes in [
            "Meets in the Zoom room of the community centre.",
            "Phone 0161 496 0000 for details; ID required at reception.",
            "See https://www.aa-london.com/meetings for changes",
            "Zoom ID 12345 is not a meeting",
            "Bring a pen: zoom.us",
        ] {
            let raw = record(notes, Some(Attendance::InPerson), true);
            assert_eq!(raw.online.url, None, "{notes}");
            assert!(!raw.online_flag, "{notes}");
            assert_eq!(raw.attendance, Some(Attendance::InPerson), "{notes}");
            assert_eq!(raw.notes.as_deref(), Some(notes));
        }
        // A record that has its link keeps it; the notes' other link stays in the notes.
        let mut raw = RawMeeting {
            notes: Some("Backup room: https://zoom.us/j/99999999999".into()),
            online: crate::domain::Online {
                url: Some("https://zoom.us/j/11111111111".into()),
                ..Default::default()
            },
            ..RawMeeting::default()
        };
        clean_record(&mut raw);
        assert_eq!(raw.online.url.as_deref(), Some("https://zoom.us/j/11111111111"));
        assert_eq!(
            raw.notes.as_deref(),
            Some("Backup room: https://zoom.us/j/99999999999")
        );
    }

    #[test]
    fn long_values_are_cut_on_a_character_boundary() {
        let mut s = "é".repeat(10);
        assert!(truncate(&mut s, 4));
        assert_eq!(s, "ééé…");
        let mut short = "abc".to_string();
        assert!(!truncate(&mut short, 3));
        assert_eq!(shorten("abcdef", 2), "ab… (4 more characters)");
    }

    #[test]
    fn a_record_is_cleaned_with_its_raw_values_kept() {
        let mut raw = RawMeeting {
            name: Some("St Martin’S &Amp; 11Th Step".into()),
            venue: Some("Church <b>Hall</b>".into()),
            address_lines: vec!["1 High St".into(), "Side&nbsp;Lane".into()],
            notes: Some(
                "Hybrid. <a href=\"https://us02web.zoom.us/j/99\">Join on Zoom</a> passcode 7".into(),
            ),
            online: crate::domain::Online {
                url: None,
                phone: Some("0161 496 0000".into()),
                notes: None,
            },
            attendance: Some(Attendance::InPerson),
            group_name: Some("x".repeat(MAX_NAME_CHARS * 3)),
            ..RawMeeting::default()
        };
        let warnings = clean_record(&mut raw);
        assert_eq!(raw.name.as_deref(), Some("St Martin’s & 11th Step"));
        assert_eq!(raw.venue.as_deref(), Some("Church Hall"));
        assert_eq!(raw.address_lines, ["1 High St", "Side Lane"]);
        assert_eq!(raw.online.url.as_deref(), Some("https://us02web.zoom.us/j/99"));
        assert_eq!(raw.notes.as_deref(), Some("Hybrid. Join on Zoom passcode 7"));
        assert_eq!(raw.attendance, None, "the stated in-person is out of date");
        assert_eq!(raw.group_name.as_ref().unwrap().chars().count(), MAX_NAME_CHARS);
        assert_eq!(
            warnings,
            [format!(
                "group was {} characters; cut to {MAX_NAME_CHARS}",
                MAX_NAME_CHARS * 3
            )]
        );
        assert_eq!(raw.raw["name"], "St Martin’S &Amp; 11Th Step");
        assert_eq!(raw.raw["venue"], "Church <b>Hall</b>");
        assert_eq!(raw.raw["address_lines"], "1 High St\nSide&nbsp;Lane");
        assert!(raw.raw["notes"].starts_with("Hybrid. <a href="));
        assert!(!raw.raw.contains_key("online.phone"));

        // BMLT puts links in the joining notes.
        let mut bmlt = RawMeeting {
            venue: Some("Hall".into()),
            online: crate::domain::Online {
                notes: Some("Zoom: https://zoom.us/j/5 id 5".into()),
                ..Default::default()
            },
            ..RawMeeting::default()
        };
        clean_record(&mut bmlt);
        assert_eq!(bmlt.online.url.as_deref(), Some("https://zoom.us/j/5"));
        assert_eq!(bmlt.online.notes.as_deref(), Some("Zoom: id 5"));
        assert_eq!(bmlt.raw["online.notes"], "Zoom: https://zoom.us/j/5 id 5");

        let mut evil = RawMeeting {
            online: crate::domain::Online {
                url: Some("javascript:alert(document.cookie)".into()),
                ..Default::default()
            },
            ..RawMeeting::default()
        };
        let warnings = clean_record(&mut evil);
        assert_eq!(evil.online.url, None);
        assert_eq!(evil.raw["online.url"], "javascript:alert(document.cookie)");
        assert!(
            warnings[0].contains("online link `javascript:alert(document.cookie)` dropped"),
            "{warnings:?}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any text: no panic, no control characters out, within the limit, and idempotent.
        #[test]
        fn cleaning_any_text_is_safe_and_stable(value in any::<String>(), text in any::<bool>()) {
            let shape = if text { Shape::Text } else { Shape::Line };
            let (clean, _) = clean_text(&value, shape);
            prop_assert!(!clean.chars().any(|c| c.is_control() && c != '\n'));
            if shape == Shape::Line {
                prop_assert!(!clean.contains('\n'));
            }
            prop_assert_eq!(clean.trim(), clean.as_str());
            let mut cut = clean.clone();
            truncate(&mut cut, 10);
            prop_assert!(cut.chars().count() <= 10);
        }

        /// Text made of the pieces feeds are made of.
        #[test]
        fn cleaning_feed_like_text_never_panics(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("<a href=\"".to_string()), Just("\">".to_string()), Just("</a>".to_string()),
                    Just("<br>".to_string()), Just("&amp;".to_string()), Just("&Amp;".to_string()),
                    Just("&#".to_string()), Just("’S".to_string()), Just("11Th".to_string()),
                    Just("https://zoom.us/j/1".to_string()), Just("javascript:".to_string()),
                    Just("<script>".to_string()), Just("<!--".to_string()), Just("é".to_string()),
                    "[ -~]{0,8}",
                ],
                0..20,
            ),
        ) {
            let value = parts.concat();
            let _ = clean_text(&value, Shape::Text);
            let _ = safe_url(&value);
            let mut raw = RawMeeting { notes: Some(value.clone()), name: Some(value), ..RawMeeting::default() };
            let _ = clean_record(&mut raw);
            if let Some(url) = &raw.online.url {
                prop_assert!(url.starts_with("http://") || url.starts_with("https://"));
            }
        }

        /// Safe links are http(s), whatever went in.
        #[test]
        fn safe_links_are_http(value in any::<String>()) {
            if let Ok(url) = safe_url(&value) {
                prop_assert!(url.starts_with("http://") || url.starts_with("https://"), "{}", url);
                prop_assert!(!url.contains(char::is_whitespace));
            }
        }
    }
}
