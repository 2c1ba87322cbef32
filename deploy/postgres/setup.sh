#!/usr/bin/env bash
# PostgreSQL for Wildledger, with the database's roles split (deploy/README.md, "PostgreSQL"):
#
#   wildledger_owner  owns the database and every table; runs the migrations (NOLOGIN: the
#                     migration wrapper connects as postgres and takes this role).
#   wildledger        the runtime role the server logs in as (peer authentication over the
#                     local socket, OS user wildledger). It may read and write the store, but
#                     on the ledger's append-only tables only INSERT and SELECT.
#
# Idempotent: run it on a new host before the first `db upgrade`, and again after every
# upgrade. On an installation from before the split (everything owned by wildledger) it
# hands the ownership over to wildledger_owner.
#
# Run as root on the database host, after `apt-get install postgresql`:
#     bash deploy/postgres/setup.sh
set -euo pipefail

NAME=${WILDLEDGER_DB_NAME:-wildledger}
OWNER=${WILDLEDGER_DB_OWNER:-${NAME}_owner}

if [ "$(id -u)" -ne 0 ]; then
    echo "run as root (it runs psql as the postgres user)" >&2
    exit 1
fi

cd /  # runuser keeps the working directory; make it one every user can enter

as_postgres() {
    runuser -u postgres -- "$@"
}

# \gexec runs the generated statement only when the SELECT returns a row.
as_postgres psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 -v name="$NAME" -v owner="$OWNER" --dbname=postgres <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'name')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name')
\gexec
SELECT format('CREATE ROLE %I NOLOGIN', :'owner')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner')
\gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'name', :'owner', 'UTF8')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name')
\gexec
SQL

# Inside the database: ownership, the runtime role's privileges, and none to rewrite history.
as_postgres psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 -v name="$NAME" -v owner="$OWNER" --dbname="$NAME" <<'SQL'
-- Before the split the runtime role owned everything: hand it over (database included).
SELECT format('REASSIGN OWNED BY %I TO %I', :'name', :'owner')
 WHERE EXISTS (SELECT FROM pg_tables WHERE schemaname = 'public' AND tableowner = :'name')
    OR EXISTS (SELECT FROM pg_database WHERE datname = :'name' AND pg_get_userbyid(datdba) = :'name')
\gexec
SELECT format('ALTER SCHEMA public OWNER TO %I', :'owner')
\gexec
SELECT format('REVOKE CREATE ON SCHEMA public FROM PUBLIC')
\gexec
SELECT format('GRANT USAGE ON SCHEMA public TO %I', :'name')
\gexec
-- What the migrations will create, and what they created already.
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', :'owner', :'name')
\gexec
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO %I', :'owner', :'name')
\gexec
SELECT format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', :'name')
\gexec
SELECT format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', :'name')
\gexec
-- The append-only tables are the ones carrying the guard's trigger (server/sync/guard.py).
SELECT format('REVOKE UPDATE, DELETE, TRUNCATE ON TABLE %I FROM %I, PUBLIC', event_object_table, :'name')
  FROM (SELECT DISTINCT event_object_table FROM information_schema.triggers
         WHERE trigger_name LIKE '%\_append\_only' AND event_object_schema = 'public') AS guarded
\gexec
SQL

# After the hand-over: the database's privileges belong to its (new) owner.
as_postgres psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 -v name="$NAME" --dbname=postgres <<'SQL'
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'name')
\gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'name', :'name')
\gexec
SQL

echo "roles $OWNER (owner) and $NAME (runtime) and database '$NAME' present"

# Peer authentication needs the first pg_hba.conf "local" line that matches the role
# and database to say "peer" (Debian's default is "local all all peer").
first_local_rule=$(as_postgres psql --no-psqlrc -At --dbname=postgres -v name="$NAME" <<'SQL'
SELECT auth_method FROM pg_hba_file_rules
 WHERE type = 'local'
   AND (database && ARRAY['all', 'sameuser', :'name'])
   AND (user_name && ARRAY['all', :'name'])
 ORDER BY line_number
 LIMIT 1
SQL
)
if [ "$first_local_rule" != "peer" ]; then
    echo "warning: the first pg_hba.conf 'local' rule for $NAME is '${first_local_rule:-none}', not peer; add" >&2
    echo "    local   $NAME   $NAME   peer" >&2
    echo "above the other 'local' lines and run: systemctl reload postgresql" >&2
fi

if id -u "$NAME" >/dev/null 2>&1; then
    runuser -u "$NAME" -- psql --no-psqlrc -At --dbname="$NAME" \
        -c "SELECT 'connected over the socket as ' || current_user"
else
    echo "OS user $NAME does not exist yet; peer login not tested" >&2
fi
