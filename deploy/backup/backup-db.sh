#!/usr/bin/env bash
# Dump the wildledger database (pg_dump custom format), encrypted to the offline backup
# key before anything is written (age, X25519: python -m server.backup seal), to a file
# named with its time, and keep the newest $WILDLEDGER_BACKUP_KEEP. Run as the OS user
# wildledger (peer login over the socket); wildledger-backup.service does so every night.
#
# Installed as /usr/local/sbin/wildledger-backup-db. The host holds only the recipients
# file (public keys); the identity that opens the dumps stays offline (deploy/README.md,
# "Nightly dumps" and "Restoring the database").
#
# A failure exits non-zero and writes one line a monitoring system can alert on:
#     wildledger-backup: FAILED <why>
# to standard error (the journal, under the unit) and to syslog (tag wildledger-backup).
set -euo pipefail

backup_dir=${WILDLEDGER_BACKUP_DIR:-/var/backups/wildledger}
keep=${WILDLEDGER_BACKUP_KEEP:-14}
database=${WILDLEDGER_BACKUP_DATABASE:-wildledger}
name=${WILDLEDGER_BACKUP_NAME:-wildledger}
recipients=${WILDLEDGER_BACKUP_RECIPIENTS:-/etc/wildledger/backup-recipients.txt}
python=${WILDLEDGER_VENV:-/opt/wildledger/current/venv}/bin/python

fail() {
    echo "wildledger-backup: FAILED $*" >&2
    command -v logger >/dev/null && logger -t wildledger-backup -p user.err "FAILED $*" || true
    exit 1
}
trap 'fail "at line $LINENO (exit $?)"' ERR

case $keep in
    '' | *[!0-9]* | 0) fail "WILDLEDGER_BACKUP_KEEP must be a positive integer" ;;
esac
[ -r "$recipients" ] || fail "no recipients file $recipients (deploy/README.md, Nightly dumps)"

umask 077
mkdir -p "$backup_dir"
stamp=$(date -u +%Y%m%dT%H%M%S.%NZ)
target="$backup_dir/$name-$stamp.dump.age"
partial="$target.partial"
trap 'rm -f "$partial"' EXIT
[ ! -e "$target" ] || fail "$target exists; no dump overwrites another"

set -o noclobber
pg_dump --format=custom --no-password --dbname="$database" \
    | "$python" -m server.backup seal --recipients "$recipients" > "$partial" \
    || fail "pg_dump or its encryption failed"
[ -s "$partial" ] || fail "empty dump"
mv -n "$partial" "$target"
echo "wrote $target ($(du -h "$target" | cut -f1))"

# The names sort by time; delete all but the newest $keep.
find "$backup_dir" -maxdepth 1 -type f -name "$name-*.dump.age" -printf '%f\n' \
    | sort -r | tail -n +"$((keep + 1))" \
    | while read -r old; do
        rm -f -- "${backup_dir:?}/$old"
        echo "removed $backup_dir/$old"
    done
