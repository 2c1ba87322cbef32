"""Checkpointed, signed pulls of everything a phone needs offline."""
import json
import threading

import pytest

from server import crypto
from server.demo.simulator import BadAnswer
from server.extensions import db
from server.forms.definition import published_definitions
from server.keys import service as keys
from server.reference import catalog, publish
from server.reference.models import ReferenceItem
from tests.conftest import ROOT


@pytest.fixture
def published(app):
    with app.app_context():
        publish.publish()
    return app


def _expected(app, name):
    with app.app_context():
        return json.loads(json.dumps(publish.SOURCES[name]()))


@pytest.mark.parametrize("name", sorted(publish.SOURCES))
def test_a_new_phone_downloads_each_collection_whole_in_pages(published, device, name):
    pages = device.pull(name, limit=7)
    expected = _expected(published, name)
    assert device.collections[name]["items"] == expected
    assert pages == max(1, -(-len(expected) // 7))


def test_collections_hold_what_phones_need(published, device):
    for name in ("forms", "codes", "species", "crossings", "translations", "keys"):
        device.pull(name)
    got = {name: local["items"] for name, local in device.collections.items()}
    assert got["forms"]["seizure.v1"] == published_definitions()["seizure.v1"]
    assert {"cites_term", "cites_unit", "cites_purpose", "cites_source", "countries", "currencies"} <= set(got["codes"])
    assert got["species"]["Manis javanica"]["cites_appendix"] == "I"
    assert got["species"][publish.ABOUT]["source"]
    assert got["translations"]["vi"]["messages"]["Date of seizure"] == "Ngày thu giữ"
    [intake] = got["keys"].values()
    assert intake["current"] and crypto.b64d(intake["public_key"]) == device.intake[1]


def test_changes_arrive_as_items_and_tombstones_after_the_checkpoint(published, device, monkeypatch):
    device.pull("species")
    checkpoint = device.collections["species"]["checkpoint"]
    body = catalog.collection_file("species")
    changed = dict(body, items=[{**body["items"][0], "note": "renamed in a test"}, *body["items"][2:]])
    monkeypatch.setattr(catalog, "collection_file", lambda name: changed if name == "species" else body)
    with published.app_context():
        assert publish.publish(["species"]) == {"species": 2}
        assert publish.publish(["species"]) == {"species": 0}  # publishing twice changes nothing
    history = device.collections["species"]["history"]
    answer = device.send_signed("GET", f"/api/v1/sync/pull/species?since={checkpoint}&history={history}")
    page = answer.json()
    assert [i["key"] for i in page["items"]] == [body["items"][0]["key"]]
    assert [t["key"] for t in page["tombstones"]] == [body["items"][1]["key"]]
    assert checkpoint < page["items"][0]["version"] < page["tombstones"][0]["version"] == page["checkpoint"]
    device.pull("species")
    assert device.collections["species"]["items"] == _expected(published, "species")


def test_a_rotated_intake_key_reaches_phones_as_a_signed_keys_collection(published, device):
    device.pull("keys")
    with published.app_context():
        old, new = keys.current_intake().kid, keys.rotate_intake().kid
    device.pull("keys")
    local = device.collections["keys"]["items"]
    assert (local[new]["current"], local[old]["current"]) == (True, False)


def _pull_at(device, checkpoint, history):
    return device.send_signed("GET", f"/api/v1/sync/pull/species?since={checkpoint}&history={history}")


def test_a_checkpoint_from_another_history_or_past_compaction_gets_410(published, device):
    device.pull("species")
    checkpoint, history = device.collections["species"]["checkpoint"], device.collections["species"]["history"]
    assert _pull_at(device, checkpoint, history).status == 200
    answer = _pull_at(device, checkpoint + 1000, history)
    assert (answer.status, answer.json()["code"]) == (410, "checkpoint_expired")
    answer = device.send_signed("GET", f"/api/v1/sync/pull/species?since={checkpoint}")  # history missing
    assert answer.status == 410
    with published.app_context():
        publish.compact("species")
        publish.publish(["agencies"])  # the counter moves on
    assert _pull_at(device, checkpoint - 1, history).status == 410
    device.collections["species"]["checkpoint"] = checkpoint - 1
    device.pull("species")  # the client starts over on 410 and ends up whole
    assert device.collections["species"]["items"] == _expected(published, "species")


def test_a_store_rebuilt_from_scratch_sends_phones_back_to_zero(published, device):
    """The disaster drill rebuilds the store in a new database, whose counter restarts:
    a phone's old checkpoint must not be read in the new numbering."""
    device.pull("species")
    old = device.collections["species"]["checkpoint"]
    result = published.test_cli_runner().invoke(args=["reference", "new-history"])
    assert result.exit_code == 0, result.output
    answer = _pull_at(device, old, device.collections["species"]["history"])
    assert (answer.status, answer.json()["code"]) == (410, "checkpoint_expired")
    device.pull("species")
    assert device.collections["species"]["items"] == _expected(published, "species")


def test_pull_answers_are_signed_and_tampering_is_caught(published, device):
    path = "/api/v1/sync/pull/codes?since=0"
    headers = device.signed_headers(path, b"", "GET")
    answer = device.transport.request("GET", path, b"", headers)
    device.check_answer(answer, headers["Wl-Nonce"], "GET", path)
    page = answer.json()
    page["items"][0]["data"]["items"][0]["names"]["en"] = "tampered"
    forged = type(answer)(answer.status, answer.headers, json.dumps(page).encode())
    with pytest.raises(BadAnswer):
        device.check_answer(forged, headers["Wl-Nonce"], "GET", path)


@pytest.mark.parametrize("path, status, code", [
    ("/api/v1/sync/pull/nothing-here", 404, "unknown_collection"),
    ("/api/v1/sync/pull/species?since=-1", 422, "invalid_request"),
    ("/api/v1/sync/pull/species?since=abc", 422, "invalid_request"),
    ("/api/v1/sync/pull/species?limit=0", 422, "invalid_request"),
])
def test_bad_pulls_get_coded_answers(published, device, path, status, code):
    answer = device.send_signed("GET", path)
    assert (answer.status, answer.json()["code"]) == (status, code)


def test_pulls_need_a_signed_request_from_a_device_in_service(published, device):
    answer = published.test_client().get("/api/v1/sync/pull/species")
    assert (answer.status_code, answer.get_json()["code"]) == (401, "auth_required")
    with published.app_context():
        from server.devices import service as devices
        devices.revoke(device.device_id)
    answer = device.send_signed("GET", "/api/v1/sync/pull/species")
    assert (answer.status, answer.json()["code"]) == (403, "device_revoked")


def test_the_directory_is_never_pulled_without_a_device_signature(published, device):
    """Contacts are real officers' names and numbers: an unsigned pull of the directory gets
    a refusal and none of them, as any other collection does; the device's signed pull gets them."""
    from server.directory import service as directory

    with published.app_context():
        assert directory.import_file(ROOT / "server" / "demo" / "directory.csv").ok  # published for phones
    for path in ("/api/v1/sync/pull/directory", "/api/v1/sync/pull/directory?since=0&limit=500"):
        answer = published.test_client().get(path)
        assert (answer.status_code, answer.get_json()["code"]) == (401, "auth_required"), path
        assert b"demo/" not in answer.data and b"+84" not in answer.data, answer.data
    device.pull("directory")
    assert any(key.startswith("demo/") for key in device.collections["directory"]["items"])


def test_a_change_committed_late_is_never_skipped(published, device, database_url):
    """A publisher holding the counter while a phone pulls: the phone's checkpoint stays
    below the uncommitted version, so the change arrives at the next pull."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite writers are serialized outright (BEGIN IMMEDIATE)")
    device.pull("species")
    started, release = threading.Event(), threading.Event()

    def slow_publisher():
        with published.app_context():
            head = publish._lock_head()
            head.version += 1
            db.session.add(ReferenceItem(collection="species", key="Late species", version=head.version,
                                         digest="x", data={"key": "Late species"}))
            db.session.flush()
            started.set()
            release.wait(10)
            db.session.commit()

    publisher = threading.Thread(target=slow_publisher)
    publisher.start()
    started.wait(10)
    device.pull("species")
    assert "Late species" not in device.collections["species"]["items"]
    release.set()
    publisher.join()
    device.pull("species")
    assert "Late species" in device.collections["species"]["items"]
