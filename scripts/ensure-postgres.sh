#!/usr/bin/env bash
# Make sure the local PostgreSQL server answers on 127.0.0.1:5432; start the cluster if not.
set -euo pipefail
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ready; then exit 0; fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "error: PostgreSQL is not running on 127.0.0.1:5432 and pg_ctlcluster is not installed" >&2
  exit 1
fi
version=$(ls /etc/postgresql | sort -V | tail -n 1)
echo "starting PostgreSQL $version ..." >&2
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 30); do
  if ready; then exit 0; fi
  sleep 1
done
echo "error: PostgreSQL did not become ready on 127.0.0.1:5432 within 30 s" >&2
exit 1
