//! Every external format, in both directions where both exist. No HTTP here: handlers and
//! commands choose a format and hand it typed values.

pub mod backup;
