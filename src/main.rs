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

/// `mi_option_purge_delay` in mimalloc.h (v2 and v3 alike: the option after
/// `mi_option_eager_commit_delay`, 14, and before `mi_option_use_numa_nodes`, 16, which
/// libmimalloc-sys names); libmimalloc-sys does not name this one.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    // Give freed memory back to the system at once instead of after 10 ms of further
    // allocation on the thread that owns it: the meetings a snapshot is built from (150 MB at
    // 100,000 meetings) are freed on threads that then go quiet, and stayed resident: 304 MB
    // after start instead of 184 MB (docs/benchmarks.md, issue 18). Search throughput was the
    // same with and without, side by side.
    // An operator's own `MIMALLOC_PURGE_DELAY` (mimalloc reads its environment) is kept.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one of mimalloc's documented options by its documented number; called
        // before any other thread is started, as `mi_option_set`'s "not thread safe" asks.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
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
