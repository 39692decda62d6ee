#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster: initdb into a fresh folder as the postgres user, listening on
# 127.0.0.1:$PG_PORT only, password (scram-sha-256) over TCP, durability off (fsync and friends) because the data is
# thrown away; TLS on, with a self-signed certificate for 127.0.0.1 (ca.pem). Run as root (the cluster belongs to the postgres user). Writes export lines (PG*, DATABASE_URL) to $PG_DIR/env. Stop it with postgres-down.sh (same PG_DIR).
# Adapted from the measured recipe in ../shared/engines/pg-up.sh; ~1 s to the first query.
#   PG_DIR (default ${TMPDIR:-/tmp}/tack-pg), PG_PORT (default 5433, clear of a packaged cluster on 5432),
#   PG_USER / PG_PASSWORD / PG_DB (default tack / tack / tack)
set -euo pipefail
dir=${PG_DIR:-${TMPDIR:-/tmp}/tack-pg}
port=${PG_PORT:-5433}
user=${PG_USER:-tack}; password=${PG_PASSWORD:-tack}; db=${PG_DB:-tack}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "postgres-up: no PostgreSQL server installed (scripts/setup installs postgresql)" >&2; exit 1; }
id postgres >/dev/null   # made by the postgresql-common package
if [ -e "$dir/data/postmaster.pid" ]; then
  echo "postgres-up: $dir has a running cluster; run postgres-down.sh first" >&2; exit 1
fi
rm -rf "$dir"
mkdir -p "$dir"
# initdb and postgres refuse to run as root; the postgres user must reach the folder.
chown postgres: "$dir"; chmod 700 "$dir"
as_pg() { runuser -u postgres -- "$@"; }
printf '%s\n' "$password" >"$dir/pwfile"; chown postgres: "$dir/pwfile"; chmod 600 "$dir/pwfile"
as_pg "$bin/initdb" -D "$dir/data" -U "$user" --pwfile="$dir/pwfile" --auth-local=trust --auth-host=scram-sha-256 \
  -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log"
rm -f "$dir/pwfile"
# TLS with a certificate of its own for 127.0.0.1 (self-signed), so the tests reach every sslmode; plain TCP still
# works. The certificate is exported as the root that verify-ca and verify-full trust.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
  -keyout "$dir/data/server.key" -out "$dir/data/server.crt" 2>/dev/null
chown postgres: "$dir/data/server.key" "$dir/data/server.crt"; chmod 600 "$dir/data/server.key"
cp "$dir/data/server.crt" "$dir/ca.pem"; chmod 644 "$dir/ca.pem"
cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
logging_collector = off
log_min_messages = warning
ssl = on
CONF
as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
PGPASSWORD=$password "$bin/psql" -h 127.0.0.1 -p "$port" -U "$user" -d postgres -qAtX \
  -c "CREATE DATABASE \"$db\" OWNER \"$user\"" >/dev/null
cat >"$dir/env" <<ENV
export PGHOST=127.0.0.1
export PGPORT=$port
export PGUSER=$user
export PGPASSWORD=$password
export PGDATABASE=$db
export DATABASE_URL=postgres://$user:$password@127.0.0.1:$port/$db
export PG_CA=$dir/ca.pem
ENV
echo "postgres-up: PostgreSQL accepting connections on 127.0.0.1:$port ($dir)"
