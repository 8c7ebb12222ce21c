#!/usr/bin/env bash
# The Postgres tests use the local server (127.0.0.1:5432, database `test`, trust auth): start the
# cluster if it is installed but down. Idempotent; a no-op when the server answers.
set -euo pipefail
if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then exit 0; fi
if [ -d /etc/postgresql ]; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && exit 0
  sleep 1
done
echo "ensure-postgres: no PostgreSQL answers on 127.0.0.1:5432 (the Postgres tests need it)" >&2
exit 1
