"""The network behind the records (issue 18) on a known graph: neighbourhoods, the shortest
path, centrality and hotspots, over what the reader may see only.

    R1 (VN): A, B        R2 (VN): B, C        R3 (VN): D, with A's phone
    R4 (CN): C, E        R5 (VN): E, F
A Vietnamese analyst sees R1, R2, R3, R5; only R4 joins C to E."""
import pytest
from sqlalchemy import select

from server.access import grants
from server.access import service as access
from server.extensions import db
from server.intel import network
from server.store.models import Mention, Record
from tests.test_console import Person
from tests.test_intel_resolution import _file

PEOPLE = {"A": ("Lê Văn An", "+84699000101"), "B": ("Phạm Thị Bình", None), "C": ("Đỗ Văn Cường", None),
          "D": ("Hoàng Văn Dũng", "+84699000101"), "E": ("Vũ Thị Én", None), "F": ("Bùi Văn Phúc", None)}
# B, C and E are in two records each, known by their identity card, so each is one entity.
CARDS = {"B": "DEMO-B-001", "C": "DEMO-C-002", "E": "DEMO-E-003"}


def _person(letter):
    name, phone = PEOPLE[letter]
    card = {"id_type": "national_id", "id_number": CARDS[letter]} if letter in CARDS else {}
    return {"name": name, **({"phone": phone} if phone else {}), **card}


@pytest.fixture
def known(app):
    for agency, letters in (("VN-HQ-QN", "AB"), ("VN-HQ-QN", "BC"), ("VN-HQ-QN", "D"), ("CN-HG-DX", "CE"),
                            ("VN-HQ-QN", "EF")):
        _file(app, agency, *(_person(letter) for letter in letters))
    Person(app, "anh", role="analyst", agency="VN-C05")
    Person(app, "root", role="admin", agency="VN-HQ-QN")
    with app.app_context():
        keys = {}
        for mention in db.session.scalars(select(Mention).order_by(Mention.id)):
            letter = next(k for k, (name, _) in PEOPLE.items() if name == mention.caption)
            keys.setdefault(letter, mention.key)
        yield keys


def _captions(found):
    return sorted(node["caption"] for node in found["nodes"] if node["kind"] == "entity")


def test_neighbourhoods_follow_shared_records_and_phones(app, known):
    user = access.user_by_name("anh")
    one = network.neighbourhood(user, known["A"], hops=1)
    assert _captions(one) == sorted(PEOPLE[x][0] for x in "ABD")  # B by R1, D by the phone
    roles = {(link["role"], bool(link["records"])) for link in one["links"]}
    assert ("suspect", True) in roles and ("phone", False) in roles
    two = network.neighbourhood(user, known["A"], hops=2)
    assert _captions(two) == sorted(PEOPLE[x][0] for x in "ABCD")  # C through B; E only through hidden R4


def test_the_shortest_path_and_what_a_hidden_record_hides(app, known):
    analyst, admin = access.user_by_name("anh"), access.user_by_name("root")
    path = network.shortest_path(analyst, known["A"], known["C"])
    assert len(path) == 5 and path[1].startswith("r:") and path[3].startswith("r:")  # A, R1, B, R2, C
    assert network.shortest_path(analyst, known["A"], known["D"])[1] == "phone:+84699000101"
    assert network.shortest_path(analyst, known["C"], known["F"]) is None  # only R4 joins them
    assert len(network.shortest_path(admin, known["C"], known["F"])) == 5
    assert network.neighbourhood(analyst, known["E"], hops=1) is None  # E first named in R4: not hers
    hidden_e = network.neighbourhood(admin, known["C"], hops=1)
    assert PEOPLE["E"][0] in _captions(hidden_e)
    assert PEOPLE["E"][0] not in _captions(network.neighbourhood(analyst, known["C"], hops=1))


def test_centrality_ranks_the_go_between_first(app, known):
    ranked = network.centrality(access.user_by_name("anh"), known["B"], hops=2)
    assert ranked[0]["caption"] == PEOPLE["B"][0] or ranked[0]["caption"] == PEOPLE["A"][0]
    by_caption = {row["caption"]: row for row in ranked}
    assert by_caption[PEOPLE["B"][0]]["betweenness"] > by_caption[PEOPLE["C"][0]]["betweenness"]
    assert by_caption[PEOPLE["A"][0]]["betweenness"] > by_caption[PEOPLE["D"][0]]["betweenness"]


def test_hotspots_count_only_what_the_reader_may_see(app, known):
    analyst, admin = access.user_by_name("anh"), access.user_by_name("root")
    assert sum(spot["seizures"] for spot in network.hotspots(analyst)) == 4
    assert sum(spot["seizures"] for spot in network.hotspots(admin)) == 5
    top = network.hotspots(analyst)[0]
    assert top["species"] == ["Elephas maximus", "Manis javanica"] and top["kg"] > 0


def test_the_read_api_answers_the_same_queries_and_audits_them(app, known):
    analyst_token = access.issue_token(access.user_by_name("anh"))[0]
    admin_token = access.issue_token(access.user_by_name("root"))[0]
    db.session.commit()
    client = app.test_client()

    def get(path, token):
        return client.get(path, headers={"Authorization": f"Bearer {token}"})

    found = get(f"/api/v1/intel/network?mention={known['A']}&hops=1", analyst_token)
    assert found.status_code == 200 and len([n for n in found.json["nodes"] if n["kind"] == "entity"]) == 3
    assert get(f"/api/v1/intel/path?from={known['C']}&to={known['F']}", analyst_token).json == {"path": None}
    assert len(get(f"/api/v1/intel/path?from={known['C']}&to={known['F']}", admin_token).json["path"]) == 5
    assert get(f"/api/v1/intel/entity?mention={known['E']}", analyst_token).status_code == 404
    # The reader's view of an entity as one FollowTheMoney entity: B, named in R1 and R2.
    from followthemoney import model

    b = get(f"/api/v1/intel/entity?mention={known['B']}", analyst_token).json
    proxy = model.get_proxy(b["ftm"], cleaned=False)
    assert proxy.schema.name == "Person" and proxy.get("name") == [PEOPLE["B"][0]] and len(b["mentions"]) == 2
    assert proxy.get("idNumber") == [CARDS["B"]]
    assert get("/api/v1/intel/network?mention=not-a-key", analyst_token).status_code == 422
    assert get("/api/v1/intel/hotspots", analyst_token).json["hotspots"][0]["seizures"] == 4
    from server.audit.models import AuditEntry

    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("intel.%"))))
    assert {"intel.network", "intel.path", "intel.entity", "intel.hotspots"} <= actions


def _file_hung(app):
    """Two Vietnamese records name Hùng, one with a phone, one with a passport; only a Chinese
    record, hidden from a Vietnamese analyst (anh), holds both and joins them into one entity."""
    _file(app, "VN-HQ-QN", {"name": "Nguyễn Văn Hùng", "phone": "+84699000123"}, {"name": "Trần Thị Mai"})
    _file(app, "VN-HQ-QN", {"name": "Nguyễn Văn Hùng", "id_type": "passport", "id_number": "DEMO-P-778"},
          {"name": "Lý Văn Sơn"})
    _file(app, "CN-HG-DX", {"name": "Nguyễn Văn Hùng", "phone": "+84699000123", "id_type": "passport",
                            "id_number": "DEMO-P-778"})
    Person(app, "anh", role="analyst", agency="VN-C05")


def test_an_entity_joined_only_through_a_hidden_record_is_two_nodes_for_the_reader(app):
    _file_hung(app)
    Person(app, "root", role="admin", agency="VN-HQ-QN")
    with app.app_context():
        first = db.session.scalar(select(Mention.key).order_by(Mention.id))
        hung = [m for m in db.session.scalars(select(Mention)) if m.caption == "Nguyễn Văn Hùng"]
        assert len({m.entity_id for m in hung}) == 1
        _views_of_hung(first, hung[1].key)


def _views_of_hung(first, other):
    analyst, admin = access.user_by_name("anh"), access.user_by_name("root")
    seen = network.neighbourhood(analyst, first, hops=2)
    assert _captions(seen) == ["Nguyễn Văn Hùng", "Trần Thị Mai"]  # not Sơn: only the hidden record joins them
    assert [n["mentions"] for n in seen["nodes"] if n.get("caption") == "Nguyễn Văn Hùng"] == [1]
    assert all(node["rid"] for node in seen["nodes"] if node["kind"] == "record") and len(
        [n for n in seen["nodes"] if n["kind"] == "record"]) == 1
    whole = network.neighbourhood(admin, first, hops=2)
    assert _captions(whole) == ["Lý Văn Sơn", "Nguyễn Văn Hùng", "Trần Thị Mai"]
    assert [n["mentions"] for n in whole["nodes"] if n.get("caption") == "Nguyễn Văn Hùng"] == [3]
    assert network.shortest_path(analyst, first, other) is None
    assert len(network.shortest_path(admin, first, other)) == 1  # one entity: the path is itself


def test_a_record_shared_with_the_reader_makes_the_entity_whole_again(app):
    # The Chinese record that joins Hùng's two Vietnamese mentions is shared with Viet Nam's
    # analysts: the analyst now sees one Hùng of three mentions, and Sơn.
    _file_hung(app)
    Person(app, "chen", role="supervisor", agency="CN-HG-DX")
    with app.app_context():
        first = db.session.scalar(select(Mention.key).order_by(Mention.id))
        analyst = access.user_by_name("anh")
        assert [n["mentions"] for n in network.neighbourhood(analyst, first)["nodes"]
                if n.get("caption") == "Nguyễn Văn Hùng"] == [1]
        chinese = db.session.scalar(select(Record).where(Record.country == "CN"))
        grants.grant(access.user_by_name("chen"), [chinese], what="record", about=chinese.rid,
                     purpose="Joint case (demo)", handling="cross_border", days=7, to_country="VN")
        seen = network.neighbourhood(access.user_by_name("anh"), first, hops=2)
        assert _captions(seen) == ["Lý Văn Sơn", "Nguyễn Văn Hùng", "Trần Thị Mai"]
        assert [n["mentions"] for n in seen["nodes"] if n.get("caption") == "Nguyễn Văn Hùng"] == [3]


@pytest.fixture
def fan(app):
    """A names B and C (R1); B names D and E (R2); C names F and G (R3): six entities within
    two hops of A, two at one."""
    for names in (("An", "Bảo", "Cúc"), ("Bảo", "Dương", "Đào"), ("Cúc", "Giang", "Hà")):
        _file(app, "VN-HQ-QN", *({"name": f"Demo {name}", "id_type": "national_id",
                                  "id_number": f"DEMO-FAN-{name}"} for name in names))
    Person(app, "anh", role="analyst", agency="VN-C05")
    with app.app_context():
        yield db.session.scalar(select(Mention.key).order_by(Mention.id))


@pytest.mark.parametrize("limit, entities, truncated", [(3, 3, True), (5, 5, True), (7, 7, False), (500, 7, False)])
def test_an_answer_is_cut_at_its_limit_and_says_so(app, fan, limit, entities, truncated):
    found = network.neighbourhood(access.user_by_name("anh"), fan, hops=2, limit=limit)
    nodes = [node for node in found["nodes"] if node["kind"] == "entity"]
    assert (len(nodes), found["truncated"]) == (entities, truncated)
    hops = sorted(node["hops"] for node in nodes)
    assert hops == [0, 1, 1, 2, 2, 2, 2][:entities]  # nearer ones first, whatever the cut
    kept = {node["id"] for node in found["nodes"]}
    assert all(link["source"] in kept and link["target"] in kept for link in found["links"])


def test_a_mention_carries_its_records_handling_and_the_rule_reads_the_same_off_either(app):
    from tests.test_information_reports import _report

    for handling in ("agency", "originator", "national", "cross_border"):
        _report(app, handling)
    _report(app, "agency", agency="VN-C05")
    _file(app, "CN-HG-DX", {"name": "王伟"})
    readers = {"anh": ("analyst", "VN-C05"), "binh": ("analyst", "VN-HQ-QN"), "sup": ("supervisor", "VN-HQ-QN"),
               "chen": ("supervisor", "CN-HG-DX"), "root": ("admin", "LA-DOFI")}
    for name, (role, agency) in readers.items():
        Person(app, name, role=role, agency=agency)
    with app.app_context():
        pairs = db.session.execute(select(Mention.handling, Record.handling).join(Record)).all()
        assert len(pairs) > 6 and all(mine == theirs for mine, theirs in pairs)
        for name in readers:
            user = access.user_by_name(name)
            by_mention = set(db.session.scalars(select(Mention.id).where(access.readable_unshared(user, Mention))))
            by_record = set(db.session.scalars(select(Mention.id).join(Record).where(access.readable_unshared(user))))
            assert by_mention == by_record, name
            assert by_record <= set(db.session.scalars(select(Mention.id).join(Record).where(access.readable(user))))
