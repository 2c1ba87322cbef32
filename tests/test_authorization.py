"""Who may reach what (issue 17): every route of the server is classified here, and a test
fails on any route that is not; then every role × own agency / another agency of the same
country / another country × every console page and read-API route, with the answer each
must get. A page or record one may not see answers 404, as if it did not exist."""
import pytest
from sqlalchemy import select

from server.access import service as access
from server.devices.models import EnrollmentToken
from server.extensions import db
from tests.conftest import enroll_device
from tests.helpers import SEIZURE
from tests.test_console import TOKEN, Person

# How each endpoint is guarded. Anything added to the server must be classified here.
PUBLIC = "public"  # no credential: the app shell, static files, health, the OpenAPI document
GUARDS = {
    "web.shell": PUBLIC, "static": PUBLIC, "api-docs.openapi_json": PUBLIC, "health.health": PUBLIC,
    "console.static": PUBLIC, "console.login": PUBLIC, "console.language": PUBLIC,
    "console.second_factor": "the password step of a session",
    "console.setup": "a one-time set-up token",
    "sync.enroll": "a one-time enrollment token",
    "sync.push": "a device signature", "sync.pull": "a device signature", "sync.log_head": "a device signature",
    "records.list_records": "a read-API token", "records.get_record": "a read-API token",
    "directory.list_reports": "a read-API token of a directory maintainer",
    "intel.entity": "a read-API token", "intel.neighbourhood": "a read-API token", "intel.path": "a read-API token",
    "intel.centrality": "a read-API token", "intel.hotspots": "a read-API token", "intel.candidates": "a read-API token",
    "console.index": "console", "console.fleet": "console", "console.enroll": "console",
    "console.withdraw": "console", "console.revoke": "console", "console.confirm_pin_reset": "console",
    "console.records": "console", "console.record": "console", "console.logout": "console",
    "console.quarantine": "console", "console.release": "console",
    "console.audit_log": "console", "console.audit_verify": "console", "console.audit_csv": "console",
    "console.people": "console", "console.new_person": "console", "console.person": "console",
    "console.alerts": "console", "console.evidence_sheet": "console", "console.review": "console",
    "console.keep": "console", "console.carried_uploads": "console", "console.carried_upload": "console",
    "console.intel_candidates": "console", "console.intel_judge": "console", "console.intel_entity": "console",
    "console.intel_undo": "console", "console.share_new": "console", "console.shares": "console",
    "console.share_revoke": "console", "console.intel_report_new": "console",
    "console.exports": "console", "console.export": "console", "console.export_download": "console",
    "console.set_save": "console", "console.record_sets": "console", "console.record_set": "console",
    "console.set_add": "console", "console.set_remove": "console", "console.set_delete": "console",
    "console.directory": "console", "console.directory_contact": "console", "console.directory_contact_new": "console",
    "console.directory_agencies": "console", "console.directory_agency": "console",
    "console.directory_agency_new": "console", "console.directory_links": "console", "console.directory_link": "console",
    "console.directory_link_new": "console", "console.directory_import": "console",
    "console.directory_reports": "console", "console.directory_report_handle": "console",
}

SCOPES = {"own": "VN-HQ-QN", "same_country": "VN-KL", "other_country": "CN-HG-DX"}
ROLES = ("supervisor", "analyst", "admin")


def test_every_route_is_classified(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - GUARDS.keys() == set(), "classify these routes in GUARDS"
    assert GUARDS.keys() - endpoints == set(), "these routes are gone: remove them from GUARDS"


@pytest.fixture
def world(app):
    """A phone, a record and an unused enrollment code in each scope; a signed-in console
    client and a read-API token for each role, all of agency VN-HQ-QN."""
    phones, records = {}, {}
    for scope, agency in SCOPES.items():
        phones[scope] = enroll_device(app, agency)
        records[scope] = phones[scope].seal({**SEIZURE, "agency": agency})
        phones[scope].sync()
    with app.app_context():
        for agency in SCOPES.values():
            from server.devices import service as devices

            devices.create_enrollment(access.agency_by_code(agency), officer_name="x")
        db.session.commit()
        codes = {scope: db.session.scalar(select(EnrollmentToken.id).join(EnrollmentToken.agency)
                                          .where(EnrollmentToken.used_at.is_(None))
                                          .filter_by(code=agency)) for scope, agency in SCOPES.items()}
    clients, tokens = {}, {}
    for role in ROLES:
        person = Person(app, f"{role}1", role=role, agency="VN-HQ-QN")
        clients[role] = app.test_client()
        person.sign_in(clients[role])
        with app.app_context():
            tokens[role] = access.issue_token(access.user_by_name(f"{role}1"))[0]
    return {"phones": {s: p.device_id for s, p in phones.items()}, "records": records, "codes": codes,
            "clients": clients, "tokens": tokens}


# role → scopes it reaches, for objects of one agency (phones, codes) and for records.
AGENCY_OBJECTS = {"supervisor": {"own"}, "analyst": set(), "admin": {"own", "same_country", "other_country"}}
RECORDS = {"supervisor": {"own"}, "analyst": {"own", "same_country"}, "admin": {"own", "same_country", "other_country"}}
REVIEWS = {"supervisor": {"own"}, "analyst": set(), "admin": {"own", "same_country", "other_country"}}
PAGES = {"supervisor": {"fleet", "enroll", "records", "quarantine", "alerts", "carried", "intel/candidates",
                        "intel/reports/new", "sets", "exports"},
         "analyst": {"records", "intel/candidates", "intel/reports/new", "sets", "exports"},
         "admin": {"fleet", "enroll", "records", "quarantine", "alerts", "carried", "intel/candidates",
                   "intel/reports/new", "sets", "exports", "audit", "audit.csv", "people", "people/new", "people/supervisor1"}}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_pages_and_its_scope(app, world, role):
    client, token = world["clients"][role], world["tokens"][role]
    for page in ("fleet", "enroll", "records", "quarantine", "alerts", "carried", "intel/candidates",
                 "intel/reports/new", "sets", "exports", "audit", "audit.csv", "people", "people/new",
                 "people/supervisor1"):
        assert client.get(f"/console/{page}").status_code == (200 if page in PAGES[role] else 404), page
    for scope in SCOPES:
        device, rid, code = world["phones"][scope], world["records"][scope], world["codes"][scope]
        reach = scope in AGENCY_OBJECTS[role]
        assert client.get(f"/console/devices/{device}/revoke").status_code == (200 if reach else 404), scope
        form = {"csrf_token": TOKEN.search(client.get("/console/records").text)[1]}
        assert client.post(f"/console/devices/{device}/confirm", data=form).status_code == (302 if reach else 404)
        assert client.post(f"/console/enroll/{code}/withdraw", data=form).status_code == (302 if reach else 404)
        readable = scope in RECORDS[role]
        assert client.get(f"/console/records/{rid}").status_code == (200 if readable else 404), scope
        assert client.get(f"/console/records/{rid}/evidence").status_code == (200 if readable else 404), scope
        reviews = client.post(f"/console/records/{rid}/review", data={**form, "state": "approved"}).status_code
        assert reviews == (302 if scope in REVIEWS[role] else 404), scope
        listed = f'data-rid="{rid}"' in client.get("/console/records").text
        assert listed == readable, scope
        answer = app.test_client().get(f"/api/v1/records/{rid}", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == (200 if readable else 404), scope
        entity = app.test_client().get(f"/api/v1/intel/entity?mention={rid}/0",
                                       headers={"Authorization": f"Bearer {token}"})
        assert entity.status_code == (200 if readable else 404), scope
    reports = app.test_client().get("/api/v1/directory/reports", headers={"Authorization": f"Bearer {token}"})
    assert reports.status_code == (403 if role == "analyst" else 200)


def test_without_a_session_every_console_page_leads_to_sign_in_and_the_api_refuses(app, world):
    anonymous = app.test_client()
    for rule in app.url_map.iter_rules():
        if GUARDS[rule.endpoint] != "console" or "GET" not in rule.methods:
            continue
        path = (rule.rule.replace("<device_id>", world["phones"]["own"]).replace("<rid>", world["records"]["own"])
                .replace("<username>", "supervisor1").replace("<int:set_id>", "1"))
        answer = anonymous.get(path)
        assert answer.status_code == 302 and "/console/login" in answer.location, path
    for path in ("/api/v1/records", f"/api/v1/records/{world['records']['own']}", "/api/v1/directory/reports",
                 "/api/v1/intel/hotspots", "/api/v1/intel/candidates"):
        assert app.test_client().get(path).status_code == 401, path


# Directory maintenance (access.maintains_contacts_of): contacts are kept by country, by the
# supervisors of the contact's agency's country and by admins; agencies and links by admins.
DIRECTORY_PAGES = {
    "supervisor": {"directory", "directory/contacts/new", "directory/import", "directory/reports"},
    "analyst": set(),
    "admin": {"directory", "directory/contacts/new", "directory/import", "directory/reports", "directory/agencies",
              "directory/agencies/new", "directory/agencies/VN-KL", "directory/links", "directory/links/new",
              "directory/links/VN-CN:cites"},
}
CONTACTS = {"supervisor": {"own", "same_country"}, "analyst": set(), "admin": {"own", "same_country", "other_country"}}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_directory_pages_and_contacts(app, tmp_path, role):
    from tests.test_directory import DESK, FOCAL, _csv

    contacts = {"own": {**DESK, "key": "own/desk", "agency": SCOPES["own"]},
                "same_country": {**DESK, "key": "same-country/desk", "agency": SCOPES["same_country"]},
                "other_country": {**FOCAL, "key": "other-country/desk", "agency": SCOPES["other_country"]}}
    seeded = app.test_cli_runner().invoke(args=["directory", "import", str(_csv(tmp_path / "c.csv", *contacts.values()))])
    assert seeded.exit_code == 0, seeded.output
    person = Person(app, f"{role}1", role=role, agency=SCOPES["own"])
    client = app.test_client()
    person.sign_in(client)
    pages = set().union(*DIRECTORY_PAGES.values())
    for page in sorted(pages):
        assert client.get(f"/console/{page}").status_code == (200 if page in DIRECTORY_PAGES[role] else 404), page
    listed = client.get("/console/directory").text
    form = {"csrf_token": TOKEN.search(client.get("/console/records").text)[1]}
    for scope, row in contacts.items():
        reach = scope in CONTACTS[role]
        path = f"/console/directory/contacts/{row['key']}"
        assert client.get(path).status_code == (200 if reach else 404), scope
        assert client.post(path, data={**form, "action": "remove"}).status_code == (302 if reach else 404), scope
        assert (f'data-contact="{row["key"]}"' in listed) == reach, scope
    handle = client.post("/console/directory/reports/00000000-0000-4000-8000-000000000000/handle", data=form)
    assert handle.status_code == 404
