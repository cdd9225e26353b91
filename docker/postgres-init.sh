#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised: the service gets its own
# non-superuser role owning its database, so the privileges that keep audit records
# append-only actually bind it (a superuser would bypass them).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${APP_DB_PASSWORD}';
CREATE DATABASE mgmt OWNER app;
SQL
