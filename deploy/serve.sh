#!/usr/bin/env bash
# `make serve` / `make stop`: the production stack on this machine (docs/operations.md).
#
#   deploy/serve.sh [start|stop|status]
#   deploy/serve.sh run <xinfang command …>   e.g. run import-org org.xlsx
#
# start: read the environment file (XINFANG_ENV_FILE, default deploy/.env when it exists —
# copy deploy/.env.example), or, without one, a local trial: production mode on plain HTTP at
# 127.0.0.1 with its data in var/prod. PostgreSQL and Redis are used when they run here (the
# machine's PostgreSQL cluster is started if it is installed and down); otherwise SQLite and
# the database cache. Then migrate, create the cache table, collect static files, start the
# job worker and gunicorn in the background, and wait for /healthz to answer 200.
# run: one `xinfang` command with the same environment as start (database, shared cache,
# keys), so what it changes reaches the running processes (e.g. the scope caches).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${BIN:-$ROOT/.venv/bin}
ACTION=${1:-start}

ENV_FILE=${XINFANG_ENV_FILE:-}
if [ -z "$ENV_FILE" ] && [ -f deploy/.env ]; then ENV_FILE=deploy/.env; fi
if [ -n "$ENV_FILE" ]; then
  set -a; # shellcheck disable=SC1090
  source "$ENV_FILE"; set +a
fi

export XINFANG_ENV=${XINFANG_ENV:-production}
export XINFANG_VAR_DIR=${XINFANG_VAR_DIR:-$ROOT/var/prod}
RUN=${XINFANG_RUN_DIR:-$XINFANG_VAR_DIR/run}
PORT=${SERVE_PORT:-8080}
export XINFANG_BIND=${XINFANG_BIND:-127.0.0.1:$PORT}
ADDR="http://${XINFANG_BIND}"

stop() {
  local name pid
  for name in web worker; do
    if [ -f "$RUN/$name.pid" ]; then
      pid=$(cat "$RUN/$name.pid")
      if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        if kill -0 "$pid" 2>/dev/null; then echo "$name ($pid) still running after 30 s" >&2; exit 1; fi
        echo "stopped $name ($pid)"
      fi
      rm -f "$RUN/$name.pid"
    fi
  done
}

case "$ACTION" in
stop) stop; exit 0 ;;
status)
  for name in web worker; do
    if [ -f "$RUN/$name.pid" ] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then
      echo "$name: running ($(cat "$RUN/$name.pid"))"; else echo "$name: stopped"; fi
  done
  exit 0 ;;
start) ;;
run) shift; [ $# -gt 0 ] || { echo "usage: $0 run <xinfang command …>" >&2; exit 2; } ;;
*) echo "usage: $0 start|stop|status|run <xinfang command …>" >&2; exit 2 ;;
esac

mkdir -p "$XINFANG_VAR_DIR" "$RUN"
chmod 700 "$XINFANG_VAR_DIR"

if [ -z "$ENV_FILE" ]; then
  echo "No environment file (deploy/.env): a local trial on plain HTTP at $ADDR, data in $XINFANG_VAR_DIR."
  export XINFANG_HTTPS=${XINFANG_HTTPS:-false}
  export XINFANG_ALLOWED_HOSTS=${XINFANG_ALLOWED_HOSTS:-127.0.0.1,localhost}
  # The installer (not the settings) creates the keys once, readable by this user only, in a
  # directory beside the data, not inside it: a copy of the data must not carry the field key
  # that opens it (settings refuse a field key inside XINFANG_VAR_DIR; issue 14 item 13).
  SECRETS=${XINFANG_SECRETS_DIR:-${XINFANG_VAR_DIR%/}-secrets}
  mkdir -p "$SECRETS"; chmod 700 "$SECRETS"
  for key in secret_key field_key audit_key; do
    f="$SECRETS/$key"
    var="XINFANG_${key^^}"; file_var="${var}_FILE"
    if [ ! -s "$f" ] && [ -s "$XINFANG_VAR_DIR/secrets/$key" ]; then
      mv "$XINFANG_VAR_DIR/secrets/$key" "$f"  # an earlier trial's key: its data stays readable
      echo "moved $key out of the data directory to $f"
    fi
    if [ -z "${!var:-}" ] && [ -z "${!file_var:-}" ] && [ ! -s "$f" ]; then
      (umask 077; "$BIN/python" -c "import secrets; print(secrets.token_urlsafe(48))" > "$f")
      echo "created $f (mode 600; back up field_key and audit_key apart from the database)"
    fi
  done
  rmdir "$XINFANG_VAR_DIR/secrets" 2>/dev/null || true
  export XINFANG_SECRET_KEY_FILE=${XINFANG_SECRET_KEY_FILE:-$SECRETS/secret_key}
  export XINFANG_FIELD_KEY_FILE=${XINFANG_FIELD_KEY_FILE:-$SECRETS/field_key}
  export XINFANG_AUDIT_KEY_FILE=${XINFANG_AUDIT_KEY_FILE:-$SECRETS/audit_key}

  # PostgreSQL: the local server if it runs (or its cluster can be started), else SQLite.
  if [ -z "${DATABASE_URL:-}" ]; then
    if ! pg_isready -q -h 127.0.0.1 -p 5432 -t 2 2>/dev/null && command -v pg_lsclusters >/dev/null \
        && [ -n "$(pg_lsclusters -h 2>/dev/null)" ]; then
      read -r PGVER PGCLUSTER _ < <(pg_lsclusters -h | head -n1)
      pg_ctlcluster "$PGVER" "$PGCLUSTER" start 2>/dev/null || true
      pg_isready -q -h 127.0.0.1 -p 5432 -t 30 || true
    fi
    DB=${SERVE_DB:-xinfang_serve}
    if psql "postgres://postgres@127.0.0.1:5432/postgres" -qtAc 'select 1' >/dev/null 2>&1; then
      if [ "$(psql "postgres://postgres@127.0.0.1:5432/postgres" -qtAc \
            "select 1 from pg_database where datname = '$DB'")" != 1 ]; then
        psql "postgres://postgres@127.0.0.1:5432/postgres" -qc "CREATE DATABASE \"$DB\""
      fi
      export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
    else
      echo "PostgreSQL not reachable at 127.0.0.1:5432: SQLite in $XINFANG_VAR_DIR (one machine)."
    fi
  fi
  # Redis: the local server if it answers (or can be started), else the database cache.
  if [ -z "${XINFANG_REDIS_URL:-}" ]; then
    if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && command -v redis-server >/dev/null; then
      redis-server --bind 127.0.0.1 --port 6379 --daemonize yes >/dev/null 2>&1 || true
      sleep 0.5
    fi
    if redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
      export XINFANG_REDIS_URL="redis://127.0.0.1:6379/${SERVE_REDIS_DB:-1}"
    else
      echo "Redis not reachable at 127.0.0.1:6379: the database cache."
    fi
  fi
fi
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-$RUN/prometheus}
case "${DATABASE_URL:-sqlite}" in
postgres*) echo "database: PostgreSQL ${DATABASE_URL##*@}" ;;
*) echo "database: SQLite" ;;
esac
echo "cache: ${XINFANG_REDIS_URL:-database table xinfang_cache}"
if [ "$ACTION" = run ]; then exec "$BIN/xinfang" "$@"; fi

stop >/dev/null
X="$BIN/xinfang"
"$X" migrate --noinput -v0
"$X" createcachetable
# Hashing and compressing ~1,300 files takes a while: only when the code or the packages
# changed since the last collection.
STAMP=$( { cat requirements.lock; find xinfang -path '*/static/*' -type f -printf '%P %T@\n' | sort; } \
         | sha256sum | cut -c1-16)
STATIC=${XINFANG_STATIC_ROOT:-$XINFANG_VAR_DIR/static}
if [ "$(cat "$STATIC/.stamp" 2>/dev/null)" != "$STAMP" ]; then
  echo "collecting static files into $STATIC (hashed, gzip + brotli)…"
  "$X" collectstatic --noinput -v0 --clear
  echo "$STAMP" >"$STATIC/.stamp"
fi
"$X" check --deploy >/dev/null 2>"$RUN/check.txt" || { cat "$RUN/check.txt" >&2; exit 1; }

# The job worker (scheduled sweep, retries, heartbeat) and the application server.
nohup "$X" worker >>"$RUN/worker.log" 2>&1 &
echo $! >"$RUN/worker.pid"
"$BIN/gunicorn" -c deploy/gunicorn.conf.py --daemon --pid "$RUN/web.pid" \
  --access-logfile "${XINFANG_ACCESS_LOG_FILE:-$RUN/access.log}" --error-logfile "$RUN/web.log"

# Healthy = database, cache, a worker heartbeat and a successful sweep (the worker's first).
for _ in $(seq 120); do
  if body=$(curl -fsS "$ADDR/healthz" 2>/dev/null); then
    echo "Xinfang is serving at $ADDR (gunicorn $(cat "$RUN/web.pid"), worker $(cat "$RUN/worker.pid"))"
    echo "GET $ADDR/healthz -> 200 $body"
    echo "logs: $RUN/{web,worker,access}.log · stop: make stop"
    exit 0
  fi
  sleep 0.5
done
echo "/healthz did not answer 200 within 60 s:" >&2
curl -sS "$ADDR/healthz" >&2 || true
tail -n 20 "$RUN/web.log" "$RUN/worker.log" >&2 || true
exit 1
