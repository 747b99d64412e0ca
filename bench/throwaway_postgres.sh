# Sourced by the PostgreSQL benchmarks: a throwaway PostgreSQL 15 in a
# directory of the caller's (fsync on, synchronous commit, a Unix socket in
# that directory, no TCP), run as the postgres user when the caller is root,
# since PostgreSQL refuses to run as root.
#
#   as_pg COMMAND...               COMMAND as PostgreSQL's user
#   pg_start DIR [SERVER_OPTIONS]  initdb into DIR/data and start; e.g.
#                                  pg_start "$WORK" "-c shared_buffers=256MB"
#   pg_stop DIR                    stop it (quietly if it is not running)
# Clients connect with -h DIR -U postgres (conninfo "host=DIR user=postgres").
PGBIN=/usr/lib/postgresql/15/bin
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_start() {
  local dir=$1 options=${2:-}
  if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$dir"; fi
  as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust >/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-c listen_addresses='' -k $dir $options" start >/dev/null
}
pg_stop() {
  as_pg "$PGBIN/pg_ctl" -D "$1/data" -m fast -w stop >/dev/null 2>&1 || true
}
