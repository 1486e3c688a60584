#!/usr/bin/env bash
# A throw-away PostgreSQL 15 cluster for the tests (issue 16): `cluster.sh start DIR` creates it
# in DIR (initdb as an unprivileged user: the `postgres` system user when run as root, else the
# caller), listening on 127.0.0.1 at a free port and on a unix socket in DIR, and prints the
# lines `CHARGECONTROL_TEST_POSTGRES=<url>` for the tests to read; `cluster.sh stop DIR` stops it
# at once and removes DIR. Without PostgreSQL it prints `CHARGECONTROL_TEST_POSTGRES_SKIP=<why>`
# instead and exits 0, so that the tests say why they were skipped.
set -euo pipefail
cmd=${1:?usage: cluster.sh start|stop DIR}
dir=${2:?usage: cluster.sh start|stop DIR}

bindir=""
for candidate in "${PG_BINDIR:-}" /usr/lib/postgresql/15/bin "$(command -v pg_config >/dev/null 2>&1 && pg_config --bindir || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then bindir=$candidate; break; fi
done

as_owner() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

case "$cmd" in
start)
  if [ -z "$bindir" ]; then
    echo "CHARGECONTROL_TEST_POSTGRES_SKIP=PostgreSQL 15 is not installed (no initdb/pg_ctl; make test installs postgresql-15 when run as root)"
    exit 0
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "CHARGECONTROL_TEST_POSTGRES_SKIP=running as root without a postgres user to run initdb as"
    exit 0
  fi
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  chmod 700 "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if ! as_owner "'$bindir/initdb' -D '$dir/data' -A trust -U chargecontrol -E UTF8 --no-locale >'$dir/initdb.log' 2>&1"; then
    echo "CHARGECONTROL_TEST_POSTGRES_SKIP=initdb failed: $(tail -1 "$dir/initdb.log")"
    exit 0
  fi
  # fsync off: a throw-away cluster; the durability the tests check is the store's own ordering.
  if ! as_owner "'$bindir/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 60 \
      -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200\" start >/dev/null"; then
    echo "CHARGECONTROL_TEST_POSTGRES_SKIP=pg_ctl start failed: $(tail -1 "$dir/server.log" 2>/dev/null)"
    exit 0
  fi
  echo "CHARGECONTROL_TEST_POSTGRES=postgresql://chargecontrol@127.0.0.1:$port/postgres"
  ;;
stop)
  if [ -n "$bindir" ] && [ -d "$dir/data" ]; then
    as_owner "'$bindir/pg_ctl' -D '$dir/data' -m immediate stop >/dev/null 2>&1" || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: cluster.sh start|stop DIR" >&2
  exit 2
  ;;
esac
