#!/usr/bin/env bash
# Stops the cluster postgres-up.sh started (same PG_DIR) and removes it.
set -uo pipefail
dir=${PG_DIR:-${TMPDIR:-/tmp}/tack-pg}
[ -d "$dir" ] || exit 0
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
as_pg() { runuser -u postgres -- "$@"; }
if [ -e "$dir/data/postmaster.pid" ]; then
  as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 \
    || as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null
fi
rm -rf "$dir"
exit 0
