"""A supervisor's review reaches the phone that sealed the record, and that phone alone;
a held record is kept as it is with a note (issue 17)."""
from sqlalchemy import select

from server import crypto
from server.extensions import db
from server.sync.models import Quarantine
from tests.conftest import enroll_device
from tests.helpers import SEIZURE
from tests.test_console import Person, _audit, _form


def _record_form(client, rid, **form):
    return _form(client, f"/console/records/{rid}/review", **form)


def test_a_review_comment_reaches_the_officers_phone_and_no_other(app):
    phone, colleague, abroad = (enroll_device(app, agency) for agency in ("VN-HQ-QN", "VN-HQ-QN", "CN-HG-DX"))
    rid = phone.seal(SEIZURE)
    phone.sync()
    foreign = abroad.seal({**SEIZURE, "agency": "CN-HG-DX"})
    abroad.sync()
    ana = Person(app, "ana")
    client = app.test_client()
    ana.sign_in(client)
    assert "Not reviewed yet." in client.get(f"/console/records/{rid}").text

    saved = _record_form(client, rid, state="has_issues", comment="The weight is in grams, not kg: correct it.")
    assert saved.status_code == 302
    page = client.get(f"/console/records/{rid}").text
    assert "Has issues" in page and "The weight is in grams" in page

    phone.pull("reviews")
    review = phone.collections["reviews"]["items"][rid]
    assert (review["state"], review["comment"], review["by"]) == (
        "has_issues", "The weight is in grams, not kg: correct it.", "ana (test)")
    for other in (colleague, abroad):
        other.pull("reviews")
        assert other.collections["reviews"]["items"] == {}

    _record_form(client, rid, state="approved", comment="")
    phone.pull("reviews")
    assert phone.collections["reviews"]["items"][rid]["state"] == "approved"
    assert phone.collections["reviews"]["items"][rid]["comment"] is None
    assert [e.detail["state"] for e in _audit(app, "record.reviewed")] == ["has_issues", "approved"]

    assert 'data-rid="%s"' % rid in client.get("/console/records?review=approved").text
    assert 'data-rid="%s"' % rid not in client.get("/console/records?review=none").text
    assert _record_form(client, rid, state="burnt").status_code == 400
    assert _record_form(client, foreign, state="approved").status_code == 404  # another country's record

    anh = Person(app, "anh", role="analyst", agency="VN-C05")
    reader = app.test_client()
    anh.sign_in(reader)
    assert "Save the review" not in reader.get(f"/console/records/{rid}").text  # analysts read
    assert reader.post(f"/console/records/{rid}/review", data={"state": "approved"}).status_code in (400, 404)


def test_a_record_that_cannot_be_fixed_is_kept_as_it_is_with_a_note(app):
    phone = enroll_device(app, "VN-HQ-QN")
    rid = phone.seal(SEIZURE)
    sig = bytearray(crypto.b64d(phone.outbox[rid]["sig"]))
    sig[5] ^= 1
    phone.outbox[rid]["sig"] = crypto.b64e(bytes(sig))
    phone.sync()
    ana = app.test_client()
    Person(app, "bao").sign_in(ana)
    with app.app_context():
        row_id = db.session.scalar(select(Quarantine.id).filter_by(rid=rid))
    page = ana.get("/console/quarantine").text
    assert "bad_signature" in page and "Releasing it cannot fix this." in page
    assert _form(ana, f"/console/quarantine/{row_id}/keep", note="  ").status_code == 400
    assert _form(ana, f"/console/quarantine/{row_id}/keep", note="Signed by a broken app build; asked the officer to re-enter it.").status_code == 302
    assert _form(ana, f"/console/quarantine/{row_id}/keep", note="again").status_code == 409
    assert f'data-quarantine="{row_id}"' not in ana.get("/console/quarantine").text  # nothing waits
    everything = ana.get("/console/quarantine?all=1").text
    assert f'data-quarantine="{row_id}"' in everything and "Signed by a broken app build" in everything
    with app.app_context():
        row = db.session.get(Quarantine, row_id)
        assert (row.status, row.envelope != "") == ("kept", True)  # kept, never deleted
    assert [e.actor for e in _audit(app, "quarantine.kept")] == ["bao"]
