//! `openapi/openapi.json` is the API contract: it must match what the code generates.
//! Run with `UPDATE_OPENAPI=1` to rewrite it after an intended change, then review the diff.

#[test]
fn committed_spec_matches_generated() {
    let generated = meetingmap::app::openapi_json().unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json differs from the generated spec; run `UPDATE_OPENAPI=1 cargo test --test it openapi` and review the diff"
    );
}
