"""Key custody: backup and restore, no silent new intake key, rotation."""
import json
from pathlib import Path

import pytest
from sqlalchemy import select, text

from server import crypto
from server.extensions import db
from server.keys import service as keys
from server.keys.models import ServerKey
from server.reference import agencies
from server.store.models import Record
from tests.conftest import _empty, enroll_device, make_app
from tests.helpers import SEIZURE, counts

PASSPHRASE = "two people, one passphrase"


def _backup(app, tmp_path):
    (tmp_path / "pass").write_text(PASSPHRASE + "\n")
    result = app.test_cli_runner().invoke(args=["keys", "backup", "--out", str(tmp_path / "keys.json"),
                                                "--passphrase-file", str(tmp_path / "pass")])
    assert result.exit_code == 0, result.output
    return tmp_path / "keys.json"


def test_backup_restored_into_an_empty_instance_opens_old_envelopes(app, device, tmp_path, database_url):
    device.seal(SEIZURE)
    sealed_before_backup = dict(device.outbox)
    backup = _backup(app, tmp_path)
    assert PASSPHRASE not in backup.read_text() and "private_key" not in backup.read_text()

    # A new host: same database URL emptied, a new KEK file, no keys.
    fresh_dir = tmp_path / "fresh"
    fresh = make_app(database_url, fresh_dir)
    with fresh.app_context():
        _empty(db.engine)
        agencies.load()
    result = fresh.test_cli_runner().invoke(args=["keys", "restore", str(backup), "--passphrase-file",
                                                  str(tmp_path / "pass")])
    assert result.exit_code == 0, result.output
    assert (fresh_dir / "keys" / "kek").exists()

    phone = enroll_device(fresh)
    with fresh.app_context():
        envelope = next(iter(sealed_before_backup.values()))
        header = crypto.b64d(envelope["h"])
        kid = json.loads(header)["kid"]
        content = crypto.open_record(keys.intake_private_key(kid), device.key_public(), header,
                                     crypto.b64d(envelope["ct"]))
        assert json.loads(content)["fields"] == SEIZURE
    assert phone.intake[0] == kid  # the restored key is the one phones seal to


def test_wrong_passphrase_restores_nothing(app, tmp_path):
    backup = _backup(app, tmp_path)
    (tmp_path / "wrong").write_text("not the passphrase\n")
    result = app.test_cli_runner().invoke(args=["keys", "restore", str(backup), "--passphrase-file",
                                                str(tmp_path / "wrong")])
    assert result.exit_code != 0 and "backup_unreadable" in result.output


def test_no_new_intake_key_over_a_store_with_records(app, device):
    device.seal(SEIZURE)
    device.sync()
    with app.app_context():
        db.session.execute(ServerKey.__table__.delete().where(ServerKey.purpose == "intake"))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["keys", "init"])
    assert result.exit_code != 0 and "flask keys restore" in result.output
    with app.app_context():
        assert db.session.scalars(select(ServerKey).filter_by(purpose="intake")).all() == []


def test_init_twice_creates_nothing_new(app):
    result = app.test_cli_runner().invoke(args=["keys", "init"])
    assert result.exit_code == 0 and "already present" in result.output


def test_missing_kek_file_is_an_error_not_a_new_key(app, tmp_path):
    (tmp_path / "keys" / "kek").unlink()
    with app.app_context(), pytest.raises(keys.KeyCustodyError):
        keys.private_key(keys.signing_key())


def test_rotation_new_key_seals_old_keys_still_open(app, device):
    old_kid = device.intake[0]
    device.seal(SEIZURE)
    result = app.test_cli_runner().invoke(args=["keys", "rotate-intake"])
    assert result.exit_code == 0
    newcomer = enroll_device(app)
    assert newcomer.intake[0] != old_kid
    newcomer.seal(SEIZURE)
    assert [r["status"] for r in device.sync() + newcomer.sync()] == ["accepted", "accepted"]
    assert counts(app)["records"] == 2
    with app.app_context():
        assert db.session.query(Record).count() == 2


def test_lost_kek_recovered_with_restore_replace(app, device, tmp_path):
    backup = _backup(app, tmp_path)
    (tmp_path / "keys" / "kek").unlink()
    app.extensions.pop("wildledger.private_keys", None)
    result = app.test_cli_runner().invoke(args=["keys", "restore", "--replace", str(backup),
                                                "--passphrase-file", str(tmp_path / "pass")])
    assert result.exit_code == 0, result.output
    device.seal(SEIZURE)
    assert device.sync()[0]["status"] == "accepted"


def test_store_rebuilt_from_the_ledger_with_restored_keys(app, device, tmp_path, database_url):
    """The disaster drill: the host is lost with its KEK and keys; the database dump
    holds the ledger. A new host restores the key backup and replays the ledger."""
    for n in range(4):
        device.seal({**SEIZURE, "narrative": f"Crossing {n}"})
    device.sync()
    backup = _backup(app, tmp_path)
    with app.app_context():
        before = {r.rid: r.content for r in db.session.scalars(select(Record))}
        for table in ("mentions", "entities", "seizure_items", "seizures", "records", "server_keys"):
            db.session.execute(text(f"DELETE FROM {table}"))
        db.session.commit()

    new_host = make_app(database_url, tmp_path / "new-host")
    result = new_host.test_cli_runner().invoke(args=["keys", "restore", str(backup), "--passphrase-file",
                                                     str(tmp_path / "pass")])
    assert result.exit_code == 0, result.output
    result = new_host.test_cli_runner().invoke(args=["intake", "replay"])
    assert "Replayed 4 ledger rows: 4 filed" in result.output
    with new_host.app_context():
        assert {r.rid: r.content for r in db.session.scalars(select(Record))} == before


def test_a_key_backup_is_owner_only_and_never_overwrites_another(app, tmp_path):
    backup = _backup(app, tmp_path)
    assert backup.stat().st_mode & 0o777 == 0o600
    first = backup.read_bytes()
    result = app.test_cli_runner().invoke(args=["keys", "backup", "--out", str(backup),
                                                "--passphrase-file", str(tmp_path / "pass")])
    assert result.exit_code != 0 and "exists" in result.output
    assert backup.read_bytes() == first


FIXTURE = Path(__file__).parent / "fixtures" / "keys-backup-2026-11.json"
FIXTURE_PASSPHRASE = "fixture passphrase, never used elsewhere"


def _fresh_host(database_url, folder):
    host = make_app(database_url, folder)
    with host.app_context():
        _empty(db.engine)
        agencies.load()
    (folder / "pass").write_text(FIXTURE_PASSPHRASE + "\n")
    return host


def test_a_backup_in_today_s_format_restores(database_url, tmp_path):
    """A backup written in November 2026 (scrypt N = 2^15), kept as it was: today's code
    restores it."""
    host = _fresh_host(database_url, tmp_path)
    result = host.test_cli_runner().invoke(args=["keys", "restore", str(FIXTURE), "--passphrase-file",
                                                 str(tmp_path / "pass")])
    assert result.exit_code == 0, result.output
    assert "n3qlMI4V4gsT1hKk" in result.output and "X9WFq0augLY69OFB" in result.output
    with host.app_context():
        assert keys.current_intake().kid == "n3qlMI4V4gsT1hKk" and keys.signing_key().kid == "X9WFq0augLY69OFB"
        assert keys.private_key(keys.current_intake()) is not None


@pytest.mark.parametrize("change", [{"n": 2**14}, {"r": 4}, {"n": 2**21}, {"p": 64}, {"n": 3 * 2**15},
                                    {"n": "32768"}],
                         ids=["n below today's", "r below", "n above the ceiling", "p above", "n not a power of two",
                              "n not a number"])
def test_restore_refuses_scrypt_parameters_below_today_s_or_above_the_ceiling(database_url, tmp_path, change):
    host = _fresh_host(database_url, tmp_path)
    crafted = tmp_path / "crafted.json"
    crafted.write_text(json.dumps({**json.loads(FIXTURE.read_text()), **change}))
    result = host.test_cli_runner().invoke(args=["keys", "restore", str(crafted), "--passphrase-file",
                                                 str(tmp_path / "pass")])
    assert result.exit_code != 0 and "backup_parameters" in result.output
