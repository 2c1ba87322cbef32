"""Share grants (issue 18): need-to-know widened explicitly. Role × own/other agency × own/other
country × with/without a grant × list/view/entity/network/export; revocation, expiry, handling codes,
and the recipient's inbox and e-mail."""
import csv
import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.access import grants
from server.dbtypes import utcnow
from server.extensions import db
from tests.conftest import enroll_device
from tests.helpers import SEIZURE
from tests.test_alert_mail import Inbox
from tests.test_console import TOKEN, Person
from tests.test_information_reports import REPORT

# Who, and whether a grant to an agency (VN-HQ-QN) or to a country's analysts (VN) reaches them.
READERS = {"cn_supervisor": ("supervisor", "CN-HG-DX"), "cn_analyst_other_agency": ("analyst", "CN-HG-NN"),
           "vn_supervisor": ("supervisor", "VN-HQ-QN"), "vn_analyst": ("analyst", "VN-C05"),
           "la_analyst": ("analyst", "LA-DOFI")}
WITHOUT = {"cn_supervisor", "cn_analyst_other_agency"}
TO_AGENCY = WITHOUT | {"vn_supervisor"}
TO_COUNTRY = WITHOUT | {"vn_analyst"}


@pytest.fixture
def people(app):
    return signed_in_readers(app)


def signed_in_readers(app):
    """{reader: (signed-in console client, API token)} for each of READERS."""
    out = {}
    for name, (role, agency) in READERS.items():
        client = app.test_client()
        Person(app, name, role=role, agency=agency).sign_in(client)
        with app.app_context():
            from server.access import service as access

            token = access.issue_token(access.user_by_name(name))[0]
            db.session.commit()
        out[name] = (client, token)
    return out


def _seizure(app, agency="CN-HG-DX"):
    phone = enroll_device(app, agency)
    rid = phone.seal({**SEIZURE, "agency": agency, "vehicles": [], "companies": [],
                      "suspects": [{"name": "王伟", "phone": "+86 140 0000 1234"}]})
    phone.sync()
    return rid


def _share(client, what, about, to, purpose="Joint case: pangolin scales through Móng Cái (demo)", days=30):
    token = TOKEN.search(client.get("/console/shares").text)[1]
    return client.post("/console/shares/new", data={"csrf_token": token, "what": what, "about": about, "to": to,
                                                    "purpose": purpose, "days": days})


def _exported(client):
    """The rids in the CSV export a reader asks for in the console."""
    token = TOKEN.search(client.get("/console/exports").text)[1]
    asked = client.post("/console/exports", data={"csrf_token": token, "kind": "csv"})
    answer = client.get(asked.headers["Location"] + "/download")
    data = answer.get_data()
    answer.close()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        rows = csv.DictReader(io.StringIO(archive.read("records.csv").decode("utf-8-sig")))
        return {row["rid"] for row in rows}


def _reach(app, people, rid):
    """{reader: what they get} for view (console and API), list, entity, network and export."""
    out = {}
    for name, (client, token) in people.items():
        headers = {"Authorization": f"Bearer {token}"}
        api = app.test_client()
        view = client.get(f"/console/records/{rid}").status_code == 200
        assert (api.get(f"/api/v1/records/{rid}", headers=headers).status_code == 200) == view, name
        listed = f'data-rid="{rid}"' in client.get("/console/records").text
        entity = api.get(f"/api/v1/intel/entity?mention={rid}/0", headers=headers).status_code == 200
        network = api.get(f"/api/v1/intel/network?mention={rid}/0&hops=1", headers=headers).status_code == 200
        exported = rid in _exported(client)
        assert view == listed == entity == network == exported, name
        out[name] = view
    return {name for name, seen in out.items() if seen}


def test_a_grant_opens_exactly_what_it_names_to_exactly_whom_it_names(app, people):
    rid, other = _seizure(app), _seizure(app)
    assert _reach(app, people, rid) == WITHOUT
    cn = people["cn_supervisor"][0]
    assert _share(cn, "record", rid, "agency:VN-HQ-QN").status_code == 302
    assert _reach(app, people, rid) == TO_AGENCY
    assert _reach(app, people, other) == WITHOUT  # the other record of the same phone stays closed
    assert _share(cn, "record", rid, "country:VN").status_code == 302
    assert _reach(app, people, rid) == TO_AGENCY | TO_COUNTRY

    with app.app_context():
        to_agency, to_country = db.session.scalars(select(grants.ShareGrant).order_by(grants.ShareGrant.id)).all()
        to_country.expires_at = utcnow() - timedelta(minutes=1)  # expired
        db.session.commit()
        agency_grant = to_agency.id
    assert _reach(app, people, rid) == TO_AGENCY
    page = cn.get("/console/shares").text
    token = TOKEN.search(page)[1]
    assert cn.post(f"/console/shares/{agency_grant}/revoke", data={"csrf_token": token}).status_code == 302
    assert _reach(app, people, rid) == WITHOUT
    vn = people["vn_supervisor"][0]
    assert vn.post(f"/console/shares/{agency_grant}/revoke",
                   data={"csrf_token": TOKEN.search(vn.get("/console/shares").text)[1]}).status_code == 404
    with app.app_context():
        from server.audit.models import AuditEntry

        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("share.%"))
                                     .order_by(AuditEntry.seq)).all()
    assert actions == ["share.granted", "share.granted", "share.revoked"]


def test_one_may_share_only_what_one_may_read(app, people):
    rid = _seizure(app)
    assert _share(people["vn_supervisor"][0], "record", rid, "agency:VN-C05").status_code == 404


def test_handling_codes_decide_what_may_be_shared_and_where(app, people):
    phone = enroll_device(app, "VN-HQ-QN")
    rids = {handling: phone.seal({**REPORT, "handling": handling}, form="information_report", version=1)
            for handling in ("national", "agency", "cross_border")}
    phone.sync()
    vn = people["vn_supervisor"][0]
    assert _share(vn, "record", rids["agency"], "agency:VN-C05").status_code == 422
    assert _share(vn, "record", rids["national"], "agency:CN-HG-DX").status_code == 422
    assert _share(vn, "record", rids["national"], "agency:VN-C05").status_code == 302
    assert _share(vn, "record", rids["cross_border"], "country:CN").status_code == 302


def test_the_recipient_finds_it_in_the_inbox_and_by_mail(app, people):
    from aiosmtpd.controller import Controller

    from server.demo.serving import free_port

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        app.config.update(SMTP_URL=f"smtp://127.0.0.1:{controller.port}", MAIL_FROM="alerts@wildledger.test")
        with app.app_context():
            from server.access import service as access

            access.user_by_name("vn_supervisor").email = "vn@example.org"
            db.session.commit()
        rid = _seizure(app)
        # The entity's records, shared from the entity page.
        assert _share(people["cn_supervisor"][0], "entity", f"{rid}/0", "agency:VN-HQ-QN").status_code == 302
        inbox = people["vn_supervisor"][0].get("/console/shares").text
        assert "Joint case: pangolin scales" in inbox and f'href="/console/records/{rid}"' in inbox
        [message] = handler.messages
        assert message["To"] == "vn@example.org" and "/console/shares" in message.get_content()
        assert rid not in message.get_content()  # the mail names no record
    finally:
        controller.stop()
