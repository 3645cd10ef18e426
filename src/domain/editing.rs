//! Editing by hand: who may change the directory (API keys), the sources maintained by hand, the
//! corrections kept over imported meetings, the audit trail and the problems people report.
//!
//! Pure data: the rules that need a clock or a database live in `crate::editing` and the store.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Writes the meetings of the sources it is granted, and works their reports.
    Editor,
    /// Writes every source, and manages every report.
    Admin,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }
}

/// An API key as stored: never the secret, only its SHA-256 (kept beside, not in, this record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApiKey {
    /// Public part of the key (`mmk_<id>.<secret>`), safe to show and log.
    pub id: String,
    /// Who holds it (`Wrexham agency`).
    pub name: String,
    pub role: Role,
    /// Source ids an editor may write; empty for an admin (who may write all).
    pub sources: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
}

impl ApiKey {
    /// Whether this key may write meetings of `source_id`.
    pub fn may_write(&self, source_id: &str) -> bool {
        self.revoked_at.is_none() && (self.role == Role::Admin || self.sources.iter().any(|s| s == source_id))
    }
}

/// A source maintained by hand: never imported, never touched by an import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LocalSource {
    pub id: String,
    pub name: String,
    pub attribution: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// Corrections to an imported meeting, applied over every import of its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Overlay {
    pub meeting_id: String,
    pub source_id: String,
    /// The corrected fields, in the editing vocabulary (see `/v1/admin/meetings`): field → value.
    #[schema(value_type = Object)]
    pub fields: BTreeMap<String, serde_json::Value>,
    /// What the feed said for each corrected field when it was corrected.
    #[schema(value_type = Object)]
    pub base: BTreeMap<String, serde_json::Value>,
    /// Corrected fields the feed has changed since (its value differs from `base`): the feed may
    /// now be right, and the correction can be dropped.
    #[serde(default)]
    pub feed_changed: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

/// Why someone reports a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportReason {
    /// Nobody was there at the listed time.
    NoMeeting,
    Moved,
    WrongTime,
    Closed,
    Other,
}

impl ReportReason {
    pub const ALL: [ReportReason; 5] = [
        ReportReason::NoMeeting,
        ReportReason::Moved,
        ReportReason::WrongTime,
        ReportReason::Closed,
        ReportReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportReason::NoMeeting => "no_meeting",
            ReportReason::Moved => "moved",
            ReportReason::WrongTime => "wrong_time",
            ReportReason::Closed => "closed",
            ReportReason::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<ReportReason> {
        ReportReason::ALL.into_iter().find(|r| r.as_str() == text.trim())
    }

    /// As a sentence ends: "reported as possibly <label> on 3 Dec".
    pub fn label(self) -> &'static str {
        match self {
            ReportReason::NoMeeting => "no meeting at this time",
            ReportReason::Moved => "moved",
            ReportReason::WrongTime => "wrong time",
            ReportReason::Closed => "closed",
            ReportReason::Other => "something else wrong",
        }
    }
}

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Open,
    /// An editor acted on it (fixed or withdrew the meeting).
    Resolved,
    /// An editor found nothing wrong.
    Dismissed,
}

impl ReportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Open => "open",
            ReportStatus::Resolved => "resolved",
            ReportStatus::Dismissed => "dismissed",
        }
    }

    pub fn parse(text: &str) -> Option<ReportStatus> {
        [
            ReportStatus::Open,
            ReportStatus::Resolved,
            ReportStatus::Dismissed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text.trim())
    }
}

/// A problem someone reported with a meeting. Holds no address of the reporter, and no contact
/// details unless they chose to leave them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Report {
    pub id: i64,
    pub meeting_id: String,
    /// The meeting's source, so editors see the reports of their sources.
    pub source_id: String,
    pub reason: ReportReason,
    /// What the reporter wrote, with e-mail addresses and phone numbers removed unless they
    /// agreed to be contacted.
    pub text: Option<String>,
    /// The reporter agreed to be contacted at what `text` gives.
    pub contact_ok: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    pub status: ReportStatus,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<Timestamp>,
    /// Name of the key that resolved or dismissed it.
    pub closed_by: Option<String>,
    pub closing_note: Option<String>,
}

/// Open reports on a meeting, as its public record shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reported {
    /// Open reports.
    pub open: usize,
    /// The reason of the latest open report.
    pub reason: ReportReason,
    /// When the latest open report was made (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// "Reported as possibly moved on 3 December 2026".
    pub summary: String,
}

impl Reported {
    /// The flag for a meeting's open reports; `None` without any.
    pub fn from_open<'a>(reports: impl IntoIterator<Item = &'a Report>) -> Option<Reported> {
        let open: Vec<&Report> = reports
            .into_iter()
            .filter(|r| r.status == ReportStatus::Open)
            .collect();
        let latest = open.iter().max_by_key(|r| (r.created_at, r.id))?;
        let day = latest.created_at.to_zoned(jiff::tz::TimeZone::UTC).date();
        Some(Reported {
            open: open.len(),
            reason: latest.reason,
            at: latest.created_at,
            summary: format!(
                "reported as possibly {} on {}",
                latest.reason.label(),
                day.strftime("%-d %B %Y")
            ),
        })
    }
}

/// What one audited change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Create,
    Replace,
    Patch,
    Withdraw,
    /// Corrections to an imported meeting set or changed.
    Correct,
    /// Corrections to an imported meeting dropped: the feed's values are served again.
    DropCorrection,
    Bulk,
    ResolveReport,
    DismissReport,
}

/// One change, who made it and why: a row of the audit trail. Never holds a key's secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    /// Increasing; 0 before it is stored.
    pub id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub key_id: String,
    pub key_name: String,
    pub action: AuditAction,
    pub meeting_id: Option<String>,
    pub source_id: Option<String>,
    /// Each changed field (`name`, `location.venue`...) with its value before and after:
    /// `{"name": {"before": "A", "after": "B"}}`.
    #[schema(value_type = Object)]
    pub diff: serde_json::Value,
    pub note: Option<String>,
}

/// The difference between two JSON values, field by field (objects walked, paths joined by `.`),
/// as [`AuditEntry::diff`] holds it.
pub fn json_diff(before: &serde_json::Value, after: &serde_json::Value) -> serde_json::Value {
    fn walk(
        path: &str,
        a: &serde_json::Value,
        b: &serde_json::Value,
        out: &mut serde_json::Map<String, serde_json::Value>,
    ) {
        use serde_json::Value;
        let empty = serde_json::Map::new();
        // Null against an object (a meeting created or withdrawn, a location added) is walked
        // as an empty object, so every field shows.
        let object = |v: &'_ Value| -> Option<serde_json::Map<String, Value>> {
            match v {
                Value::Object(m) => Some(m.clone()),
                Value::Null => Some(empty.clone()),
                _ => None,
            }
        };
        match (object(a), object(b)) {
            (Some(x), Some(y)) if a.is_object() || b.is_object() => {
                let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                for k in keys {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(
                        &p,
                        x.get(k).unwrap_or(&Value::Null),
                        y.get(k).unwrap_or(&Value::Null),
                        out,
                    );
                }
            }
            _ if a == b => {}
            _ => {
                out.insert(
                    if path.is_empty() {
                        "meeting".into()
                    } else {
                        path.to_string()
                    },
                    serde_json::json!({"before": a, "after": b}),
                );
            }
        }
    }
    let mut out = serde_json::Map::new();
    walk("", before, after, &mut out);
    serde_json::Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_diff_names_each_changed_field_with_both_values() {
        let diff = json_diff(
            &json!({"name": "A", "location": {"venue": "Hall", "town": "Wrexham"}, "notes": null}),
            &json!({"name": "B", "location": {"venue": "Hall", "town": "Chirk"}, "notes": "x"}),
        );
        assert_eq!(
            diff,
            json!({
                "name": {"before": "A", "after": "B"},
                "location.town": {"before": "Wrexham", "after": "Chirk"},
                "notes": {"before": null, "after": "x"},
            })
        );
        assert_eq!(
            json_diff(&json!(null), &json!({"a": 1})),
            json!({"a": {"before": null, "after": 1}})
        );
    }

    #[test]
    fn the_public_flag_tells_the_latest_open_report() {
        let report = |id, day: &str, reason, status| Report {
            id,
            meeting_id: "m".into(),
            source_id: "s".into(),
            reason,
            text: None,
            contact_ok: false,
            created_at: format!("{day}T10:00:00Z").parse().unwrap(),
            status,
            closed_at: None,
            closed_by: None,
            closing_note: None,
        };
        let reports = [
            report(1, "2026-11-01", ReportReason::WrongTime, ReportStatus::Open),
            report(2, "2026-12-03", ReportReason::Moved, ReportStatus::Open),
            report(3, "2026-12-05", ReportReason::Closed, ReportStatus::Dismissed),
        ];
        let flag = Reported::from_open(&reports).unwrap();
        assert_eq!(flag.open, 2);
        assert_eq!(flag.summary, "reported as possibly moved on 3 December 2026");
        assert_eq!(Reported::from_open(&reports[2..]), None);
    }
}
