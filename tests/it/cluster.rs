//! The deployment of docs/deploy.md, without containers: PostgreSQL, three `meetingmap serve`
//! replicas on it and HAProxy (deploy/haproxy.cfg) in front, all on loopback. Needs PostgreSQL
//! (`MEETINGMAP_TEST_POSTGRES_URL`) and `haproxy`; skipped outside CI without them.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::ids;
use crate::common::{can_run, postgres_admin_url, PostgresDatabase, ServeProcess};
use crate::replicas::{feed_file, get, import_into, within_deadline};

/// HAProxy running deploy/haproxy.cfg over `replicas`, killed when dropped.
struct Balancer {
    child: Child,
    base: String,
}

impl Balancer {
    fn start(replicas: &[&str]) -> Balancer {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/haproxy.cfg");
        let strip = |base: &str| base.trim_start_matches("http://").to_string();
        let child = Command::new(haproxy())
            .args(["-db", "-f", config])
            .env("LB_BIND", format!("127.0.0.1:{port}"))
            .env("REPLICA1", strip(replicas[0]))
            .env("REPLICA2", strip(replicas[1]))
            .env("REPLICA3", strip(replicas[2]))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Balancer {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn haproxy() -> &'static str {
    ["/usr/sbin/haproxy", "/usr/local/sbin/haproxy"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .unwrap_or("haproxy")
}

fn haproxy_missing() -> Option<String> {
    let found = Command::new(haproxy())
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    (!found).then(|| "no haproxy (apt-get install -y haproxy)".to_string())
}

/// A source definition refreshed by the servers, reading `feed` from the mock server.
fn source_definition(dir: &Path, id: &str, feed_server: &MockServer) {
    std::fs::write(
        dir.join(format!("{id}.toml")),
        format!(
            "id = \"{id}\"\nname = \"Source {id}\"\nformat = \"meeting-guide\"\nurl = \"{}/{id}.json\"\n\
             fellowship = \"aa\"\nattribution = \"Made up for tests\"\nenabled = true\n",
            feed_server.uri()
        ),
    )
    .unwrap();
}

/// A Meeting Guide feed of `records` meetings, `prefix`ed so two sources' meetings differ.
fn feed(prefix: &str, records: usize) -> Value {
    (0..records)
        .map(|i| {
            serde_json::json!({"slug": format!("{prefix}{i}"), "name": format!("{prefix} group {i}"),
                "day": i % 7, "time": "18:00", "timezone": "Europe/London", "types": ["C"],
                "location": "Hall", "address": "2 Church St", "city": "Chester",
                "latitude": 53.19 + i as f64 * 0.001, "longitude": -2.89})
        })
        .collect()
}

/// `meetingmap serve` on the shared database, refreshing the sources in `importers`. The watch
/// interval is long on purpose: within two seconds, only a notification can tell a replica.
fn replica(database: &str, importers: &Path) -> ServeProcess {
    let mut command = Command::new(env!("CARGO_BIN_EXE_meetingmap"));
    command.args([
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--database",
        database,
        "--importers",
        importers.to_str().unwrap(),
        "--watch-ms",
        "10000",
    ]);
    ServeProcess::start(command)
}

/// `requests` searches through the balancer, one after another; answers what went wrong.
fn search_load(
    client: &reqwest::Client,
    balancer: &Balancer,
    requests: usize,
) -> tokio::task::JoinHandle<Vec<String>> {
    let client = client.clone();
    let url = format!("{}/v1/meetings?limit=20", balancer.base);
    tokio::spawn(async move {
        let mut failures = Vec::new();
        for _ in 0..requests {
            match client.get(&url).send().await {
                Ok(r) if r.status() == 200 => {}
                Ok(r) => failures.push(r.status().to_string()),
                Err(e) => failures.push(e.to_string()),
            }
        }
        failures
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_behind_haproxy_share_one_postgres() {
    let Some(admin) = postgres_admin_url() else { return };
    if !can_run(haproxy_missing()) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let postgres = PostgresDatabase::create(&admin).await;
    let database = postgres.url.clone();

    // Two enabled sources, slow to download so that every replica's first refresh overlaps.
    let feeds = MockServer::start().await;
    for (id, records) in [("alpha", 5), ("beta", 7)] {
        Mock::given(method("GET"))
            .and(path(format!("/{id}.json")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(feed(id, records))
                    .set_delay(Duration::from_millis(300)),
            )
            .mount(&feeds)
            .await;
    }
    let importers = dir.path().join("importers");
    std::fs::create_dir(&importers).unwrap();
    source_definition(&importers, "alpha", &feeds);
    source_definition(&importers, "beta", &feeds);

    // Three replicas started at once on an empty database: they migrate it once between them
    // (under sqlx's advisory lock), and each one's refresh finds both sources due.
    let mut replicas: Vec<Option<ServeProcess>> = tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            let started: Vec<_> = (0..3)
                .map(|_| scope.spawn(|| replica(&database, &importers)))
                .collect();
            started.into_iter().map(|s| Some(s.join().unwrap())).collect()
        })
    });
    let bases: Vec<String> = replicas
        .iter()
        .map(|r| r.as_ref().unwrap().base.clone())
        .collect();
    let balancer = Balancer::start(&bases.iter().map(String::as_str).collect::<Vec<_>>());

    // The scheduled refresh ran once per source across the three replicas, and every replica
    // serves its result.
    let count = |body: &Value| ids(body).len();
    for base in &bases {
        within_deadline(&format!("the scheduled imports on {base}"), || async {
            count(&get(&format!("{base}/v1/meetings?limit=500")).await.2) == 12
        })
        .await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for id in ["alpha", "beta"] {
        let downloads = feeds
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.url.path() == format!("/{id}.json"))
            .count();
        assert_eq!(downloads, 1, "{id} downloaded once");
        let (status, _, history) = get(&format!("{}/v1/sources/{id}/imports", bases[0])).await;
        assert_eq!(status, 200, "{history}");
        assert_eq!(
            history["imports"].as_array().map(Vec::len),
            Some(1),
            "{id}: {history}"
        );
    }

    // An import through the command line, in its own process: every replica serves it within
    // two seconds (their polls are ten seconds apart: the notification did it).
    import_into(&feed_file(dir.path(), 40), &database);
    for base in &bases {
        within_deadline(&format!("the command-line import on {base}"), || async {
            count(&get(&format!("{base}/v1/meetings?limit=500")).await.2) == 52
        })
        .await;
    }

    // Paging with a cursor, each page from the next replica, returns every meeting once.
    let (_, _, all) = get(&format!("{}/v1/meetings?limit=500", balancer.base)).await;
    let everything = ids(&all);
    assert_eq!(everything.len(), 52);
    let mut paged = Vec::new();
    let mut query = "/v1/meetings?limit=9".to_string();
    for page in 0.. {
        let base = &bases[page % 3];
        let (status, _, body) = get(&format!("{base}{query}")).await;
        assert_eq!(status, 200, "page {page} from {base}: {body}");
        paged.extend(ids(&body));
        match body["next"].as_str() {
            Some(cursor) => query = format!("/v1/meetings?limit=9&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(paged, everything, "every meeting exactly once, in order");

    // Load through the balancer while one replica is killed: every request is answered (the
    // balancer retries what the dead replica did not answer on another), and the others serve on.
    let client = reqwest::Client::new();
    let load: Vec<_> = (0..4).map(|_| search_load(&client, &balancer, 150)).collect();
    tokio::time::sleep(Duration::from_millis(150)).await;
    drop(replicas[1].take());
    let mut failures = Vec::new();
    for task in load {
        failures.extend(task.await.unwrap());
    }
    assert!(failures.is_empty(), "requests lost: {failures:?}");
    for base in [&bases[0], &bases[2]] {
        assert_eq!(count(&get(&format!("{base}/v1/meetings?limit=500")).await.2), 52);
    }
    let (status, _, _) = get(&format!("{}/ready", bases[0])).await;
    assert_eq!(status, 200);

    // A rolling restart's first half: a replica asked to stop (SIGTERM) finishes what it has
    // started and exits cleanly, while the balancer moves its traffic to the last one.
    let load = search_load(&client, &balancer, 200);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut stopping = replicas[2].take().unwrap();
    let exit = tokio::task::block_in_place(|| stopping.terminate());
    assert!(exit.success(), "{exit}");
    let failures = load.await.unwrap();
    assert!(failures.is_empty(), "requests lost: {failures:?}");
    assert_eq!(
        count(&get(&format!("{}/v1/meetings?limit=500", bases[0])).await.2),
        52
    );
}
