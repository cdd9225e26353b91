#!/usr/bin/env bash
# Runs the search e2e suites against a PostgreSQL primary and a streaming replica made with
# pg_basebackup, both started here in a temporary folder on their own ports and removed
# afterwards. Not part of `npm test`: it needs the PostgreSQL server binaries (PG_BIN, else
# those of `pg_config --bindir`, else /usr/lib/postgresql/*/bin).
#
#   scripts/replica-check.sh                 # the search suites
#   scripts/replica-check.sh test/e2e/x.e2e-spec.ts ...   # other suites
#
# The primary runs with synchronous_commit = remote_apply and the replica as its synchronous
# standby, so a write is visible on the replica before it is answered (the read-your-writes
# set-up of docs/scaling.md). REPLICA_ASYNC=1 leaves replication asynchronous instead, where
# a search right after a write may miss it for up to SEARCH_REPLICA_MAX_LAG_MS.
set -euo pipefail
cd "$(dirname "$0")/.."

suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
  suites=(
    test/e2e/search-replica.e2e-spec.ts
    test/e2e/audit-search.e2e-spec.ts
    test/e2e/audit-cursor.e2e-spec.ts
    test/e2e/search-cursor-total.e2e-spec.ts
    test/e2e/users-list.e2e-spec.ts
    test/e2e/clients-list.e2e-spec.ts
  )
fi

bin="${PG_BIN:-}"
if [ -z "$bin" ] && command -v pg_config >/dev/null; then bin="$(pg_config --bindir)"; fi
if [ -z "$bin" ] || [ ! -x "$bin/postgres" ]; then
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
fi
[ -x "$bin/postgres" ] || { echo "no PostgreSQL server binaries found; set PG_BIN" >&2; exit 2; }

primary_port="${PRIMARY_PORT:-$((20000 + RANDOM % 20000))}"
replica_port="${REPLICA_PORT:-$((primary_port + 1))}"
dir="$(mktemp -d -t replica-check-XXXXXX)"
# PostgreSQL refuses to run as root: run it as the postgres OS user then.
as_pg=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$dir"
  chmod 755 "$dir"
  as_pg=(runuser -u postgres --)
fi
pg() { "${as_pg[@]}" "$@"; }

cleanup() {
  pg "$bin/pg_ctl" -D "$dir/replica" -m immediate stop >/dev/null 2>&1 || true
  pg "$bin/pg_ctl" -D "$dir/primary" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}'): primary on $primary_port, replica on $replica_port"
pg "$bin/initdb" -D "$dir/primary" -U postgres --auth=trust >"$dir/initdb.log"
cat >>"$dir/primary/postgresql.conf" <<EOF
port = $primary_port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
wal_level = replica
max_wal_senders = 4
fsync = off
EOF
pg "$bin/pg_ctl" -D "$dir/primary" -l "$dir/primary.log" -w start >/dev/null

pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir/replica" \
  --write-recovery-conf --wal-method=stream --checkpoint=fast \
  --create-slot --slot=replica_check
cat >>"$dir/replica/postgresql.conf" <<EOF
port = $replica_port
hot_standby = on
hot_standby_feedback = on
EOF
pg "$bin/pg_ctl" -D "$dir/replica" -l "$dir/replica.log" -w start >/dev/null

psql_primary=(psql -X -q -t -A -h 127.0.0.1 -p "$primary_port" -U postgres -d postgres)
if [ "${REPLICA_ASYNC:-0}" != 1 ]; then
  "${psql_primary[@]}" -c "ALTER SYSTEM SET synchronous_standby_names = '*'" \
    -c "ALTER SYSTEM SET synchronous_commit = 'remote_apply'" -c "SELECT pg_reload_conf()" >/dev/null
fi
for _ in $(seq 1 100); do
  state="$("${psql_primary[@]}" -c "SELECT state || ' ' || sync_state FROM pg_stat_replication")"
  case "$state" in streaming*) break ;; esac
  sleep 0.1
done
echo "replication: ${state:-not streaming}"
case "$state" in streaming*) ;; *) echo "the replica did not start streaming" >&2; exit 1 ;; esac

status=0
TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$primary_port/postgres" \
  TEST_REPLICA_URL="postgres://postgres@127.0.0.1:$replica_port/postgres" \
  npx jest --runInBand "${suites[@]}" || status=$?
lag="$("${psql_primary[@]}" -c "SELECT coalesce(max(replay_lag)::text, 'none') FROM pg_stat_replication")"
echo "replay lag at the end: $lag"
exit "$status"
