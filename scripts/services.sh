#!/usr/bin/env bash
# Checks that the PostgreSQL of DATABASE_URL and the Redis of REDIS_URL answer (defaults as in
# src/config.ts). When a URL points at this machine (127.0.0.1, localhost, ::1), starts the local
# service if it is installed but stopped, or says what to install; a remote one that does not answer
# is named (without its password) and the script exits 1. Used by `npm start` (prestart) and .ci/run.
set -u
DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/listings}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
quiet=${1:-}

say() { [ "$quiet" = "--quiet" ] || echo "$@"; }

# scheme://[user[:password]@]host[:port][/path][?query] → "host port" (IPv6 without its brackets)
host_and_port() {
  local url=$1 default_port=$2 rest authority hostport host port
  rest=${url#*://}
  authority=${rest%%[/?#]*}
  hostport=${authority##*@}
  if [[ $hostport == \[*\]* ]]; then
    host=${hostport#[}; host=${host%%]*}
    port=${hostport##*]}; port=${port#:}
  elif [[ $hostport == *:* ]]; then
    host=${hostport%%:*}; port=${hostport#*:}
  else
    host=$hostport; port=
  fi
  echo "${host:-localhost} ${port:-$default_port}"
}

# the URL as it may be printed: user:password@ becomes user:***@
without_password() { sed -E 's#^([a-z]+://[^:/@]*):[^@/]*@#\1:***@#' <<<"$1"; }

is_local() { case $1 in 127.0.0.1|localhost|::1) return 0 ;; *) return 1 ;; esac; }

# a TCP connect, at most 3 s (a remote host that drops packets would otherwise hang for minutes)
port_open() {
  if command -v timeout >/dev/null 2>&1; then
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
  else
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
  fi
}
wait_port() { for _ in $(seq 1 30); do port_open "$1" "$2" && return 0; sleep 0.5; done; return 1; }

remote_down() { # name, url, setting
  echo "$1 at $(without_password "$2") does not answer, and it is not on this machine, so nothing is started here."
  echo "  Check that the server is up and reachable from here, or point ${3} at another one."
}

missing=0
read -r pg_host pg_port < <(host_and_port "$DATABASE_URL" 5432)
read -r redis_host redis_port < <(host_and_port "$REDIS_URL" 6379)

if port_open "$pg_host" "$pg_port"; then
  say "PostgreSQL answers on $pg_host:$pg_port"
elif ! is_local "$pg_host"; then
  remote_down PostgreSQL "$DATABASE_URL" DATABASE_URL
  missing=1
elif command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "PostgreSQL is stopped: starting cluster $version/main"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_port "$pg_host" "$pg_port" && echo "PostgreSQL started" ||
    { echo "PostgreSQL did not start on $pg_host:$pg_port: see /var/log/postgresql/ (is the cluster's port $pg_port?)"; missing=1; }
else
  echo "PostgreSQL is not reachable on $pg_host:$pg_port and is not installed here."
  echo "  Debian/Ubuntu: sudo apt-get install postgresql postgresql-contrib   (then: sudo pg_ctlcluster 15 main start)"
  echo "  macOS:         brew install postgresql@15 && brew services start postgresql@15"
  echo "  or point DATABASE_URL at a PostgreSQL 15+ server you have."
  missing=1
fi

if port_open "$redis_host" "$redis_port"; then
  say "Redis answers on $redis_host:$redis_port"
elif ! is_local "$redis_host"; then
  remote_down Redis "$REDIS_URL" REDIS_URL
  missing=1
elif command -v redis-server >/dev/null 2>&1; then
  bind=127.0.0.1; [ "$redis_host" = "::1" ] && bind=::1
  echo "Redis is stopped: starting redis-server on $bind port $redis_port"
  redis-server --daemonize yes --bind "$bind" --port "$redis_port" --save "" --appendonly no >/dev/null
  wait_port "$redis_host" "$redis_port" && echo "Redis started" || { echo "Redis did not start"; missing=1; }
else
  echo "Redis is not reachable on $redis_host:$redis_port and is not installed here."
  echo "  Debian/Ubuntu: sudo apt-get install redis-server"
  echo "  macOS:         brew install redis && brew services start redis"
  echo "  or point REDIS_URL at a Redis 7 server you have."
  missing=1
fi

exit $missing
