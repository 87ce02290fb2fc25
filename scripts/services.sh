#!/usr/bin/env bash
# Checks that PostgreSQL and Redis answer; starts local ones that are installed but stopped;
# otherwise says exactly what to install or run. Used by `npm start` (prestart) and .ci/run.
set -u
PGHOST=${PGHOST:-127.0.0.1}; PGPORT=${PGPORT:-5432}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}; REDIS_PORT=${REDIS_PORT:-6379}
quiet=${1:-}

say() { [ "$quiet" = "--quiet" ] || echo "$@"; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_port() { for _ in $(seq 1 30); do port_open "$1" "$2" && return 0; sleep 0.5; done; return 1; }

missing=0

if port_open "$PGHOST" "$PGPORT"; then
  say "PostgreSQL answers on $PGHOST:$PGPORT"
elif command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "PostgreSQL is stopped: starting cluster $version/main"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_port "$PGHOST" "$PGPORT" && echo "PostgreSQL started" || { echo "PostgreSQL did not start: see /var/log/postgresql/"; missing=1; }
else
  echo "PostgreSQL is not reachable on $PGHOST:$PGPORT and is not installed here."
  echo "  Debian/Ubuntu: sudo apt-get install postgresql postgresql-contrib   (then: sudo pg_ctlcluster 15 main start)"
  echo "  macOS:         brew install postgresql@15 && brew services start postgresql@15"
  echo "  or point DATABASE_URL at a PostgreSQL 15+ server you have."
  missing=1
fi

if port_open "$REDIS_HOST" "$REDIS_PORT"; then
  say "Redis answers on $REDIS_HOST:$REDIS_PORT"
elif command -v redis-server >/dev/null 2>&1; then
  echo "Redis is stopped: starting redis-server on $REDIS_PORT"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null
  wait_port "$REDIS_HOST" "$REDIS_PORT" && echo "Redis started" || { echo "Redis did not start"; missing=1; }
else
  echo "Redis is not reachable on $REDIS_HOST:$REDIS_PORT and is not installed here."
  echo "  Debian/Ubuntu: sudo apt-get install redis-server"
  echo "  macOS:         brew install redis && brew services start redis"
  echo "  or point REDIS_URL at a Redis 7 server you have."
  missing=1
fi

exit $missing
