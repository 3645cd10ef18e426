//! The change feed's model: what happened to a meeting, in the order the directory recorded it.
//!
//! Every write of meetings records, in its own transaction, one change per meeting whose content it
//! changed (a new, edited or returning meeting is `updated`; one that is really gone is `deleted`).
//! A meeting has one entry at a time, at its latest change, so a client reading the log in
//! `(modified, id)` order sees every meeting's latest state exactly once, however many times it
//! changed meanwhile (RPDE's "one item per id" rule).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Meeting;

/// Whether the meeting exists after the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeState {
    /// Added, edited or listed again: `data` holds the meeting as it now is.
    Updated,
    /// Gone from the directory (its source no longer lists it, or it was withdrawn): a tombstone.
    Deleted,
}

impl ChangeState {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeState::Updated => "updated",
            ChangeState::Deleted => "deleted",
        }
    }

    pub fn parse(text: &str) -> Option<ChangeState> {
        match text {
            "updated" => Some(ChangeState::Updated),
            "deleted" => Some(ChangeState::Deleted),
            _ => None,
        }
    }
}

/// Where in the change log: the position of one change, ordered by `modified` then `id`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChangePosition {
    /// The change number of the write that made the change: it grows with every committed write
    /// of meetings, in commit order.
    pub modified: i64,
    pub id: String,
}

/// Where a reading of the change log starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangesFrom {
    /// From the first change kept.
    Start,
    /// With the first write recorded at or after this instant.
    Since(Timestamp),
    /// Just after this change.
    After(ChangePosition),
}

/// One meeting's latest change.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingChange {
    pub position: ChangePosition,
    pub state: ChangeState,
    /// When the write was committed, by the writer's clock.
    pub changed_at: Timestamp,
    /// The meeting as it is now, for `updated`; `None` for `deleted`.
    pub meeting: Option<Meeting>,
}
