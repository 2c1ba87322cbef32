"""The operator's commands: the public URL kept in the instance, `demo simulate` refused on a
production instance, `intake replay` failing loudly, the fleet list, the key list, versions."""
import re
import unicodedata

import pytest
from sqlalchemy import func, select

from server import config
from server.access import service as access
from server.demo.simulator import FlaskTransport, SimulatedDevice
from server.devices import service as devices
from server.devices.cli import _width, echo_table
from server.devices.models import EnrollmentToken
from server.extensions import db
from server.store import service as store
from server.sync.models import LedgerEntry, Quarantine
from server.version import server_version
from tests.conftest import enroll_device, make_app, prepare, running_server
from tests.helpers import SEIZURE


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An instance folder of the test's own (create_app reads WILDLEDGER_INSTANCE_PATH)."""
    folder = tmp_path / "instance"
    monkeypatch.setenv("WILDLEDGER_INSTANCE_PATH", str(folder))
    monkeypatch.delenv("WILDLEDGER_PUBLIC_URL", raising=False)
    return folder


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


# -- the public URL ------------------------------------------------------------------------

def test_the_public_url_is_set_once_in_the_instance_and_the_environment_wins(database_url, tmp_path, instance,
                                                                           monkeypatch):
    app = prepare(make_app(database_url, tmp_path))

    def enroll():
        # As create_app() reads it (the test configuration would otherwise fix it).
        app.config["PUBLIC_URL"] = config.from_environment(app.instance_path)["PUBLIC_URL"]
        result = _cli(app, "enroll", "--agency", "VN-HQ-QN", "--png", str(tmp_path / "qr.png"))
        assert result.exit_code == 0, result.output
        return re.search(r"URL: (\S+)", result.output).group(1), result.output

    url, output = enroll()  # nothing set: a QR no phone can use, and the operator is told
    assert url.startswith("http://127.0.0.1:5000/enroll#")
    assert "this computer's own address" in output and "flask config public-url" in output

    result = _cli(app, "config", "public-url", "https://wildledger.example.org/")
    assert result.exit_code == 0 and "Warning" not in result.output
    assert config.instance_settings(instance) == {"public_url": "https://wildledger.example.org"}
    url, output = enroll()
    assert url.startswith("https://wildledger.example.org/enroll#") and "Warning" not in output

    monkeypatch.setenv("WILDLEDGER_PUBLIC_URL", "https://other.example.org")
    url, output = enroll()
    assert url.startswith("https://other.example.org/enroll#")
    assert ("WILDLEDGER_PUBLIC_URL (https://other.example.org) differs from the public URL kept in the instance "
            "(https://wildledger.example.org): the environment wins.") in output
    shown = _cli(app, "config", "public-url")
    assert "from WILDLEDGER_PUBLIC_URL" in shown.output and "differs" in shown.output
    monkeypatch.delenv("WILDLEDGER_PUBLIC_URL")

    for wrong in ("https://wildledger.example.org/enroll", "wildledger.example.org", "ftp://host", "https://h:x"):
        result = _cli(app, "config", "public-url", wrong)
        assert result.exit_code != 0 and "not an origin" in result.output, wrong
    assert config.instance_settings(instance)["public_url"] == "https://wildledger.example.org"

    result = _cli(app, "config", "public-url", "http://192.168.1.20:5000")
    assert "is not HTTPS" in result.output
    for loopback in ("http://localhost:5000", "http://[::1]:5000", "http://0.0.0.0:5000"):
        assert "own address" in _cli(app, "config", "public-url", loopback).output, loopback
    result = _cli(app, "config", "public-url", "--unset")
    assert result.exit_code == 0 and config.instance_settings(instance) == {}


def test_enrollment_without_an_officer_name_has_no_stray_space(app, tmp_path):
    result = _cli(app, "enroll", "--agency", "VN-HQ-QN", "--png", str(tmp_path / "qr.png"))
    assert result.exit_code == 0
    assert "Enrollment for VN-HQ-QN, valid once, until " in result.output and " ," not in result.output


# -- demo simulate ---------------------------------------------------------------------------

@pytest.mark.slow
def test_demo_simulate_refuses_an_instance_that_holds_no_demo_data(database_url, tmp_path, instance):
    """The ledger is append-only: simulated records pushed into production stay there."""
    app = prepare(make_app(database_url, tmp_path, TESTING=False))
    simulate = ["demo", "simulate", "--devices", "1", "--records", "2"]
    result = _cli(app, *simulate, "--url", "http://127.0.0.1:9")
    assert result.exit_code != 0 and "--yes-this-is-not-production" in result.output
    with app.app_context():  # refused before it did anything
        assert db.session.scalar(select(func.count()).select_from(EnrollmentToken)) == 0
        assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 0

    with running_server(app, tmp_path, workers=1) as url:
        told = _cli(app, *simulate, "--url", url, "--yes-this-is-not-production")
        assert told.exit_code == 0 and "1 devices pushed 2 records: 2 accepted" in told.output, told.output
        loaded = _cli(app, "demo", "load")
        assert loaded.exit_code == 0 and config.instance_settings(instance)["demo"] is True
        demo = _cli(app, *simulate, "--url", url)
        assert demo.exit_code == 0 and "2 accepted" in demo.output, demo.output


def test_demo_load_never_marks_a_store_that_has_real_users(database_url, tmp_path, instance):
    app = prepare(make_app(database_url, tmp_path, TESTING=False))
    with app.app_context():
        access.create_user("nguyen", "Nguyễn Văn An", "analyst", "VN-HQ-QN")
        db.session.commit()
    result = _cli(app, "demo", "load")
    assert "already loaded" in result.output and "demo" not in config.instance_settings(instance)
    assert _cli(app, "demo", "simulate", "--url", "http://127.0.0.1:9").exit_code != 0


# -- intake replay -------------------------------------------------------------------------

def test_intake_replay_exits_non_zero_when_it_could_not_open_a_row(app, device, tmp_path, monkeypatch):
    """Seen: without the key file every row was quarantined and the command still exited 0."""
    def broken_filer(*args, **kwargs):
        raise RuntimeError("a bug in filing")

    monkeypatch.setitem(store.FILERS, "seizure", broken_filer)
    for n in range(2):
        device.seal({**SEIZURE, "narrative": f"Held {n}"})
    assert [r["code"] for r in device.sync()] == ["intake_error", "intake_error"]
    monkeypatch.undo()

    kek = tmp_path / "keys" / "kek"
    kek.rename(tmp_path / "kek.away")
    host = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)  # a new process: no key in memory
    result = host.test_cli_runner().invoke(args=["intake", "replay"])
    assert result.exit_code != 0
    assert "Replayed 2 ledger rows: 0 filed, 2 quarantined." in result.output
    assert "2 rows could not be opened or filed because of the server" in result.output
    with host.app_context():
        details = db.session.scalars(select(Quarantine.detail).filter_by(status="held")).all()
        assert len(details) == 2 and all("key-encryption key file" in detail for detail in details)

    (tmp_path / "kek.away").rename(kek)
    result = host.test_cli_runner().invoke(args=["intake", "replay"])
    assert result.exit_code == 0 and "Replayed 2 ledger rows: 2 filed" in result.output


# -- devices list ----------------------------------------------------------------------------

def _cell_starts(line):
    """The display column where each cell of a table line starts (cells are apart by 2+ spaces)."""
    return [_width(line[:match.start()]) for match in re.finditer(r"\S+(?: \S+)*", line)]


def test_a_table_aligns_wide_and_combining_characters(capsys):
    echo_table(["officer", "agency"], [["王志强 穿山甲鳞片", "CN"], ["ບຸນມີ ພົມມະຈັນ", "LA"], ["Nguyễn Văn An", "VN"],
                                      [unicodedata.normalize("NFD", "Phạm Văn Đức"), "VN"]])
    lines = capsys.readouterr().out.splitlines()
    # The Chinese name takes 17 columns (two each), the Lao one 10 (its vowel and tone marks
    # none), the decomposed Vietnamese one 12 (its accents none).
    assert {tuple(_cell_starts(line)) for line in lines} == {(0, 19)}


def test_devices_list_shows_version_storage_last_push_and_missing_records(app):
    phone = enroll_device(app)
    first, lost, third = (phone.seal({**SEIZURE, "narrative": f"Record {n}"}) for n in range(3))
    phone.push([first, third], app={"version": "0.3.0", "storage_persistent": False})
    with app.app_context():
        token, _row = devices.create_enrollment(access.agency_by_code("CN-HG-NN-ASB"), officer_name="黄志强")
    SimulatedDevice(FlaskTransport(app.test_client())).enroll(token)
    other = enroll_device(app, "LA-DOFI-BKX")
    _cli(app, "devices", "revoke", other.device_id)

    lines = _cli(app, "devices", "list").output.splitlines()
    assert lines[0].split("  ")[0] == "device" and len(lines) == 4
    starts = _cell_starts(lines[0])
    assert starts == _cell_starts(lines[1])  # every cell filled for the phone that pushed
    header = re.split(r"\s{2,}", lines[0])
    assert header == ["device", "agency", "state", "last seen", "last push", "app", "persistent storage",
                      "missing records", "officer"]
    pushed = dict(zip(header, re.split(r"\s{2,}", lines[1]), strict=True))
    assert (pushed["device"], pushed["state"], pushed["app"]) == (phone.device_id, "active", "0.3.0")
    assert (pushed["persistent storage"], pushed["missing records"], pushed["officer"]) == ("no", "1", "Test officer")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", pushed["last push"])
    silent = dict(zip(header, re.split(r"\s{2,}", lines[2]), strict=True))
    assert (silent["last push"], silent["app"], silent["persistent storage"], silent["missing records"],
            silent["officer"]) == ("never", "?", "?", "0", "黄志强")
    assert lines[3].split()[2] == "revoked"
    for line in lines[1:]:
        assert all(start in _cell_starts(lines[0]) for start in _cell_starts(line)[:5])


# -- keys and versions ---------------------------------------------------------------------

def test_keys_show_marks_the_current_intake_key(app):
    _cli(app, "keys", "rotate-intake")
    lines = _cli(app, "keys", "show").output.splitlines()
    assert len(lines) == 3
    assert "epoch 2" in lines[0] and lines[0].endswith("current, seals new records")
    assert "epoch 1" in lines[1] and lines[1].endswith("older, still opens what was sealed to it")
    assert lines[2].startswith("signing key")


def test_version_names_the_server_and_the_built_app(database_url, tmp_path):
    built = tmp_path / "dist"
    built.mkdir()
    app = prepare(make_app(database_url, tmp_path, PWA_DIST=str(built)))
    result = _cli(app, "version")
    assert result.output.splitlines() == [f"Wildledger server {server_version()}",
                                          f"Officer app: not built in {built}"]
    (built / "sw.js").write_text('(()=>{const K="0.4.1-0123456789ab",V="wildledger-shell-";})();\n')
    assert f"Officer app 0.4.1-0123456789ab, built in {built}" in _cli(app, "version").output
    health = app.test_client().get("/api/v1/health").json
    assert (health["version"], health["app_version"]) == (server_version(), "0.4.1-0123456789ab")
    with open(config.ROOT / "pyproject.toml", encoding="utf-8") as handle:  # the one place it is written
        assert f'\nversion = "{server_version()}"\n' in handle.read()
