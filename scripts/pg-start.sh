#!/usr/bin/env bash
# Starts the local PostgreSQL 15 cluster (Debian's) if it is down and makes sure a role and
# database named ml2chain exist, so tests can use postgres://ml2chain:ml2chain@127.0.0.1/ml2chain.
# Prints that URL and nothing else on stdout (pg_ctlcluster's and psql's chatter, such as
# "Removed stale pid file.", goes to stderr). Needs root (or the postgres user).
set -euo pipefail
if ! pg_lsclusters -h 2>/dev/null | awk '$4 == "online"' | grep -q .; then
  cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
  [ -n "$cluster" ] || { echo "pg-start: no PostgreSQL cluster (apt-get install postgresql)" >&2; exit 1; }
  # A cluster killed uncleanly leaves pid and socket-lock files; pg_ctlcluster removes the
  # stale pid file itself, and a lock held by a postmaster still dying clears within seconds.
  for try in 1 2 3 4 5; do
    pg_ctlcluster $cluster start >&2 && break
    [ "$try" = 5 ] && { echo "pg-start: cannot start PostgreSQL cluster $cluster" >&2; exit 1; }
    sleep 1
  done
fi
port=$(pg_lsclusters -h | awk '$4 == "online" {print $3; exit}')
psql_pg() { su postgres -s /bin/sh -c "psql -p $port -v ON_ERROR_STOP=1 -qAt $*"; }
if [ "$(psql_pg "-c \"SELECT 1 FROM pg_roles WHERE rolname='ml2chain'\"")" != 1 ]; then
  psql_pg "-c \"CREATE ROLE ml2chain LOGIN PASSWORD 'ml2chain'\"" >&2
fi
if [ "$(psql_pg "-c \"SELECT 1 FROM pg_database WHERE datname='ml2chain'\"")" != 1 ]; then
  psql_pg "-c \"CREATE DATABASE ml2chain OWNER ml2chain\"" >&2
fi
echo "postgres://ml2chain:ml2chain@127.0.0.1:$port/ml2chain"
