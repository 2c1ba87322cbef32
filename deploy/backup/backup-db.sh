#!/usr/bin/env bash
# Dump the wildledger database (pg_dump custom format) to a dated file and keep the
# newest $WILDLEDGER_BACKUP_KEEP dumps. Run as the OS user wildledger (peer login over
# the socket); wildledger-backup.service does so every night.
#
# Installed as /usr/local/sbin/wildledger-backup-db. Restore a dump with pg_restore
# (deploy/README.md, "Restoring the database").
#
# The dumps hold the records and the server keys wrapped under the KEK. They are of no
# use for the keys without the KEK file, which is never in them; keep it that way when
# copying dumps off the host.
set -euo pipefail

backup_dir=${WILDLEDGER_BACKUP_DIR:-/var/backups/wildledger}
keep=${WILDLEDGER_BACKUP_KEEP:-14}
database=${WILDLEDGER_BACKUP_DATABASE:-wildledger}

case $keep in
    '' | *[!0-9]* | 0) echo "WILDLEDGER_BACKUP_KEEP must be a positive integer" >&2; exit 2 ;;
esac

umask 077
stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="$backup_dir/$database-$stamp.dump"
partial="$target.partial"
trap 'rm -f "$partial"' EXIT

pg_dump --format=custom --no-password --dbname="$database" --file="$partial"
# Reading the archive's table of contents catches a truncated file.
pg_restore --list "$partial" >/dev/null
mv "$partial" "$target"
echo "wrote $target ($(du -h "$target" | cut -f1))"

# The names sort by date; delete all but the newest $keep.
find "$backup_dir" -maxdepth 1 -type f -name "$database-*.dump" -printf '%f\n' \
    | sort -r | tail -n +"$((keep + 1))" \
    | while read -r old; do
        rm -f -- "${backup_dir:?}/$old"
        echo "removed $backup_dir/$old"
    done
