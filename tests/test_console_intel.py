"""The entity layer in the console (issue 18): an analyst judges a candidate, sees the entity
with the judgement that joined it, undoes it; and a record they may not see never joins two
mentions they may, nor hides a question between them."""
import re

from sqlalchemy import select

from server.extensions import db
from server.store.models import Mention
from tests.test_console import TOKEN, Person
from tests.test_intel_resolution import _file


def _analyst(app, agency="VN-C05"):
    client = app.test_client()
    Person(app, "anh", role="analyst", agency=agency).sign_in(client)
    return client


def _post(client, path, **form):
    token = TOKEN.search(client.get("/console/intel/candidates").text)[1]
    return client.post(path, data={"csrf_token": token, **form})


def test_an_analyst_judges_a_candidate_in_the_console_and_undoes_it(app):
    _file(app, "VN-HQ-QN", {"name": "Nguyen Van Hung", "phone": "+84699000123"})
    _file(app, "VN-HQ-QN", {"name": "Nguyen Van Hunq", "phone": "+84699000777"})
    client = _analyst(app)
    page = client.get("/console/intel/candidates").text
    assert "Nguyen Van Hung ~ Nguyen Van Hunq" in page or "Nguyen Van Hunq ~ Nguyen Van Hung" in page
    assert "names 9" in page  # explained: how alike the names are
    left, right = re.findall(r'name="left" value="(\d+)"><input type="hidden" name="right" value="(\d+)"', page)[0]
    assert _post(client, "/console/intel/judge", left=left, right=right, verdict="same", note="typo").status_code == 302
    assert "Nothing to judge now." in client.get("/console/intel/candidates").text
    with app.app_context():
        key = db.session.get(Mention, int(left)).key
    entity = client.get(f"/console/intel/mentions/{key}").text
    assert entity.count("data-mention=") == 2 and "by an analyst" in entity and "typo" in entity
    judgement = re.search(r'data-judgement="(\d+)"', entity)[1]
    assert _post(client, f"/console/intel/judgements/{judgement}/undo").status_code == 302
    assert client.get(f"/console/intel/mentions/{key}").text.count("data-mention=") == 1
    assert _post(client, "/console/intel/judge", left=left, right=right, verdict="maybe").status_code == 409


def test_a_hidden_record_never_bridges_two_mentions_the_reader_may_see(app):
    # Vietnamese records: Hung with a phone; Hung with a passport. A Chinese record (hidden
    # from a Vietnamese analyst) has both: it alone joins the two into one entity.
    _file(app, "VN-HQ-QN", {"name": "Nguyễn Văn Hùng", "phone": "+84699000123"})
    _file(app, "VN-HQ-QN", {"name": "Nguyễn Văn Hùng", "id_type": "passport", "id_number": "DEMO-P-778"})
    _file(app, "CN-HG-DX", {"name": "Nguyễn Văn Hùng", "phone": "+84699000123", "id_type": "passport",
                            "id_number": "DEMO-P-778"})
    with app.app_context():
        mentions = db.session.scalars(select(Mention).order_by(Mention.id)).all()
        persons = [m for m in mentions if m.schema == "Person"]
        assert len({m.entity_id for m in persons}) == 1  # one entity, for whoever sees everything
        first, second = persons[0].key, persons[1].key
    client = _analyst(app)
    seen = client.get(f"/console/intel/mentions/{first}").text
    assert seen.count("data-mention=") == 1 and second not in seen  # not joined for her
    candidates = client.get("/console/intel/candidates").text
    assert candidates.count('class="candidate"') == 1  # the question between her two stands
    assert client.get(f"/console/intel/mentions/{persons[2].key}").status_code == 404
