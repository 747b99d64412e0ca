#!/bin/sh
# First start: a cluster with the role and database `orgpulse`; then the
# server, in the foreground. SIGINT (the image's stop signal) is a fast
# shutdown: every committed transaction is kept.
set -eu
bin=/usr/lib/postgresql/15/bin
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  file=${ORGPULSE_DB_PASSWORD_FILE:?set ORGPULSE_DB_PASSWORD_FILE to a file holding the orgpulse role password}
  [ -r "$file" ] || { echo "orgpulse-postgres: cannot read $file" >&2; exit 1; }
  password=$(head -n 1 "$file")
  [ -n "$password" ] || { echo "orgpulse-postgres: $file is empty" >&2; exit 1; }
  "$bin/initdb" -D "$PGDATA" --username=postgres --auth-local=peer \
    --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  "$bin/pg_ctl" -D "$PGDATA" -o "-c listen_addresses='' -k /tmp" -w start >/dev/null
  # The password goes in as a literal with quotes doubled (psql variable).
  psql -h /tmp -U postgres -v ON_ERROR_STOP=1 -v pw="$password" -q <<'SQL'
CREATE ROLE orgpulse LOGIN PASSWORD :'pw';
CREATE DATABASE orgpulse OWNER orgpulse;
SQL
  "$bin/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec "$bin/postgres" -D "$PGDATA" -c listen_addresses='*' \
  -c unix_socket_directories=/tmp "$@"
