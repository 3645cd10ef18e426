//! meetingmap: one directory of mutual aid meetings, and a search API that answers "which meetings
//! can this person get to this week?".
//!
//! Dependencies point one way: `http` and `cli` use `directory`, which uses `search` and `store`,
//! which use `domain`. `directory` is the only writer to the store; `hash` is the one stable hash.
//! `gazetteer` (places and postcodes) and `travel` (travel times) stand beside
//! `search`; `places` puts them together for resolving what someone typed. `formats` reads and
//! writes every external format (feeds, iCalendar, CSV, GeoJSON, the hand-out) and `coverage`
//! asks and answers coverage questions; `import` runs feeds into the directory. `http` only
//! translates HTTP to calls on these and back: nothing outside it uses it, except `app`, the
//! composition root that starts the server.

pub mod app;
pub mod cli;
pub mod coverage;
pub mod demo;
pub mod directory;
pub mod domain;
pub mod editing;
pub mod formats;
pub mod gazetteer;
pub(crate) mod hash;
pub(crate) mod http;
pub mod i18n;
pub mod import;
pub mod parallel;
pub mod places;
pub mod search;
pub mod settings;
pub mod store;
pub mod travel;
