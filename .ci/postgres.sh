#!/usr/bin/env bash
# A throw-away PostgreSQL for the tests: Debian's `postgresql` package, a fresh cluster in a
# temporary data directory, run as an unprivileged user (PostgreSQL refuses to run as root) and
# listening on loopback only. Trust authentication is safe there and keeps the URL secret-free.
#
#   .ci/postgres.sh start   # prints the admin URL; export it as MEETINGMAP_TEST_POSTGRES_URL
#   .ci/postgres.sh stop
#
# PGDIR (default ${TMPDIR:-/tmp}/meetingmap-pg) and PGPORT (default 55432) place it;
# PG_DURABLE=1 keeps PostgreSQL's default durability (for benchmarks).
set -euo pipefail

dir="${PGDIR:-${TMPDIR:-/tmp}/meetingmap-pg}"
port="${PGPORT:-55432}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
[ -x "$bin/pg_ctl" ] || { echo "no PostgreSQL server (apt-get install -y postgresql)" >&2; exit 1; }

# Run as `postgres` (made by the Debian package) when we are root, as ourselves otherwise.
as_user() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    if ! as_user "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      rm -rf "$dir" && mkdir -p "$dir"
      [ "$(id -u)" = 0 ] && chown postgres: "$dir"
      as_user "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
      # Tests make one database each, and several servers each hold a small pool and a listener:
      # allow for them. fsync off: the data is thrown away, and the tests should be quick. Little
      # WAL kept: every test database is a copy of template1 written through it.
      fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c wal_level=minimal -c max_wal_senders=0 -c max_wal_size=64MB -c min_wal_size=32MB"
      [ "${PG_DURABLE:-0}" = 1 ] && fast=""
      as_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o \
        "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=400 $fast" \
        start >/dev/null
    fi
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_user "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
