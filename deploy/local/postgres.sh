#!/usr/bin/env bash
# Private PostgreSQL cluster under .local/postgres: install | start | stop | status.
# Uses Debian's postgresql package (installed if absent); runs as the 'postgres' user because the
# server refuses to run as root, on its own port and socket directory, so no system service is used.
# `--tls` also serves TLS with a server certificate for 127.0.0.1/localhost from a local CA made by
# openssl ($dir/tls/ca.crt), for clients that connect with sslmode verify-full.
set -euo pipefail
tls=0
if [ "${1:-}" = "--tls" ]; then tls=1; shift; fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${LEADRELAY_PG_DIR:-$root/.local/postgres}
port=${LEADRELAY_PG_PORT:-55432}
db=${LEADRELAY_PG_DB:-leadrelay}

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Run as root, the server runs as 'postgres', which must be able to enter the data directory. A
# checkout in a directory postgres cannot enter (root's home, mode 0700) keeps its cluster under
# /var/lib/leadrelay instead, in a directory named after its own path, so each checkout has its own.
relocate_if_unreachable() {
  [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 || return 0
  mkdir -p "$dir" && chown postgres: "$dir"
  if runuser -u postgres -- test -w "$dir" 2>/dev/null; then return 0; fi
  dir=/var/lib/leadrelay/pg-$(printf %s "$dir" | sha1sum | cut -c1-12)
  mkdir -p "$dir" && chmod 755 /var/lib/leadrelay && chown postgres: "$dir"
}

install() {
  if [ -n "$(bindir)" ] && [ -x "$(bindir)/initdb" ]; then return 0; fi
  echo "postgres: installing Debian's postgresql package"
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
}

certificates() {
  "$here/certs.sh" "$dir/tls" "leadrelay local PostgreSQL CA"
  if [ "$(id -u)" = 0 ]; then chown -R postgres: "$dir/tls"; fi
}

running() { [ -f "$dir/data/postmaster.pid" ] && as_pg "$(bindir)/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; }

start() {
  install
  relocate_if_unreachable
  local bin; bin=$(bindir)
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 >"$dir/initdb.log"
  fi
  if ! running && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "postgres.sh: port $port is taken by a process this checkout did not start; stop it or set LEADRELAY_PG_PORT" >&2
    exit 1
  fi
  local ssl=""
  if [ "$tls" = 1 ]; then
    certificates
    ssl="-c ssl=on -c ssl_cert_file=$dir/tls/server.crt -c ssl_key_file=$dir/tls/server.key"
  fi
  if running; then echo "postgres: already running (port $port)"; else
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c shared_preload_libraries=pg_stat_statements $ssl" \
      start >/dev/null
    echo "postgres: started (127.0.0.1:$port)"
  fi
  if ! as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "select 1 from pg_database where datname='$db'" | grep -q 1; then
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db"
  fi
}

stop() {
  relocate_if_unreachable
  if running; then as_pg "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; echo "postgres: stopped"
  else echo "postgres: not running"; fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  where) relocate_if_unreachable; echo "$dir" ;;
  status) relocate_if_unreachable; if running; then echo "postgres: running"; else echo "postgres: stopped"; exit 1; fi ;;
  *) echo "usage: $0 [--tls] install|start|stop|status|where" >&2; exit 2 ;;
esac
