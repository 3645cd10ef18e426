//! The integration tests: one binary (one link, one start-up), a module per area. Every test
//! that needs a server starts the real application through `App::build` with `TestApp` (see
//! `common`), or the real `meetingmap` binary with `ServeProcess`.

mod common;

mod api;
mod browser;
mod changes;
mod cli;
mod cluster;
mod cors;
mod coverage;
mod crash;
mod ecosystem;
mod editing;
mod embed;
mod exports;
mod geo;
mod import;
mod openapi;
mod oruk;
mod osrm;
mod pages;
mod real_feeds;
mod reliability;
mod replicas;
mod report;
mod store;
