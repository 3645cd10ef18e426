use clap::Parser;
use tracing_subscriber::EnvFilter;

// mimalloc instead of the system allocator: an import builds and drops millions of small strings
// and JSON values, and glibc's malloc was over a third of its CPU time (docs/benchmarks.md,
// issue 18). A well-kept crate (Microsoft's allocator, its C built by `cc`) rather than pools of
// our own; the figures before and after are in docs/benchmarks.md. Its `no_thp` feature keeps
// transparent huge pages off for the process: with them, memory at 100k meetings was ~30 MB
// above glibc's (2 MB pages partly used); without, the same.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,actix_web::middleware::logger=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match meetingmap::cli::run(meetingmap::cli::Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
