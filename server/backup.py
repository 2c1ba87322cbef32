"""Database dumps encrypted to an offline public key before they are written (issue 13).

    python -m server.backup keygen --identity offline-key.txt     # on an offline machine
    pg_dump -Fc wildledger | python -m server.backup seal --recipients recipients.txt > dump.age
    python -m server.backup open --identity offline-key.txt < dump.age > dump.pgc

The format is age (X25519), so `age -d -i offline-key.txt` or `rage` open the dumps too.
deploy/backup/backup-db.sh seals every nightly dump; the host holds only the recipients
(public keys), never the identity. Runs without the app or its database: a pipe, nothing else.
"""
import argparse
import os
import sys

from . import crypto


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m server.backup", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    seal = commands.add_parser("seal", help="encrypt standard input to the recipients, to standard output")
    seal.add_argument("--recipients", required=True, help="file of age public keys (age1…), one per line")
    opened = commands.add_parser("open", help="decrypt standard input with the identity, to standard output")
    opened.add_argument("--identity", required=True, help="file holding the age identity (AGE-SECRET-KEY-…)")
    keygen = commands.add_parser("keygen", help="a new identity (written 0600) and its public key (printed)")
    keygen.add_argument("--identity", required=True, help="where to write the identity; keep it offline")
    args = parser.parse_args(argv)
    try:
        if args.command == "seal":
            with open(args.recipients, encoding="utf-8") as handle:
                recipients = crypto.age_recipients(handle.read())
            crypto.age_encrypt(sys.stdin.buffer, sys.stdout.buffer, recipients)
        elif args.command == "open":
            with open(args.identity, encoding="utf-8") as handle:
                crypto.age_decrypt(sys.stdin.buffer, sys.stdout.buffer, handle.read())
        else:
            identity, recipient = crypto.age_keygen()
            fd = os.open(args.identity, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(f"# public key: {recipient}\n{identity}\n")
            print(recipient)
    except (OSError, crypto.CryptoError) as error:
        print(f"wildledger-backup: {getattr(error, 'code', error)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
