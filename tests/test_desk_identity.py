"""Desk identities (issue 18): an analyst files an information report from the office, in the
console or by command, under a signing identity of their own that the server holds (a device
row of kind "desk", its key wrapped under the KEK, its own gapless seq), sealed and taken
through intake like a phone's record: into the ledger, then the store, once. Never signed by
the server's answer-signing key."""
import json
import re
from itertools import pairwise

import pytest
from sqlalchemy import select

from server import crypto
from server.audit.models import AuditEntry
from server.demo.simulator import DeviceError
from server.devices import desks
from server.devices.models import Device
from server.extensions import db
from server.keys import service as keys
from server.store.models import InformationReport, Mention, Record
from server.sync.models import LedgerEntry, Quarantine
from tests.conftest import enroll_device
from tests.test_console import TOKEN, Person

REPORT = {
    "date": "2026-11-18",
    "narrative": "Báo cáo công khai: một tài khoản rao bán vảy tê tê, hẹn giao ở Móng Cái.",
    "place": {"name": "Móng Cái", "province": "VN-13", "country": "VN"},
    "source_type": "public_report", "source_grade": {"reliability": "C", "credibility": "3"},
    "handling": "national",
    "people": [{"name": "王伟", "nationality": "CN", "phone": "+86 140 0000 1234"}],
    "accounts": [{"platform": "Zalo", "account": "demo_vay_te_te"}],
    "species": [{"species": "Manis javanica", "goods": "vảy khô"}],
}
RID = re.compile(r"/console/records/([0-9a-f-]{36})$")


def _inputs(value, prefix=""):
    """The report as the console form posts it: {"people.0.name": "王伟", …}."""
    if isinstance(value, dict):
        return {k: v for name, item in value.items() for k, v in _inputs(item, f"{prefix}{name}.").items()}
    if isinstance(value, list):
        return {k: v for n, item in enumerate(value) for k, v in _inputs(item, f"{prefix}{n}.").items()}
    return {prefix.rstrip("."): value}


def _client(person):
    client = person.app.test_client()
    assert person.sign_in(client).status_code == 302
    return client


def _post(client, report, **extra):
    page = client.get("/console/intel/reports/new")
    assert page.status_code == 200, page.status_code
    return client.post("/console/intel/reports/new",
                       data={"csrf_token": TOKEN.search(page.text)[1], **_inputs(report), **extra})


def _file_in_console(client, report=REPORT):
    answer = _post(client, report)
    assert answer.status_code == 302, answer.text
    return RID.search(answer.location)[1]


def _file_by_command(app, username, report, tmp_path, name="report.json"):
    path = tmp_path / name
    path.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    return app.test_cli_runner().invoke(args=["intel", "file-report", "--user", username, "--file", str(path)])


def _entry(rid):
    return db.session.scalar(select(LedgerEntry).filter_by(rid=rid))


def _desk(username):
    return db.session.scalar(select(Device).join(Device.user).where(Device.kind == "desk")
                             .filter_by(username=username).order_by(Device.enrolled_at.desc()))


def _counts():
    return {model.__name__: len(db.session.scalars(select(model)).all())
            for model in (LedgerEntry, Record, Quarantine, Device)}


def _audit(action):
    return db.session.scalars(select(AuditEntry).filter_by(action=action).order_by(AuditEntry.seq)).all()


def test_a_report_filed_in_the_console_is_in_the_ledger_and_the_store_once_signed_by_the_desk(app):
    anh = Person(app, "anh", role="analyst")
    client = _client(anh)
    rid = _file_in_console(client)
    with app.app_context():
        desk = _desk("anh")
        assert (desk.kind, desk.user.username, desk.agency.code, desk.officer_name) == (
            "desk", "anh", "VN-HQ-QN", "anh (test)")
        entries = db.session.scalars(select(LedgerEntry).filter_by(rid=rid)).all()
        records = db.session.scalars(select(Record).filter_by(rid=rid)).all()
        assert len(entries) == 1 and len(records) == 1
        entry, record = entries[0], records[0]
        assert (entry.device_id, entry.seq, entry.status, record.ledger_idx) == (desk.id, 1, "received", entry.idx)
        # The record's officer is the person, its agency theirs; whatever was typed could not say otherwise.
        assert (record.officer_name, record.agency.code, record.form, record.handling) == (
            "anh (test)", "VN-HQ-QN", "information_report", "national")
        assert record.content["agency"] == "VN-HQ-QN" and record.content["reporting_officer"] == "anh (test)"
        assert record.flags == []
        report = db.session.get(InformationReport, record.id)
        assert (report.source_type, report.source_reliability, report.source_credibility) == ("public_report", "C", "3")
        roles = sorted(db.session.scalars(select(Mention.role).where(Mention.record_id == record.id)))
        assert roles == ["subject", "subject_account"]
        # The envelope is the desk's: both signatures check with its key, never with the server's.
        crypto.verify_envelope(desk.public_key, entry.header, entry.ct, entry.sig)
        server_key = keys.signing_key().public_key
        assert server_key != desk.public_key
        with pytest.raises(crypto.CryptoError):
            crypto.verify_envelope(server_key, entry.header, entry.ct, entry.sig)
        header = json.loads(entry.header)
        document = crypto.open_record(keys.intake_private_key(header["kid"]), desk.public_key, entry.header, entry.ct)
        assert json.loads(document)["form"] == "information_report"
        with pytest.raises(crypto.CryptoError):
            crypto.open_record(keys.intake_private_key(header["kid"]), server_key, entry.header, entry.ct)
        assert (header["dev"], header["seq"], header["prev"]) == (desk.id, 1, None)
    assert app.test_cli_runner().invoke(args=["ledger", "verify"]).exit_code == 0
    page = client.get(f"/console/records/{rid}").text
    assert "Desk identity" in page and desk.id in page and "Sealed on the phone" not in page


def test_seq_is_gapless_per_desk_across_console_and_command_and_each_analyst_has_their_own(app, tmp_path):
    anh = Person(app, "anh", role="analyst")
    Person(app, "binh", role="analyst", agency="VN-C05")
    anh_client = _client(anh)
    first = _file_in_console(anh_client)
    by_command = _file_by_command(app, "anh", {**REPORT, "narrative": "Hồ sơ do Hải quan chuyển sang."}, tmp_path)
    assert by_command.exit_code == 0, by_command.output
    second = by_command.output.strip().splitlines()[-1]
    third = _file_in_console(anh_client, {**REPORT, "handling": "agency"})
    other = _file_by_command(app, "binh", REPORT, tmp_path, "binh.json")
    assert other.exit_code == 0, other.output
    with app.app_context():
        anh_desk, binh_desk = _desk("anh"), _desk("binh")
        assert anh_desk.id != binh_desk.id and anh_desk.public_key != binh_desk.public_key
        assert binh_desk.agency.code == "VN-C05"
        entries = [_entry(rid) for rid in (first, second, third)]
        assert [(e.device_id, e.seq) for e in entries] == [(anh_desk.id, 1), (anh_desk.id, 2), (anh_desk.id, 3)]
        # Each header's prev is the digest of the desk's envelope before it, as a phone chains them.
        for before, after in pairwise(entries):
            assert json.loads(after.header)["prev"] == crypto.b64e(before.env_sha256)
        assert all(db.session.scalar(select(Record.flags).filter_by(rid=e.rid)) == [] for e in entries)
        [binh_entry] = db.session.scalars(select(LedgerEntry).filter_by(device_id=binh_desk.id)).all()
        assert binh_entry.seq == 1
        assert len(db.session.scalars(select(Device).filter_by(kind="desk")).all()) == 2
        filed = _audit("desk.filed")
        assert [(a.actor, a.target, a.detail["seq"], a.detail["status"]) for a in filed] == [
            ("anh", f"record:{first}", 1, "accepted"), (filed[1].actor, f"record:{second}", 2, "accepted"),
            ("anh", f"record:{third}", 3, "accepted"), (filed[3].actor, filed[3].target, 1, "accepted")]
        assert filed[1].actor_kind == "cli"
        created = _audit("desk.created")
        assert [(a.target, a.detail["user"]) for a in created] == [(anh_desk.id, "anh"), (binh_desk.id, "binh")]
        assert created[0].detail["fingerprint"] == crypto.fingerprint(anh_desk.public_key)


def test_the_desk_key_is_kept_only_wrapped_under_the_kek(app, tmp_path):
    assert _file_by_command(app, "anh", REPORT, tmp_path).exit_code != 0  # no such user yet
    Person(app, "anh", role="analyst")
    assert _file_by_command(app, "anh", REPORT, tmp_path).exit_code == 0
    with app.app_context():
        desk = _desk("anh")
        key = crypto.private_from_bytes(keys.unwrap_secret(desk.wrapped_key, f"desk:{desk.id}"))
        assert crypto.public_raw(key) == desk.public_key
        raw, scalar = crypto.private_to_bytes(key), key.private_numbers().private_value.to_bytes(32, "big")
        stored = bytes(desk.wrapped_key)
        assert raw not in stored and scalar not in stored and len(stored) == 12 + len(raw) + 16
        # Bound to its desk: the wrapping opens under no other label.
        with pytest.raises(crypto.CryptoError):
            keys.unwrap_secret(desk.wrapped_key, "desk:another")
        assert desk.public_key not in {row.public_key for row in keys.intake_keys()} | {keys.signing_key().public_key}


def test_a_report_with_a_problem_files_nothing_and_says_where(app, tmp_path):
    anh = Person(app, "anh", role="analyst")
    client = _client(anh)
    with app.app_context():
        before = _counts()
    broken = {**REPORT, "people": [{"nationality": "CN"}], "place": {"name": "Móng Cái", "province": "XX-99"}}
    answer = _post(client, broken)
    assert answer.status_code == 400
    assert 'id="f-people-0-name-error"' in answer.text and 'id="f-place-province-error"' in answer.text
    assert "Nothing was filed" in answer.text and "Required." in answer.text
    assert 'aria-invalid="true"' in answer.text
    # What was typed is still there, to correct.
    assert "Báo cáo công khai" in answer.text
    result = _file_by_command(app, "anh", {**REPORT, "narrative": "", "date": "18/11/2026"}, tmp_path)
    assert result.exit_code != 0 and "invalid_fields" in result.output
    assert "date: Not a valid date." in result.output and "Nothing was filed." in result.output
    not_json = tmp_path / "bad.json"
    not_json.write_text("{not json", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["intel", "file-report", "--user", "anh", "--file", str(not_json)])
    assert result.exit_code != 0 and "report_file_invalid" in result.output
    result = _file_by_command(app, "anh", ["not", "an", "object"], tmp_path)
    assert result.exit_code != 0 and "report_file_invalid" in result.output
    result = _file_by_command(app, "anh", {**REPORT, "agency": "LA-DOFI"}, tmp_path)
    assert result.exit_code != 0 and "desk_fields_fixed" in result.output
    with app.app_context():
        assert _counts() == before  # no ledger row, no record, no quarantine, not even a desk
        assert _audit("desk.filed") == [] and _audit("desk.created") == []


def test_add_a_row_shows_the_form_again_one_row_longer_and_files_nothing(app):
    client = _client(Person(app, "anh", role="analyst"))
    first = client.get("/console/intel/reports/new").text
    assert 'id="f-people-1-name"' in first and 'id="f-people-2-name"' not in first
    again = _post(client, REPORT, add="people")
    assert again.status_code == 200 and 'id="f-people-2-name"' in again.text and "王伟" in again.text
    with app.app_context():
        assert db.session.scalars(select(LedgerEntry)).all() == []


def test_a_disabled_person_files_nothing_and_their_desk_is_revoked(app, tmp_path):
    anh = Person(app, "anh", role="analyst")
    client = _client(anh)
    _file_in_console(client)
    assert app.test_cli_runner().invoke(args=["users", "disable", "anh"]).exit_code == 0
    with app.app_context():
        desk = _desk("anh")
        assert desk.revoked_at is not None and desk.revoked_seq == 1
        [revoked] = _audit("desk.revoked")
        assert revoked.target == desk.id and revoked.detail["reason"] == "user_disabled"
        before = _counts()
    result = _file_by_command(app, "anh", REPORT, tmp_path)
    assert result.exit_code != 0 and "desk_user_disabled" in result.output
    assert client.get("/console/intel/reports/new").status_code == 302  # signed out: no session works
    with app.app_context():
        assert _counts() == before
        user = db.session.get(Device, desk.id).user
        with pytest.raises(desks.DeskRefused) as refused:
            desks.file_report(user, REPORT)
        assert refused.value.code == "desk_user_disabled"
        # Nor does its desk seal anything that intake would take: revoked, like a lost phone.
        from server.sync import intake

        envelope, rid, seq = desks.seal(db.session.get(Device, desk.id),
                                        {**REPORT, "agency": "VN-HQ-QN", "reporting_officer": "anh (test)"})
        assert seq == 2
        [receipt] = intake.receive(db.session.get(Device, desk.id), [envelope], 0).receipts
        assert (receipt.status, receipt.code) == ("quarantined", "device_revoked")
        assert db.session.scalar(select(Record).filter_by(rid=rid)) is None


def test_a_desk_revoked_by_command_files_nothing_until_a_new_one_is_issued(app, tmp_path):
    Person(app, "anh", role="analyst")
    assert _file_by_command(app, "anh", REPORT, tmp_path).exit_code == 0
    revoked = app.test_cli_runner().invoke(args=["desks", "revoke", "anh", "--reason", "key rotation"])
    assert revoked.exit_code == 0, revoked.output
    result = _file_by_command(app, "anh", REPORT, tmp_path)
    assert result.exit_code != 0 and "desk_revoked" in result.output
    created = app.test_cli_runner().invoke(args=["desks", "create", "anh"])
    assert created.exit_code == 0, created.output
    again = _file_by_command(app, "anh", REPORT, tmp_path)
    assert again.exit_code == 0, again.output
    with app.app_context():
        old, new = db.session.scalars(select(Device).filter_by(kind="desk").order_by(Device.enrolled_at)).all()
        assert old.revoked_at is not None and new.revoked_at is None and old.public_key != new.public_key
        assert _entry(again.output.strip()).device_id == new.id and _entry(again.output.strip()).seq == 1
    listing = app.test_cli_runner().invoke(args=["desks", "list"])
    assert old.id in listing.output and new.id in listing.output and "revoked" in listing.output
    officer = app.test_cli_runner().invoke(args=["users", "create", "oscar", "--name", "Oscar", "--role", "officer",
                                                 "--agency", "VN-HQ-QN"])
    assert officer.exit_code == 0
    result = _file_by_command(app, "oscar", REPORT, tmp_path)
    assert result.exit_code != 0 and "desk_not_allowed" in result.output


def test_someone_moved_to_another_agency_files_there_under_a_new_desk(app, tmp_path):
    from server.access import service as access

    Person(app, "anh", role="analyst")
    assert _file_by_command(app, "anh", REPORT, tmp_path).exit_code == 0
    with app.app_context():
        user = access.user_by_name("anh")
        user.agency = access.agency_by_code("VN-C05")
        db.session.commit()
    result = _file_by_command(app, "anh", REPORT, tmp_path)
    assert result.exit_code == 0, result.output
    with app.app_context():
        record = db.session.scalar(select(Record).filter_by(rid=result.output.strip()))
        old, new = db.session.scalars(select(Device).filter_by(kind="desk").order_by(Device.enrolled_at)).all()
        assert (record.agency.code, record.device_id, record.seq) == ("VN-C05", new.id, 1)
        assert old.revoked_at is not None and _audit("desk.revoked")[0].detail["reason"] == "agency_changed"


# Who reads a report an analyst of VN-HQ-QN files (handling code → readers), as for a phone's.
READERS = {"author": ("analyst", "VN-HQ-QN"), "supervisor": ("supervisor", "VN-HQ-QN"),
           "analyst_same_country": ("analyst", "VN-C05"), "analyst_other_country": ("analyst", "CN-HG-DX")}
AUDIENCE = {"national": {"author", "supervisor", "analyst_same_country"},
            "agency": {"author", "supervisor"},
            "originator": {"supervisor"}}


@pytest.mark.parametrize("handling", sorted(AUDIENCE))
def test_a_desk_report_reaches_whom_its_handling_code_allows(app, handling):
    people = {name: Person(app, name, role=role, agency=agency) for name, (role, agency) in READERS.items()}
    author = _client(people["author"])
    answer = _post(author, {**REPORT, "handling": handling})
    with app.app_context():
        rid = db.session.scalar(select(Record.rid))
    if "author" in AUDIENCE[handling]:
        assert answer.status_code == 302 and answer.location.endswith(f"/console/records/{rid}")
    else:  # filed all the same; its author is told so, with its rid
        assert answer.status_code == 200 and rid in answer.text and "does not let you read it" in answer.text
    for name, person in people.items():
        client = author if name == "author" else _client(person)
        assert client.get(f"/console/records/{rid}").status_code == (200 if name in AUDIENCE[handling] else 404), name


def test_desks_are_listed_apart_from_phones_and_never_fall_silent(app, clock, tmp_path):
    phone = enroll_device(app, "VN-HQ-QN")
    Person(app, "anh", role="analyst")
    assert _file_by_command(app, "anh", REPORT, tmp_path).exit_code == 0
    with app.app_context():
        desk = _desk("anh")
    clock.advance(days=10)
    sam = Person(app, "sam", role="supervisor")
    client = _client(sam)
    fleet = client.get("/console/fleet").text
    phones, apart = fleet.split("<table class=\"desks\">") if '<table class="desks">' in fleet else (fleet, "")
    assert f'data-device="{phone.device_id}"' in phones and desk.id not in phones
    assert f'data-desk="{desk.id}"' in apart and "Desk identities" in fleet
    alerts = client.get("/console/alerts").text
    assert f'data-device="{phone.device_id}"' in alerts and desk.id not in alerts
    # A desk is no phone: it is not revoked from the phone pages, nor is a file carried in for it.
    assert client.get(f"/console/devices/{desk.id}/revoke").status_code == 404
    listing = app.test_cli_runner().invoke(args=["devices", "list"])
    assert phone.device_id in listing.output and desk.id not in listing.output
    # In another agency's fleet it is not at all.
    other = _client(Person(app, "chen", role="supervisor", agency="CN-HG-DX"))
    assert desk.id not in other.get("/console/fleet").text


def test_a_desk_never_talks_to_the_device_api(app, tmp_path):
    """Its key never leaves the server: a request naming a desk is refused as from no device,
    even one signed with its key."""
    Person(app, "anh", role="analyst")
    assert _file_by_command(app, "anh", REPORT, tmp_path).exit_code == 0
    impostor = enroll_device(app)  # to learn the server's keys as a phone does
    with app.app_context():
        desk = _desk("anh")
        impostor.key = crypto.private_from_bytes(keys.unwrap_secret(desk.wrapped_key, f"desk:{desk.id}"))
    impostor.device_id = desk.id
    impostor.seal({**REPORT, "agency": "VN-HQ-QN", "reporting_officer": "anh (test)"}, form="information_report")
    with pytest.raises(DeviceError) as refused:
        impostor.push()
    assert refused.value.code == "unknown_device"
