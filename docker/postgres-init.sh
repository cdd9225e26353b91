#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised: two non-superuser roles, as
# docs/operations.md describes. `app` owns the database and runs the migrations
# (MIGRATION_DATABASE_URL); the service runs as `app_service` (DATABASE_URL), which owns
# nothing and receives its grants from the service's start-up, so it can only add to and
# read the audit trail (a superuser or the owner could rewrite it).
#
# Passwords reach SQL as psql variables quoted by psql (:'app_password'), never pasted into
# the statement, so a quote, a backslash or any other character in them is safe.
set -eu
psql -v ON_ERROR_STOP=1 -v app_password="${APP_DB_PASSWORD}" \
  -v service_password="${SERVICE_DB_PASSWORD}" \
  --username "$POSTGRES_USER" --dbname postgres <<'SQL'
CREATE ROLE app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE ROLE app_service LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'service_password';
CREATE DATABASE mgmt OWNER app;
SQL
