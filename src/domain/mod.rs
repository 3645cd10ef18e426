//! The meeting directory's model: fellowships, meeting types, meetings and their schedules.
//!
//! Pure code: no I/O, no clocks read (callers pass "now"), so everything here is unit- and
//! property-tested directly.

mod change;
mod editing;
mod fellowship;
mod geo;
mod helpline;
mod meeting;
mod meeting_type;
mod provenance;
mod schedule;

pub use change::{ChangePosition, ChangeState, ChangesFrom, MeetingChange};
pub use editing::{
    json_diff, ApiKey, AuditAction, AuditEntry, LocalSource, Overlay, Report, ReportReason, ReportStatus,
    Reported, Role,
};
pub use fellowship::{Fellowship, FellowshipInfo, FELLOWSHIPS};
pub use geo::{distance_km, round_km, EARTH_RADIUS_KM};
pub use helpline::{helpline, Helpline, HELPLINES};
pub use meeting::{
    conferencing_service, Access, Attendance, InvalidMeeting, Location, Meeting, Online, SourceRef, Status,
    CONFERENCING_SERVICES,
};
pub use meeting_type::{Facet, MeetingType, TypeInfo, TypeSet, TYPES};
pub use provenance::{
    feed_date, ImportCounts, ImportOutcome, ImportRun, ImportWarning, RejectedRecord, UnknownType,
};
pub use schedule::{
    rfc3339, Day, LocalTime, Occurrence, Schedule, ScheduleError, WeekOfMonth, WindowDayIndex, Zone,
    ZoneWindow,
};
