//! The changes an editor makes, each checked (key, source, version, fields) and applied as one
//! [`Edit`] through the directory, with its audit row.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use serde_json::Value;

use super::{build, build_sheet, context, feed_values, fields_of, merge, FieldError, Fields};
use crate::directory::Directory;
use crate::domain::{
    json_diff, ApiKey, AuditAction, AuditEntry, LocalSource, Meeting, Overlay, Report, ReportReason,
    ReportStatus, Reported, Role, SourceRef, Zone,
};
use crate::gazetteer::Gazetteer;
use crate::store::{meeting_etag, Edit, EditOutcome, Guard, OverlayWrite, ReportFilter, StoreError};

/// Why a change was not made.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    /// `If-Match` is not the current version; the current ETag, if the meeting exists.
    #[error("the meeting changed since it was read (its ETag is now {current:?})")]
    Stale { current: Option<String> },
    #[error("invalid meeting")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A meeting as an editor reads it: the stored meeting, its fields in the editing vocabulary,
/// its version, and the corrections over it when it is imported.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Editable {
    pub meeting: Meeting,
    #[schema(value_type = Object)]
    pub fields: Fields,
    /// The ETag to send back in `If-Match`.
    pub etag: String,
    /// True for meetings of a source maintained by hand; imported ones are corrected instead.
    pub local: bool,
    pub corrections: Option<Overlay>,
}

/// What a sheet would do to a local source, or did.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct BulkSummary {
    /// Nothing was written: send again with `dry_run=false` to apply.
    pub dry_run: bool,
    pub rows: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Meetings of the source the sheet no longer lists (withdrawn on apply).
    pub removed: usize,
    /// Rows that are not valid meetings, each with its bad fields: nothing is written while any
    /// row is bad.
    pub rejected: Vec<RejectedRow>,
    /// Why applying is refused (the sheet lost more meetings than allowed), if it is.
    pub refused: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RejectedRow {
    pub row: String,
    pub errors: Vec<RowError>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RowError {
    pub field: String,
    pub reason: String,
}

/// Fraction of a local source's meetings a sheet may drop without `force`, as for imports.
pub const MAX_SHRINK: f64 = 0.5;

/// The editing service for one request.
pub struct Editing<'a> {
    pub directory: &'a Directory,
    pub gazetteer: &'a Arc<Gazetteer>,
    pub now: Timestamp,
}

impl Editing<'_> {
    fn local_source<'s>(&self, sources: &'s [LocalSource], id: &str) -> Option<&'s LocalSource> {
        sources.iter().find(|s| s.id == id)
    }

    /// The meeting `id` as `key` may edit it.
    pub async fn read(&self, key: &ApiKey, id: &str) -> Result<Editable, EditError> {
        let meeting = self
            .directory
            .stored_meeting(id)
            .await?
            .ok_or_else(|| EditError::NotFound(format!("no meeting has id `{id}`")))?;
        may_write(key, &meeting.source.id)?;
        let local = self
            .directory
            .local_sources()
            .await?
            .iter()
            .any(|s| s.id == meeting.source.id);
        let corrections = if local {
            None
        } else {
            self.directory
                .overlays(Some(&meeting.source.id))
                .await?
                .into_iter()
                .find(|o| o.meeting_id == id)
        };
        Ok(Editable {
            fields: fields_of(&meeting),
            etag: meeting_etag(&meeting),
            meeting,
            local,
            corrections,
        })
    }

    /// The meetings of the sources `key` may write whose name, town, postcode or id contain
    /// `query` (all of them without one), at most `limit`, ordered by id.
    pub async fn list(
        &self,
        key: &ApiKey,
        source: Option<&str>,
        query: &str,
        limit: usize,
    ) -> Result<Vec<Meeting>, EditError> {
        let sources: Vec<String> = match (source, key.role) {
            (Some(s), _) => {
                may_write(key, s)?;
                vec![s.to_string()]
            }
            (None, Role::Admin) => self
                .directory
                .local_sources()
                .await?
                .into_iter()
                .map(|s| s.id)
                .collect(),
            (None, Role::Editor) => key.sources.clone(),
        };
        let needle = crate::search::fold_text(query.trim());
        let mut out = Vec::new();
        for s in sources {
            for m in self.directory.source_meetings(&s).await? {
                let hay = crate::search::fold_text(&format!(
                    "{} {} {} {}",
                    m.id,
                    m.name,
                    m.location.as_ref().and_then(|l| l.town.as_deref()).unwrap_or(""),
                    m.location
                        .as_ref()
                        .and_then(|l| l.postcode.as_deref())
                        .unwrap_or("")
                ));
                if needle.is_empty() || hay.contains(&needle) {
                    out.push(m);
                }
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out.truncate(limit);
        Ok(out)
    }

    /// Adds a meeting to a local source.
    pub async fn create(
        &self,
        key: &ApiKey,
        source_id: &str,
        mut fields: Fields,
        note: Option<String>,
    ) -> Result<Editable, EditError> {
        let sources = self.directory.local_sources().await?;
        let Some(source) = self.local_source(&sources, source_id) else {
            return Err(self.not_local(source_id).await?);
        };
        may_write(key, source_id)?;
        // A record id of its own, so the meeting keeps its id whatever is changed later (an id
        // from its content would change with its name).
        if fields
            .get("id")
            .is_none_or(|v| v.as_str().is_none_or(|s| s.trim().is_empty()))
        {
            let id: String = (0..4).map(|_| format!("{:02x}", rand::random::<u8>())).collect();
            fields.insert("id".into(), Value::String(format!("m{id}")));
        }
        let meeting = self.build_local(source, &fields)?;
        let audit = self.audit(
            key,
            AuditAction::Create,
            &meeting,
            &Value::Null,
            &to_value(&meeting),
            note,
        );
        let edit = Edit {
            guard: Some((meeting.id.clone(), Guard::Absent)),
            put: vec![meeting.clone()],
            audit: vec![audit],
            ..Edit::default()
        };
        match self.directory.edit(&edit).await? {
            EditOutcome::Applied { .. } => self.read(key, &meeting.id).await,
            EditOutcome::Stale { .. } => Err(EditError::Conflict(format!(
                "a meeting with id `{}` exists already",
                meeting.id
            ))),
        }
    }

    fn build_local(&self, source: &LocalSource, fields: &Fields) -> Result<Meeting, EditError> {
        let source_ref = SourceRef {
            id: source.id.clone(),
            name: source.name.clone(),
            attribution: source.attribution.clone(),
            record_id: None,
            raw: BTreeMap::new(),
        };
        build(
            fields,
            &context(source_ref, Zone::london(), self.now),
            Some(self.gazetteer),
        )
        .map_err(EditError::Invalid)
    }

    /// Replaces (`patch` false: `fields` are the whole meeting) or patches a meeting: a local
    /// meeting is rebuilt from its fields, an imported one gets the fields as corrections.
    pub async fn change(
        &self,
        key: &ApiKey,
        id: &str,
        if_match: &str,
        fields: Fields,
        patch: bool,
        note: Option<String>,
    ) -> Result<Editable, EditError> {
        let current = self.read(key, id).await?;
        if current.etag != if_match {
            return Err(EditError::Stale {
                current: Some(current.etag),
            });
        }
        let before = current.meeting.clone();
        let (meeting, overlay, action) = if current.local {
            let sources = self.directory.local_sources().await?;
            let source = self
                .local_source(&sources, &before.source.id)
                .expect("a local meeting's source is local");
            let mut all = if patch {
                merge(current.fields.clone(), &fields)
            } else {
                fields
            };
            // The record id stays: it is what the meeting id is made from.
            all.insert(
                "id".into(),
                current.fields.get("id").cloned().unwrap_or(Value::Null),
            );
            let built = self.build_local(source, &all)?;
            let meeting = Meeting {
                id: before.id.clone(),
                first_seen_at: before.first_seen_at,
                reported: before.reported.clone(),
                ..built
            };
            (
                meeting,
                None,
                if patch {
                    AuditAction::Patch
                } else {
                    AuditAction::Replace
                },
            )
        } else {
            if !patch {
                return Err(EditError::Conflict(format!(
                    "`{id}` is imported from `{}`: correct it with PATCH (its feed keeps the rest)",
                    before.source.id
                )));
            }
            let check = super::check_fields(&fields);
            if !check.is_empty() {
                return Err(EditError::Invalid(check));
            }
            let old = current.corrections.clone();
            // The feed's value of each newly corrected field: what the stored meeting shows for a
            // field no correction covered yet.
            let mut base = old.as_ref().map(|o| o.base.clone()).unwrap_or_default();
            let fresh: Vec<String> = fields
                .keys()
                .filter(|f| !base.contains_key(*f))
                .cloned()
                .collect();
            base.extend(feed_values(&before, fresh));
            let overlay = Overlay {
                meeting_id: id.to_string(),
                source_id: before.source.id.clone(),
                fields: merge(
                    old.as_ref().map(|o| o.fields.clone()).unwrap_or_default(),
                    &fields,
                ),
                base,
                feed_changed: Vec::new(),
                updated_at: self.now,
            };
            let corrected = super::apply_overlay(&before, &overlay, self.now).map_err(EditError::Invalid)?;
            let meeting = Meeting {
                updated_at: self.now,
                ..corrected
            };
            (meeting, Some(OverlayWrite::Put(overlay)), AuditAction::Correct)
        };
        let meeting = Meeting {
            updated_at: self.now,
            last_seen_at: if current.local {
                self.now
            } else {
                before.last_seen_at
            },
            ..meeting
        };
        let audit = self.audit(
            key,
            action,
            &meeting,
            &to_value(&before),
            &to_value(&meeting),
            note,
        );
        self.commit(
            key,
            id,
            if_match,
            vec![meeting],
            vec![],
            overlay.into_iter().collect(),
            audit,
        )
        .await
    }

    /// Drops the corrections over an imported meeting: the feed's values are served again.
    pub async fn drop_corrections(
        &self,
        key: &ApiKey,
        id: &str,
        if_match: &str,
        note: Option<String>,
    ) -> Result<Editable, EditError> {
        let current = self.read(key, id).await?;
        if current.etag != if_match {
            return Err(EditError::Stale {
                current: Some(current.etag),
            });
        }
        let Some(overlay) = current.corrections else {
            return Err(EditError::NotFound(format!("`{id}` has no corrections")));
        };
        let restore = Overlay {
            fields: overlay.base.clone(),
            ..overlay.clone()
        };
        let before = current.meeting;
        let restored = super::apply_overlay(&before, &restore, self.now).map_err(EditError::Invalid)?;
        let meeting = Meeting {
            updated_at: self.now,
            ..restored
        };
        let audit = self.audit(
            key,
            AuditAction::DropCorrection,
            &meeting,
            &to_value(&before),
            &to_value(&meeting),
            note,
        );
        self.commit(
            key,
            id,
            if_match,
            vec![meeting],
            vec![],
            vec![OverlayWrite::Delete(id.to_string())],
            audit,
        )
        .await
    }

    /// Withdraws a meeting of a local source.
    pub async fn withdraw(
        &self,
        key: &ApiKey,
        id: &str,
        if_match: &str,
        note: Option<String>,
    ) -> Result<(), EditError> {
        let current = self.read(key, id).await?;
        if !current.local {
            return Err(EditError::Conflict(format!(
                "`{id}` is imported from `{}`: it leaves when its feed drops it",
                current.meeting.source.id
            )));
        }
        if current.etag != if_match {
            return Err(EditError::Stale {
                current: Some(current.etag),
            });
        }
        let audit = self.audit(
            key,
            AuditAction::Withdraw,
            &current.meeting,
            &to_value(&current.meeting),
            &Value::Null,
            note,
        );
        let edit = Edit {
            guard: Some((id.to_string(), Guard::Etag(if_match.to_string()))),
            withdraw: vec![id.to_string()],
            audit: vec![audit],
            ..Edit::default()
        };
        match self.directory.edit(&edit).await? {
            EditOutcome::Applied { .. } => Ok(()),
            EditOutcome::Stale { current } => Err(EditError::Stale { current }),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn commit(
        &self,
        key: &ApiKey,
        id: &str,
        if_match: &str,
        put: Vec<Meeting>,
        withdraw: Vec<String>,
        overlays: Vec<OverlayWrite>,
        audit: AuditEntry,
    ) -> Result<Editable, EditError> {
        let edit = Edit {
            guard: Some((id.to_string(), Guard::Etag(if_match.to_string()))),
            put,
            withdraw,
            overlays,
            audit: vec![audit],
            ..Edit::default()
        };
        match self.directory.edit(&edit).await? {
            EditOutcome::Applied { .. } => self.read(key, id).await,
            EditOutcome::Stale { current } => Err(EditError::Stale { current }),
        }
    }

    /// Reads a sheet in the template's shape as the whole list of a local source: what it would
    /// change, and with `apply` (and no bad row, and no shrink past [`MAX_SHRINK`] without
    /// `force`) the change made, in one transaction with one audit row.
    pub async fn bulk(
        &self,
        key: &ApiKey,
        source_id: &str,
        sheet: &[u8],
        apply: bool,
        force: bool,
        note: Option<String>,
    ) -> Result<BulkSummary, EditError> {
        let sources = self.directory.local_sources().await?;
        let Some(source) = self.local_source(&sources, source_id) else {
            return Err(self.not_local(source_id).await?);
        };
        may_write(key, source_id)?;
        let source_ref = SourceRef {
            id: source.id.clone(),
            name: source.name.clone(),
            attribution: source.attribution.clone(),
            record_id: None,
            raw: BTreeMap::new(),
        };
        let rows = build_sheet(
            sheet,
            &context(source_ref, Zone::london(), self.now),
            Some(self.gazetteer),
        )
        .map_err(|e| EditError::Invalid(vec![("sheet".into(), e)]))?;
        let existing = self.directory.source_meetings(source_id).await?;
        let before: std::collections::HashMap<&str, &Meeting> =
            existing.iter().map(|m| (m.id.as_str(), m)).collect();
        let mut summary = BulkSummary {
            dry_run: !apply,
            rows: rows.len(),
            ..BulkSummary::default()
        };
        let mut meetings: Vec<Meeting> = Vec::new();
        for (label, built) in rows {
            match built {
                Err(errors) => summary.rejected.push(RejectedRow {
                    row: label,
                    errors: errors
                        .into_iter()
                        .map(|(field, reason)| RowError { field, reason })
                        .collect(),
                }),
                Ok(m) if meetings.iter().any(|o| o.id == m.id) => summary.rejected.push(RejectedRow {
                    row: label,
                    errors: vec![RowError {
                        field: "id".into(),
                        reason: format!("repeats the id of an earlier row ({})", m.id),
                    }],
                }),
                Ok(mut m) => {
                    match before.get(m.id.as_str()) {
                        None => summary.added += 1,
                        Some(old) => {
                            m.first_seen_at = old.first_seen_at;
                            m.reported = old.reported.clone();
                            let same = Meeting {
                                updated_at: old.updated_at,
                                last_seen_at: old.last_seen_at,
                                ..m.clone()
                            } == **old;
                            if same {
                                summary.unchanged += 1;
                                m.updated_at = old.updated_at;
                            } else {
                                summary.updated += 1;
                            }
                        }
                    }
                    meetings.push(m);
                }
            }
        }
        let kept: std::collections::HashSet<&str> = meetings.iter().map(|m| m.id.as_str()).collect();
        let withdraw: Vec<String> = existing
            .iter()
            .filter(|m| !kept.contains(m.id.as_str()))
            .map(|m| m.id.clone())
            .collect();
        summary.removed = withdraw.len();
        let floor = existing.len() as f64 * (1.0 - MAX_SHRINK);
        if (meetings.len() as f64) < floor && !force {
            summary.refused = Some(format!(
                "the sheet would shrink `{source_id}` from {} to {} meetings, more than the {:.0}% allowed; send force=true if this is right",
                existing.len(),
                meetings.len(),
                MAX_SHRINK * 100.0
            ));
        }
        if !summary.rejected.is_empty() {
            summary.refused.get_or_insert_with(|| {
                "some rows are not valid meetings; fix them and send the sheet again".into()
            });
        }
        if !apply || summary.refused.is_some() {
            summary.dry_run = true;
            return Ok(summary);
        }
        let diff = serde_json::json!({
            "added": summary.added, "updated": summary.updated,
            "unchanged": summary.unchanged, "removed": summary.removed,
        });
        let audit = AuditEntry {
            id: 0,
            at: self.now,
            key_id: key.id.clone(),
            key_name: key.name.clone(),
            action: AuditAction::Bulk,
            meeting_id: None,
            source_id: Some(source_id.to_string()),
            diff,
            note,
        };
        self.directory
            .edit(&Edit {
                put: meetings,
                withdraw,
                audit: vec![audit],
                ..Edit::default()
            })
            .await?;
        Ok(summary)
    }

    /// Records a report on a meeting (public: no key), flags the meeting, and returns the report.
    pub async fn report(
        &self,
        meeting_id: &str,
        reason: ReportReason,
        text: Option<&str>,
        contact_ok: bool,
    ) -> Result<Report, EditError> {
        let meeting = self
            .directory
            .stored_meeting(meeting_id)
            .await?
            .ok_or_else(|| EditError::NotFound(format!("no meeting has id `{meeting_id}`")))?;
        let report = Report {
            id: 0,
            meeting_id: meeting_id.to_string(),
            source_id: meeting.source.id.clone(),
            reason,
            text: text.and_then(|t| super::text::scrub_report(t, contact_ok)),
            contact_ok,
            created_at: self.now,
            status: ReportStatus::Open,
            closed_at: None,
            closed_by: None,
            closing_note: None,
        };
        let id = self.write_report(&report, Vec::new()).await?;
        Ok(Report { id, ..report })
    }

    /// Stores a new or changed report with its audit rows, and the meeting's `reported` flag as
    /// the open reports now make it, in one edit guarded by the meeting's ETag: a change an
    /// editor saves meanwhile is never overwritten by an old copy (the flag is worked out again
    /// on the new one). Returns the report's id.
    async fn write_report(&self, report: &Report, audit: Vec<AuditEntry>) -> Result<i64, EditError> {
        for _ in 0..5 {
            let meeting = self.directory.stored_meeting(&report.meeting_id).await?;
            let mut open: Vec<Report> = self
                .directory
                .reports(&ReportFilter {
                    status: Some(ReportStatus::Open),
                    meeting_id: Some(report.meeting_id.clone()),
                    limit: usize::MAX,
                    ..ReportFilter::default()
                })
                .await?
                .into_iter()
                .filter(|r| r.id != report.id)
                .collect();
            if report.status == ReportStatus::Open {
                open.push(report.clone());
            }
            // A withdrawn meeting's report is still closed; there is no flag to change.
            let (guard, put) = match meeting {
                Some(m) => (
                    Some((m.id.clone(), Guard::Etag(meeting_etag(&m)))),
                    vec![Meeting {
                        reported: Reported::from_open(&open),
                        ..m
                    }],
                ),
                None => (None, Vec::new()),
            };
            let outcome = self
                .directory
                .edit(&Edit {
                    guard,
                    put,
                    report: Some(report.clone()),
                    audit: audit.clone(),
                    ..Edit::default()
                })
                .await?;
            if let EditOutcome::Applied { report_id } = outcome {
                return Ok(report_id.unwrap_or(report.id));
            }
        }
        Err(EditError::Conflict(format!(
            "meeting `{}` kept changing while the report was saved; send it again",
            report.meeting_id
        )))
    }

    /// Reports `key` may see: those on meetings of its sources (an admin's: all).
    pub async fn reports(
        &self,
        key: &ApiKey,
        status: Option<ReportStatus>,
        meeting_id: Option<String>,
        limit: usize,
    ) -> Result<Vec<Report>, EditError> {
        Ok(self
            .directory
            .reports(&ReportFilter {
                status,
                meeting_id,
                sources: (key.role != Role::Admin).then(|| key.sources.clone()),
                id: None,
                limit,
            })
            .await?)
    }

    /// Resolves or dismisses an open report; the meeting's flag goes with its last open report.
    pub async fn close_report(
        &self,
        key: &ApiKey,
        id: i64,
        status: ReportStatus,
        note: Option<String>,
    ) -> Result<Report, EditError> {
        let report = self
            .directory
            .reports(&ReportFilter {
                id: Some(id),
                limit: 1,
                ..ReportFilter::default()
            })
            .await?
            .pop()
            .ok_or_else(|| EditError::NotFound(format!("no report has id {id}")))?;
        may_write(key, &report.source_id)?;
        if report.status != ReportStatus::Open {
            return Err(EditError::Conflict(format!(
                "report {id} is {} already",
                report.status.as_str()
            )));
        }
        let closed = Report {
            status,
            closed_at: Some(self.now),
            closed_by: Some(key.name.clone()),
            closing_note: note.clone(),
            ..report.clone()
        };
        let action = if status == ReportStatus::Dismissed {
            AuditAction::DismissReport
        } else {
            AuditAction::ResolveReport
        };
        let audit = AuditEntry {
            id: 0,
            at: self.now,
            key_id: key.id.clone(),
            key_name: key.name.clone(),
            action,
            meeting_id: Some(report.meeting_id.clone()),
            source_id: Some(report.source_id.clone()),
            diff: json_diff(&to_value(&report), &to_value(&closed)),
            note,
        };
        self.write_report(&closed, vec![audit]).await?;
        Ok(closed)
    }

    fn audit(
        &self,
        key: &ApiKey,
        action: AuditAction,
        meeting: &Meeting,
        before: &Value,
        after: &Value,
        note: Option<String>,
    ) -> AuditEntry {
        AuditEntry {
            id: 0,
            at: self.now,
            key_id: key.id.clone(),
            key_name: key.name.clone(),
            action,
            meeting_id: Some(meeting.id.clone()),
            source_id: Some(meeting.source.id.clone()),
            diff: json_diff(&strip_times(before), &strip_times(after)),
            note,
        }
    }

    /// Why `source_id` takes no meetings by hand: unknown (404), or imported (409).
    async fn not_local(&self, source_id: &str) -> Result<EditError, StoreError> {
        let imported = !self.directory.source_meetings(source_id).await?.is_empty()
            || self.directory.last_import(source_id).await?.is_some();
        Ok(if imported {
            EditError::Conflict(format!(
                "`{source_id}` is imported from a feed; only sources maintained by hand take new meetings"
            ))
        } else {
            EditError::NotFound(format!("no source maintained by hand has id `{source_id}`"))
        })
    }
}

/// Whether `key` may write meetings of `source_id`; 403 naming the source if not.
pub fn may_write(key: &ApiKey, source_id: &str) -> Result<(), EditError> {
    if key.may_write(source_id) {
        Ok(())
    } else {
        Err(EditError::Forbidden(format!(
            "key `{}` may not edit meetings of `{source_id}`",
            key.id
        )))
    }
}

fn to_value(meeting: &impl serde::Serialize) -> Value {
    serde_json::to_value(meeting).expect("serialises")
}

/// A meeting's JSON without the bookkeeping times every save moves, so the diff shows what the
/// editor changed.
fn strip_times(value: &Value) -> Value {
    let mut value = value.clone();
    if let Some(object) = value.as_object_mut() {
        object.remove("updated_at");
        object.remove("last_seen_at");
    }
    value
}
