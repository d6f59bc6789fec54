#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks, kept entirely inside one directory.
#
#   pg.sh start DIR   stop whatever an earlier run left in DIR, create a fresh cluster there, start
#                     it, and print the DB_* variables that reach it as `export` lines:
#                         eval "$(bash app/scripts/pg.sh start /tmp/my-pg)"
#   pg.sh env DIR     print those lines again
#   pg.sh stop DIR    stop the cluster and remove DIR (fine to call when nothing runs)
#
# The server listens on a unix socket in DIR/run and on no TCP port, so it cannot collide with
# another PostgreSQL on the machine, and any number of clusters can run side by side. Durability is
# switched off (fsync=off): the data is thrown away anyway. PostgreSQL refuses to run as root, so
# as root its programs run as the `postgres` user. PG_BIN overrides where they are found.
set -euo pipefail

usage() { echo "usage: $0 start|env|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
command=$1
dir=$2
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac
[ "$dir" != "/" ] || { echo "pg.sh: refusing to use / as the cluster directory" >&2; exit 2; }

pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$found" ] && command -v pg_ctl >/dev/null; then found=$(dirname "$(command -v pg_ctl)"); fi
  [ -n "$found" ] || { echo "pg.sh: no PostgreSQL server programs found (Debian: apt-get install postgresql)" >&2; exit 1; }
  echo "$found"
}

as_owner() {
  # PostgreSQL's programs, as the user that owns the cluster; from / so the postgres user never
  # trips over a working directory it may not read.
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

print_env() {
  cat <<EOF
export DB_HOST='$dir/run'
export DB_PORT='5432'
export DB_NAME='postgres'
export DB_USER='postgres'
export DB_PASSWORD=''
export DB_SSLMODE='disable'
EOF
}

marker() { echo "$dir/.pg.sh-cluster"; }

guard() {
  # Only ever delete a directory this script made (or an empty one).
  if [ -d "$dir" ] && [ ! -e "$(marker)" ] && [ -n "$(ls -A "$dir")" ]; then
    echo "pg.sh: $dir exists and was not made by pg.sh; not touching it" >&2
    exit 1
  fi
}

stop() {
  local bin
  guard
  if [ -f "$dir/data/postmaster.pid" ]; then
    bin=$(pg_bin)
    if ! as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1; then
      # pg_ctl could not do it (e.g. a half-written cluster): end the postmaster by its pid.
      local pid
      pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
      if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -QUIT "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      fi
    fi
  fi
  rm -rf "$dir"
}

start() {
  local bin
  bin=$(pg_bin)
  stop
  mkdir -p "$dir/data" "$dir/run"
  touch "$(marker)"
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$dir"; fi
  chmod 700 "$dir/data"
  if ! as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync --no-instructions \
      >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    echo "pg.sh: initdb failed" >&2
    exit 1
  fi
  if ! as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses='' -c unix_socket_directories='$dir/run' -p 5432 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null; then
    cat "$dir/server.log" >&2 || true
    echo "pg.sh: the server did not start" >&2
    exit 1
  fi
  echo "pg.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') running in $dir" >&2
  print_env
}

case "$command" in
  start) start ;;
  env) print_env ;;
  stop) stop ;;
  *) usage ;;
esac
