//! `meetingmap openapi`: print the contract the server serves at `/openapi.json`.

pub fn run() -> anyhow::Result<()> {
    println!("{}", crate::app::openapi_json()?);
    Ok(())
}
