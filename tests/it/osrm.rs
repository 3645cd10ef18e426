//! The OSRM client against a real `osrm-routed` on 127.0.0.1, over a tiny hand-made map.
//!
//! Optional: needs the OSRM binaries from the PyPI wheel `osrm-bindings` (see the README, "Travel
//! times"), found through `MEETINGMAP_OSRM_DIR` (the wheel's `osrm` directory, holding `bin/` and
//! `share/profiles/`) or at `vendor/osrm-wheel/osrm`. Skipped, with a note, when they are absent.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use meetingmap::places::Geo;
use meetingmap::travel::osrm::{Osrm, OsrmConfig};
use meetingmap::travel::Mode;

/// Five nodes and three ways near Wrexham (invented geometry).
const TINY_OSM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand-made">
  <node id="1" version="1" lat="53.0400" lon="-3.0000"/>
  <node id="2" version="1" lat="53.0400" lon="-2.9850"/>
  <node id="3" version="1" lat="53.0400" lon="-2.9700"/>
  <node id="4" version="1" lat="53.0550" lon="-2.9700"/>
  <node id="5" version="1" lat="53.0550" lon="-3.0000"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="primary"/></way>
  <way id="11" version="1"><nd ref="3"/><nd ref="4"/><tag k="highway" v="secondary"/></way>
  <way id="12" version="1"><nd ref="4"/><nd ref="5"/><nd ref="1"/><tag k="highway" v="residential"/></way>
</osm>
"#;

fn osrm_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("MEETINGMAP_OSRM_DIR").map(PathBuf::from) {
        // Asked for explicitly (as .ci/run does): missing binaries are a failure, not a skip.
        assert!(
            dir.join("bin/osrm-routed").exists(),
            "no bin/osrm-routed under {}",
            dir.display()
        );
        return Some(dir);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("vendor/osrm-wheel/osrm");
    dir.join("bin/osrm-routed").exists().then_some(dir)
}

/// Stops the server it holds when dropped, by its own process id.
struct Routed(Child);

impl Drop for Routed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(dir: &Path, program: &Path, args: &[&str]) {
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{} {args:?}", program.display());
}

async fn start_routed(osrm: &Path, work: &Path) -> (Routed, String) {
    std::fs::write(work.join("tiny.osm"), TINY_OSM).unwrap();
    let bin = osrm.join("bin");
    let car = osrm.join("share/profiles/car.lua");
    run(
        work,
        &bin.join("osrm-extract"),
        &["-p", car.to_str().unwrap(), "tiny.osm"],
    );
    run(work, &bin.join("osrm-partition"), &["tiny.osrm"]);
    run(work, &bin.join("osrm-customize"), &["tiny.osrm"]);
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(bin.join("osrm-routed"))
        .args([
            "--algorithm",
            "mld",
            "--ip",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "tiny.osrm",
        ])
        .current_dir(work)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let routed = Routed(child);
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        let probe = reqwest::get(format!("{base}/nearest/v1/driving/-3.0,53.04")).await;
        if let Ok(response) = probe {
            if response.text().await.unwrap_or_default().contains("\"Ok\"") {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "osrm-routed did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (routed, base)
}

#[tokio::test]
async fn real_osrm_server_on_a_tiny_map() {
    let Some(osrm_dir) = osrm_dir() else {
        eprintln!("skipped: no OSRM binaries (set MEETINGMAP_OSRM_DIR; see the README)");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let (_routed, base) = start_routed(&osrm_dir, work.path()).await;
    let config = OsrmConfig {
        drive: Some(base),
        ..Default::default()
    };
    let osrm = Osrm::new(&config, Duration::from_secs(2)).unwrap().unwrap();

    // The values the reference recorded for this map with car.lua.
    let legs = osrm
        .table(Mode::Drive, (53.04, -3.0), &[(53.055, -2.97), (53.04, -2.985)])
        .await
        .unwrap();
    let (a, b) = (legs[0].unwrap(), legs[1].unwrap());
    assert!((a.minutes * 60.0 - 220.7).abs() < 0.5, "{a:?}");
    assert!((a.distance_km - 3.6823).abs() < 0.01, "{a:?}");
    assert!((b.minutes * 60.0 - 55.7).abs() < 0.5, "{b:?}");
    // A search point far from the map's roads cannot be routed.
    assert!(osrm
        .table(Mode::Drive, (53.04, -3.5), &[(53.04, -2.985)])
        .await
        .is_err());

    // End to end: a drive search routed by the server.
    let server = TestApp::builder()
        .meetings(vec![meeting("corner", (53.055, -2.97))])
        .geo(Geo {
            osrm: Some(osrm),
            ..Geo::offline()
        })
        .start()
        .await;
    let (status, body) = server.get("/v1/meetings?near=53.04,-3.0&mode=drive").await;
    assert_eq!(status, 200, "{body}");
    let travel = &body["meetings"][0]["travel"];
    assert_eq!(travel["method"], "osrm", "{body}");
    assert_eq!(travel["minutes"], 4);
    assert_eq!(travel["distance_km"], 3.68);
}
