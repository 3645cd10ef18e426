//! The backup file `meetingmap export` writes and `meetingmap load` reads: the API's own meeting
//! representation, with a header naming the format so a later version can refuse or convert it.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::Meeting;

/// The backup file.
#[derive(Serialize, Deserialize)]
pub struct ExportFile {
    pub format: String,
    pub exported_at: Timestamp,
    pub meetings: Vec<Meeting>,
}

/// The one format this version writes and reads.
pub const EXPORT_FORMAT: &str = "meetingmap-export-v1";
