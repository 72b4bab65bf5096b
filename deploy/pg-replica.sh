#!/usr/bin/env bash
# Two throwaway PostgreSQL clusters on this machine, a primary and a hot standby streaming from
# it, for the read-replica test (`make test-replica`; recipes §8). The server on 5432 is left
# alone.
#
#   deploy/pg-replica.sh up|down
#
# PGREPL_DIR (default /tmp/xinfang-pgrepl), PGREPL_PORT (the primary, default 5433; the standby
# listens on the next port). `up` prints the two URLs for DATABASE_URL and XINFANG_REPLICA_URL.
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
BASE=${PGREPL_DIR:-/tmp/xinfang-pgrepl}
PORT=${PGREPL_PORT:-5433}
RPORT=$((PORT + 1))
if [ "$(id -u)" = 0 ]; then as_pg() { runuser -u postgres -- "$@"; }  # initdb refuses root
else as_pg() { "$@"; }; fi

down() {
  for c in replica primary; do
    if [ -f "$BASE/$c/postmaster.pid" ]; then
      as_pg "$PGBIN/pg_ctl" -D "$BASE/$c" -m fast -w stop >/dev/null || true
    fi
  done
  rm -rf "$BASE"
}

case "${1:-up}" in
up)
  down
  install -d -o "$( [ "$(id -u)" = 0 ] && echo postgres || id -un)" "$BASE"
  as_pg "$PGBIN/initdb" -D "$BASE/primary" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    >/dev/null
  # wal_level=replica, max_wal_senders and hot_standby are PostgreSQL 15's defaults; initdb
  # --auth=trust allows local replication connections.
  cat >>"$BASE/primary/postgresql.conf" <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$BASE'
max_connections = 60
fsync = off
CONF
  as_pg "$PGBIN/pg_ctl" -D "$BASE/primary" -l "$BASE/primary.log" -w start >/dev/null
  as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PORT" -U postgres -D "$BASE/replica" \
    -R -X stream -C -S xinfang_replica -c fast
  echo "port = $RPORT" | as_pg tee -a "$BASE/replica/postgresql.conf" >/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$BASE/replica" -l "$BASE/replica.log" -w start >/dev/null
  # A started standby is not yet a streaming one: wait until the standby's WAL receiver says
  # 'streaming' and the primary's sender to the slot says so too, or fail with both logs.
  primary="postgres://postgres@127.0.0.1:$PORT/postgres"
  standby="postgres://postgres@127.0.0.1:$RPORT/postgres"
  for _ in $(seq 1 120); do
    rx=$(psql "$standby" -qtAc "SELECT status FROM pg_stat_wal_receiver" 2>/dev/null || true)
    tx=$(psql "$primary" -qtAc "SELECT state FROM pg_stat_replication r JOIN \
      pg_replication_slots s ON s.active_pid = r.pid WHERE s.slot_name = 'xinfang_replica'" \
      2>/dev/null || true)
    [ "$rx" = streaming ] && [ "$tx" = streaming ] && break
    sleep 0.5
  done
  if [ "$rx" != streaming ] || [ "$tx" != streaming ]; then
    echo "the standby is not streaming (receiver: '${rx:-none}', sender: '${tx:-none}')" >&2
    tail -n 20 "$BASE/primary.log" "$BASE/replica.log" >&2
    down
    exit 1
  fi
  psql "$primary" -qc "CREATE DATABASE xinfang"
  echo "DATABASE_URL=postgres://postgres@127.0.0.1:$PORT/xinfang"
  echo "XINFANG_REPLICA_URL=postgres://postgres@127.0.0.1:$RPORT/xinfang"
  ;;
down) down ;;
*) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
