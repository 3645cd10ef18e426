//! HTML text shared by every page meetingmap writes (the hand-out, the coverage report, the
//! finder's page), and the content security policies those pages need.

/// The Content-Security-Policy of a self-contained page: inline styles, nothing from anywhere.
pub const SELF_CONTAINED_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'";

/// The Content-Security-Policy of the finder's page (`/embed`): only this server's script, data
/// and styles (the server adds `frame-ancestors` for the origins allowed to frame it).
pub const FINDER_PAGE_CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; \
     style-src 'self'; base-uri 'none'; form-action 'none'";

/// The finder's page in `lang`: the finder's script with these settings as its `data-`
/// attributes (`max_minutes` as `data-max-minutes`), values escaped.
pub fn finder_page(lang: &str, settings: &[(&str, String)]) -> String {
    let attributes: String = settings
        .iter()
        .map(|(name, value)| format!(" data-{}=\"{}\"", name.replace('_', "-"), escape(value)))
        .collect();
    let title = if lang == "cy" {
        "Cyfarfodydd cyd-gymorth yr wythnos hon"
    } else {
        "Mutual aid meetings this week"
    };
    let lang = escape(lang);
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head>\
         <body><main><script src=\"/embed.js\"{attributes} async></script></main></body></html>\n"
    )
}

/// The finder's page when its settings are wrong: what to fix, in words, for the web developer
/// who framed it (never raw problem+json in someone's page). `strings` is the `"finder"`
/// catalogue of `lang`; `errors` are (setting, reason) pairs.
pub fn finder_error_page(
    lang: &str,
    strings: &serde_json::Map<String, serde_json::Value>,
    errors: &[(String, String)],
) -> String {
    let text = |key: &str| escape(strings.get(key).and_then(|v| v.as_str()).unwrap_or(key));
    let items: String = errors
        .iter()
        .map(|(name, reason)| {
            format!(
                "<li><code>{}</code>: {}</li>",
                escape(name),
                escape(&reason.replace('`', ""))
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title></head>\
         <body><main><h1>{}</h1><p>{}</p><ul>{items}</ul><p>{}</p></main></body></html>\n",
        escape(lang),
        text("config_error_title"),
        text("config_error_title"),
        text("config_error_intro"),
        text("config_error_help"),
    )
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` safe as one URL path segment: RFC 3986's unreserved characters kept, every other byte
/// percent-encoded. The one encoder of meeting ids in links (pages, calendars, ORUK, feeds).
pub fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>alert(\"x\")</script> & 'y'"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }
}
