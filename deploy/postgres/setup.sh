#!/usr/bin/env bash
# Create the PostgreSQL role and database "wildledger" for peer authentication over
# the local socket: the OS user wildledger connects as the role wildledger, no password.
# Idempotent: re-running changes nothing that already exists.
#
# Run as root on the database host, after `apt-get install postgresql`:
#     bash deploy/postgres/setup.sh
set -euo pipefail

NAME=wildledger

if [ "$(id -u)" -ne 0 ]; then
    echo "run as root (it runs psql as the postgres user)" >&2
    exit 1
fi

cd /  # runuser keeps the working directory; make it one every user can enter

as_postgres() {
    runuser -u postgres -- "$@"
}

# \gexec runs the generated statement only when the SELECT returns a row.
as_postgres psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 -v name="$NAME" --dbname=postgres <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'name')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name')
\gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'name', :'name', 'UTF8')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name')
\gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'name')
\gexec
SQL

echo "role and database '$NAME' present"

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
