//! What people write in a report: kept short, and without contact details they did not mean to
//! leave.

/// Longest report text kept, in characters.
pub const MAX_REPORT_CHARS: usize = 1000;

/// `text` with anything that looks like an e-mail address or a phone number replaced by
/// `[removed]`, unless the reporter asked to be contacted (`keep_contact`); cut to
/// [`MAX_REPORT_CHARS`]; `None` when nothing is left.
pub fn scrub_report(text: &str, keep_contact: bool) -> Option<String> {
    let text: String = crate::import::clean::remove_controls(text.trim()).into_owned();
    let mut out = if keep_contact {
        text
    } else {
        text.split_inclusive(char::is_whitespace)
            .map(|word| {
                let bare = word.trim_end();
                if looks_like_email(bare) {
                    format!("[removed]{}", &word[bare.len()..])
                } else {
                    word.to_string()
                }
            })
            .collect::<String>()
    };
    if !keep_contact {
        out = strip_phones(&out);
    }
    let out: String = out.chars().take(MAX_REPORT_CHARS).collect();
    let out = out.trim();
    (!out.is_empty()).then(|| out.to_string())
}

fn looks_like_email(word: &str) -> bool {
    let word = word.trim_matches(|c: char| "()<>[],;:.!?\"'".contains(c));
    match word.split_once('@') {
        Some((local, domain)) => !local.is_empty() && domain.contains('.') && !domain.starts_with('.'),
        None => false,
    }
}

/// Runs of digits (with the spaces, dashes, dots, brackets and `+` phone numbers are written
/// with) holding 7 or more digits: a phone number, not a time (`19:30`) or a year.
fn strip_phones(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit()
            || (chars[i] == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let mut j = i;
            let mut digits = 0;
            let mut last_digit = i;
            while j < chars.len() && (chars[j].is_ascii_digit() || " -.()+".contains(chars[j])) {
                if chars[j].is_ascii_digit() {
                    digits += 1;
                    last_digit = j;
                }
                j += 1;
            }
            if digits >= 7 {
                out.push_str("[removed]");
                i = last_digit + 1;
                continue;
            }
            out.extend(&chars[i..=last_digit]);
            i = last_digit + 1;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_details_are_removed_unless_the_reporter_opts_in() {
        let text = "Door locked at 19:30 on 2 Dec 2026. Ring me on 07700 900123 or mail jo@example.org.";
        assert_eq!(
            scrub_report(text, false).unwrap(),
            "Door locked at 19:30 on 2 Dec 2026. Ring me on [removed] or mail [removed]"
        );
        assert_eq!(scrub_report(text, true).unwrap(), text);
        assert_eq!(scrub_report("+44 (0)1978 123456", false).unwrap(), "[removed]");
        assert_eq!(scrub_report("   ", false), None);
        assert_eq!(
            scrub_report(&"x".repeat(5000), false).unwrap().len(),
            MAX_REPORT_CHARS
        );
    }
}
