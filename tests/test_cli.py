"""Supervisor commands: enrollment QR codes and device revocation."""
import json
import re
from urllib.parse import parse_qs, urlsplit

from server import crypto
from server.demo.simulator import FlaskTransport, SimulatedDevice
from server.extensions import db
from server.keys import service as keys
from tests.helpers import SEIZURE


def test_enroll_prints_a_qr_with_url_token_and_fingerprints(app, tmp_path):
    png = tmp_path / "qr.png"
    result = app.test_cli_runner().invoke(args=["enroll", "--agency", "VN-HQ-QN", "--officer", "Phạm Văn Đức",
                                                "--png", str(png)])
    assert result.exit_code == 0, result.output
    assert "▀" in result.output or "█" in result.output  # the QR, drawn in the terminal
    assert png.read_bytes().startswith(b"\x89PNG")
    url = re.search(r"URL: (\S+)", result.output).group(1)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "https://wildledger.test" and parts.path == "/enroll"
    fragment = parse_qs(parts.fragment)
    assert set(fragment) == {"t", "ik", "sk"}  # no password or long-lived secret
    assert len(crypto.b64d(fragment["t"][0])) * 8 >= 128
    with app.app_context():
        assert fragment["ik"][0] == crypto.fingerprint(keys.current_intake().public_key)
        assert fragment["sk"][0] == crypto.fingerprint(keys.signing_key().public_key)
    phone = SimulatedDevice(FlaskTransport(app.test_client()))
    answer = phone.enroll(url)  # checks the fingerprints before pinning
    assert answer["agency"]["code"] == "VN-HQ-QN" and answer["officer_name"] == "Phạm Văn Đức"


def test_enroll_unknown_agency(app):
    result = app.test_cli_runner().invoke(args=["enroll", "--agency", "XX-NOPE"])
    assert result.exit_code != 0 and "Unknown agency" in result.output


def test_revoke_from_the_command_line(app, device):
    result = app.test_cli_runner().invoke(args=["devices", "revoke", device.device_id])
    assert result.exit_code == 0
    listing = app.test_cli_runner().invoke(args=["devices", "list"])
    assert "revoked" in listing.output
    device.seal(SEIZURE)
    answer = device.post_signed(device.PUSH, b'{"records": [%s]}' % (
        json.dumps(next(iter(device.outbox.values()))).encode()))
    assert answer.json()["code"] == "device_revoked"
    release = app.test_cli_runner().invoke(args=["quarantine", "list"])
    assert "device_revoked" in release.output


def test_demo_load_is_idempotent_and_marked(app):
    first = app.test_cli_runner().invoke(args=["demo", "load"])
    assert first.exit_code == 0 and "3 users" not in first.output and "12 demo records" in first.output
    assert "12 demo directory contacts" in first.output
    again = app.test_cli_runner().invoke(args=["demo", "load"])
    assert "already loaded" in again.output
    from server.store.models import Record

    with app.app_context():
        narratives = [r.content.get("narrative") or r.content["notes"] for r in db.session.query(Record)]
    assert narratives and all(n.startswith("[DEMO]") for n in narratives)
    from server.directory.models import Contact

    with app.app_context():
        contacts = db.session.query(Contact).all()
    assert contacts and all(c.demo and "demo" in c.role["en"] for c in contacts)


def test_demo_simulate_pushes_through_a_running_server(app, tmp_path):
    from tests.conftest import running_server

    with running_server(app, tmp_path, workers=2) as url:
        result = app.test_cli_runner().invoke(args=["demo", "simulate", "--devices", "3", "--records", "12",
                                                    "--url", url, "--clock-error", "-7200"])
    assert result.exit_code == 0, result.output
    assert "3 devices pushed 36 records: 36 accepted" in result.output
    verify = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert "Ledger ok: 36 rows" in verify.output
