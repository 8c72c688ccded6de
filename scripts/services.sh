#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis run on 127.0.0.1 for the suites that need them. Idempotent:
# installs them with apt-get when missing (as root), starts them when stopped, sets Redis'
# eviction policy to noeviction (BullMQ loses jobs otherwise), creates the database.
# `services.sh stop postgres|redis …` stops them instead.
# Env: DATABASE_NAME (default netwarden), REDIS_PORT (6379), PGPORT (5432).
set -euo pipefail

DB=${DATABASE_NAME:-netwarden}
REDIS_PORT=${REDIS_PORT:-6379}
PGPORT=${PGPORT:-5432}
log() { printf 'services: %s\n' "$*" >&2; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then log "need root to install $*"; exit 1; fi
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_ready() { pg_isready -q -h 127.0.0.1 -p "$PGPORT" 2>/dev/null; }

ensure_postgres() {
  if ! command -v pg_isready >/dev/null || ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    log "installing PostgreSQL"; apt_install postgresql
  fi
  if ! pg_ready; then
    log "starting PostgreSQL"
    local ver; ver=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
    for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  fi
  pg_ready || { log "PostgreSQL did not come up on 127.0.0.1:$PGPORT"; exit 1; }
  # The name as a psql variable (:'db' quotes it as a literal), never pasted into the SQL.
  if ! runuser -u postgres -- psql -p "$PGPORT" -v db="$DB" -tA 2>/dev/null <<<"SELECT 1 FROM pg_database WHERE datname = :'db'" | grep -q 1; then
    log "creating database $DB"
    runuser -u postgres -- createdb -p "$PGPORT" "$DB"
  fi
}

redis_ready() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

ensure_redis() {
  command -v redis-server >/dev/null || { log "installing Redis"; apt_install redis-server; }
  if ! redis_ready; then
    log "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/netwarden.log
    for _ in $(seq 1 30); do redis_ready && break; sleep 0.5; done
  fi
  redis_ready || { log "Redis did not come up on 127.0.0.1:$REDIS_PORT"; exit 1; }
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" config set maxmemory-policy noeviction >/dev/null
}

# `services.sh stop postgres redis`: `npm start` stops, on Ctrl-C, what it had this script start.
stop_services() {
  local s ver
  for s in "$@"; do
    case "$s" in
      postgres)
        log "stopping PostgreSQL"; ver=$(ls /etc/postgresql | sort -V | tail -n 1)
        pg_ctlcluster --skip-systemctl-redirect "$ver" main stop || true ;;
      redis)
        log "stopping Redis"; redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true ;;
    esac
  done
}
if [ "${1:-}" = stop ]; then shift; stop_services "$@"; exit 0; fi

ensure_postgres
ensure_redis
log "PostgreSQL (db $DB) on 127.0.0.1:$PGPORT and Redis on 127.0.0.1:$REDIS_PORT are ready"
