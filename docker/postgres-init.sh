#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised: the service gets its own
# non-superuser role owning its database, so the privileges that keep audit records
# append-only actually bind it (a superuser would bypass them).
#
# The password reaches SQL as a psql variable quoted by psql (:'app_password'), never pasted
# into the statement, so a quote, a backslash or any other character in it is safe.
set -eu
psql -v ON_ERROR_STOP=1 -v app_password="${APP_DB_PASSWORD}" \
  --username "$POSTGRES_USER" --dbname postgres <<'SQL'
CREATE ROLE app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE mgmt OWNER app;
SQL
