"""The directory's agencies and counterparts (issue 16): the reference data covers every
crossing and function, maintainers change agencies and links with commands, every change is
audited, and phones receive links and their removal."""
import json

import pytest
from sqlalchemy import select

from server.access.models import Agency
from server.directory import counterparts
from server.directory.models import Counterpart, Crossing
from server.extensions import db
from server.reference import agencies, catalog
from server.store.models import Record
from tests.conftest import enroll_device
from tests.helpers import SEIZURE


def _flask(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _agency(app, code):
    with app.app_context():
        return db.session.scalar(select(Agency).filter_by(code=code))


# -- the reference data --------------------------------------------------------------------

def test_every_crossing_and_function_has_a_counterpart_or_says_none_is_known(app):
    with app.app_context():
        assert counterparts.gaps() == []
        links = counterparts.current_links()
        crossings = db.session.scalars(select(Crossing)).all()
    assert len(crossings) == 35
    functions = catalog.code_keys("agency_function")
    for crossing in crossings:
        here = [link for link in links if crossing.key in link.crossings]
        assert {f for link in here for f in link.functions} >= functions, crossing.key
        assert any(link.agencies for link in here), f"{crossing.key}: not one counterpart known"
    assert all(link.note for link in links if not link.agencies)


def test_every_agency_says_its_level_provinces_and_crossings(app):
    rows = json.loads(agencies.AGENCIES_FILE.read_text(encoding="utf-8"))
    provinces = {"VN": 8, "LA": 7, "CN": 2}  # at least the border provinces the issue names
    covered = {country: {p for row in rows if row["country"] == country for p in row["provinces"]}
               for country in provinces}
    for country, least in provinces.items():
        assert len(covered[country]) >= least, (country, sorted(covered[country]))
    assert {"VN-13", "VN-09", "VN-04", "VN-02", "VN-71", "VN-23", "VN-22", "VN-25"} <= covered["VN"]
    assert {"LA-LM", "LA-PH", "LA-OU", "LA-BL", "LA-KH", "LA-SV", "LA-HO"} <= covered["LA"]
    assert {"CN-GX", "CN-YN"} <= covered["CN"]
    assert all(row["source"] and all(row["names"].values()) for row in rows)


@pytest.mark.parametrize("officer, crossing, expected", [
    # A Chinese forest-police officer at Boten – Mohan: the Lao provincial and national
    # forest inspection.
    ("CN-FP-YN", "LA-CN:boten--mohan", {"LA-DOFI-LNT", "LA-DOFI"}),
    # Vietnamese customs at Móng Cái: Dongxing customs and its anti-smuggling branch.
    ("VN-HQ-MONGCAI", "VN-CN:mong-cai--dongxing", {"CN-HG-DX", "CN-HG-DX-ASB"}),
])
def test_my_counterpart_finds_the_agency_doing_the_same_job_across_the_crossing(app, officer, crossing, expected):
    with app.app_context():
        found, _unknown = counterparts.for_officer(db.session.scalar(select(Agency).filter_by(code=officer)), crossing)
        assert expected <= {code for code, _link in found}
        assert all(link.basis for _code, link in found)
    result = _flask(app, "directory", "counterparts", officer, crossing)
    assert result.exit_code == 0 and all(code in result.output for code in expected)


def test_a_bad_counterparts_file_changes_nothing(app, tmp_path):
    body = json.loads(counterparts.COUNTERPARTS_FILE.read_text(encoding="utf-8"))
    body["links"][0] = {**body["links"][0], "agencies": ["VN-HQ", "VN-KL"], "note": "both Vietnamese"}
    body["links"][1] = {**body["links"][1], "note": "changed"}
    path = tmp_path / "counterparts.json"
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    with app.app_context():
        before = {link.key: link.item() for link in counterparts.current_links()}
        with pytest.raises(counterparts.InvalidLink, match="not of the two countries"):
            counterparts.load(path)
        db.session.rollback()
        assert {link.key: link.item() for link in counterparts.current_links()} == before


# -- maintained by command -------------------------------------------------------------------

NEW_AGENCY = ["directory", "agency", "add", "VN-KL-TEST", "--country", "VN", "--kind", "forest_protection",
              "--level", "provincial", "--function", "forest_law_enforcement", "--parent", "VN-KL",
              "--province", "VN-13", "--crossing", "VN-CN:mong-cai--dongxing",
              "--name", "en=Test Forest Protection Unit", "--name", "vi=Đơn vị Kiểm lâm thử nghiệm",
              "--name", "lo=ໜ່ວຍປ້ອງກັນປ່າໄມ້ທົດລອງ", "--name", "zh_Hans=测试森林保护单位",
              "--source", "made up by a test"]


def test_an_agency_is_added_changed_and_retired_by_command_and_every_change_is_audited(app, device):
    assert _flask(app, *NEW_AGENCY).exit_code == 0
    again = _flask(app, *NEW_AGENCY)
    assert again.exit_code != 0 and "never reused" in again.output
    changed = _flask(app, "directory", "agency", "set", "VN-KL-TEST", "--name", "en=Test Forest Unit")
    assert changed.exit_code == 0 and "names" in changed.output
    retired = _flask(app, "directory", "agency", "retire", "VN-KL-TEST", "--on", "2026-11-01", "--successor", "VN-KL")
    assert retired.exit_code == 0, retired.output
    shown = _flask(app, "directory", "agency", "show", "VN-KL-TEST")
    assert '"en": "Test Forest Unit"' in shown.output
    assert [line.split()[3] for line in shown.output.splitlines() if "directory.agency." in line] == [
        "directory.agency.created", "directory.agency.updated", "directory.agency.updated"]

    # The reference file no longer speaks for an agency a maintainer changed.
    _flask(app, "directory", "agency", "set", "VN-HQ-MONGCAI", "--name", "en=Mong Cai Customs (edited)")
    with app.app_context():
        agencies.load()
    assert _agency(app, "VN-HQ-MONGCAI").name_en == "Mong Cai Customs (edited)"

    # A record sealed under the retired code is still accepted, and filed under its successor.
    rid = device.seal({**SEIZURE, "agency": "VN-KL-TEST"})
    assert [receipt["status"] for receipt in device.sync()] == ["accepted"]
    with app.app_context():
        record = db.session.scalar(select(Record).filter_by(rid=rid))
        assert record.seizure.seizing_agency == "VN-KL" and record.flags == ["retired_code"]


@pytest.mark.parametrize("args, says", [
    (["--country", "VN", "--kind", "customs", "--level", "nowhere", "--function", "customs"], "level"),
    (["--country", "VN", "--kind", "customs", "--level", "provincial", "--function", "customs",
      "--name", "en=X", "--source", "s"], "name vi"),
    (["--country", "VN", "--kind", "customs", "--level", "provincial", "--function", "fishing"], "functions"),
    (["--country", "VN", "--kind", "customs", "--level", "provincial", "--function", "customs",
      "--crossing", "VN-CN:nowhere"], "crossings"),
])
def test_an_agency_command_with_a_bad_value_says_so_and_changes_nothing(app, args, says):
    names = ["--name", "en=X", "--name", "vi=X", "--name", "lo=X", "--name", "zh_Hans=X", "--source", "s"]
    result = _flask(app, "directory", "agency", "add", "VN-BAD", *args, *([] if says == "name vi" else names))
    assert result.exit_code != 0 and says in result.output
    assert _agency(app, "VN-BAD") is None


def test_a_link_is_set_and_removed_by_command_and_phones_follow(app):
    phone = enroll_device(app, "LA-CUSTOMS-NAMPHAO")
    phone.pull("counterparts")
    assert "VN-LA:test-link" not in phone.collections["counterparts"]["items"]
    wrong = _flask(app, "directory", "link", "set", "VN-LA:test-link", "--agency", "VN-HQ-CAUTREO",
                   "--agency", "CN-GACC", "--function", "customs", "--basis", "facing_posts",
                   "--crossing", "VN-LA:cau-treo--nam-phao")
    assert wrong.exit_code != 0 and "not of the two countries" in wrong.output
    good = _flask(app, "directory", "link", "set", "VN-LA:test-link", "--agency", "VN-HQ-CAUTREO",
                  "--agency", "LA-CUSTOMS-NAMPHAO", "--function", "customs", "--basis", "facing_posts",
                  "--crossing", "VN-LA:cau-treo--nam-phao", "--note", "a test")
    assert good.exit_code == 0, good.output
    phone.pull("counterparts")
    link = phone.collections["counterparts"]["items"]["VN-LA:test-link"]
    assert link == {"key": "VN-LA:test-link", "agencies": ["VN-HQ-CAUTREO", "LA-CUSTOMS-NAMPHAO"],
                    "functions": ["customs"], "basis": "facing_posts", "crossings": ["VN-LA:cau-treo--nam-phao"],
                    "note": "a test"}
    assert _flask(app, "directory", "link", "remove", "VN-LA:test-link").exit_code == 0
    phone.pull("counterparts")
    assert "VN-LA:test-link" not in phone.collections["counterparts"]["items"]
    with app.app_context():
        assert db.session.scalar(select(Counterpart).filter_by(key="VN-LA:test-link")).removed_at is not None
        # and `agencies load` does not bring back what a maintainer removed
        agencies.load()
        assert db.session.scalar(select(Counterpart).filter_by(key="VN-LA:test-link")).removed_at is not None
        from server.directory.service import history
        assert [e.action for e in history("counterpart:VN-LA:test-link")] == [
            "directory.counterpart.created", "directory.counterpart.removed"]


def test_removing_the_last_link_of_a_crossing_and_function_names_the_gap(app):
    gap = ("VN-LA:cau-treo--nam-phao", "customs")
    with app.app_context():
        keys = [link.key for link in counterparts.current_links() if gap[0] in link.crossings and gap[1] in link.functions]
    assert keys
    outputs = [_flask(app, "directory", "link", "remove", key).output for key in keys]
    assert " ".join(gap) not in "".join(outputs[:-1]) and " ".join(gap) in outputs[-1]
    with app.app_context():
        assert gap in counterparts.gaps()


def test_the_directory_says_after_how_many_days_a_contact_may_be_out_of_date(app):
    from server.reference.publish import publish

    app.config["DIRECTORY_STALE_AFTER_DAYS"] = 90
    with app.app_context():
        publish(["directory"])
    phone = enroll_device(app, "VN-HQ-QN")
    phone.pull("directory")
    assert phone.collections["directory"]["items"]["_about"] == {"stale_after_days": 90}


# -- as sheets a ministry clerk edits ----------------------------------------------------------

@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_agencies_go_out_as_a_sheet_and_come_back_with_the_clerks_edits(app, tmp_path, suffix):
    from server.directory import agencies as maintained, sheets

    path = tmp_path / f"agencies.{suffix}"
    exported = _flask(app, "directory", "agency", "export", str(path))
    assert exported.exit_code == 0 and "82 agencies" in exported.output
    again = _flask(app, "directory", "agency", "import", str(path))
    assert again.exit_code == 0 and "Created 0, updated 0, removed 0, unchanged 82." in again.output

    rows = [row for _line, row in sheets.read(path, maintained.COLUMNS, key="code", sheet_name=maintained.SHEET)]
    edited = next(row for row in rows if row["code"] == "LA-DOFI-LNT")
    edited["name_en"] = "Luang Namtha Forest Inspection (edited)"
    new = {**edited, "code": "LA-DOFI-TEST", "parent": "LA-DOFI", "crossings": "LA-CN:boten--mohan",
           "name_en": "Test forest inspection unit"}
    retired = {**next(row for row in rows if row["code"] == "LA-DOFI-PSL"), "retired_on": "2026-11-01",
               "successor": "LA-DOFI-TEST"}  # in favour of an agency the same file adds
    sheets.write(path, [row for row in rows if row["code"] not in ("LA-DOFI-LNT", "LA-DOFI-PSL")]
                 + [edited, new, retired], maintained.COLUMNS, maintained.SHEET)
    dry = _flask(app, "directory", "agency", "import", "--dry-run", str(path))
    assert dry.exit_code == 0 and "Would change: created 1, updated 2" in dry.output
    assert _agency(app, "LA-DOFI-TEST") is None
    done = _flask(app, "directory", "agency", "import", str(path))
    assert done.exit_code == 0 and "Created 1, updated 2" in done.output
    assert _agency(app, "LA-DOFI-LNT").name_en == "Luang Namtha Forest Inspection (edited)"
    with app.app_context():
        psl = db.session.scalar(select(Agency).filter_by(code="LA-DOFI-PSL"))
        test = db.session.scalar(select(Agency).filter_by(code="LA-DOFI-TEST"))
        assert psl.successor_id == test.id and str(psl.retired_on) == "2026-11-01"
        from server.directory.service import history
        assert [e.action for e in history("agency:LA-DOFI-TEST")] == ["directory.agency.created"]


def test_an_agency_sheet_with_any_problem_writes_nothing(app, tmp_path):
    from server.directory import agencies as maintained, sheets

    path = tmp_path / "agencies.csv"
    _flask(app, "directory", "agency", "export", str(path))
    rows = [row for _line, row in sheets.read(path, maintained.COLUMNS, key="code", sheet_name=maintained.SHEET)]
    rows[0] = {**rows[0], "name_en": "changed"}
    rows[1] = {**rows[1], "level": "nowhere"}
    rows[2] = {**rows[2], "name_lo": ""}
    rows.append(rows[3])
    sheets.write(path, rows, maintained.COLUMNS, maintained.SHEET)
    result = _flask(app, "directory", "agency", "import", str(path))
    assert result.exit_code != 0 and "3 problems: nothing was written." in result.output
    assert "3:: bad_value" in result.output and "4:: bad_value: " in result.output and "duplicate_key" in result.output
    assert _agency(app, rows[0]["code"]).name_en != "changed"


def test_links_go_out_as_a_sheet_and_come_back_with_the_clerks_edits(app, tmp_path):
    from server.directory import sheets

    path = tmp_path / "links.xlsx"
    assert _flask(app, "directory", "link", "export", str(path)).exit_code == 0
    again = _flask(app, "directory", "link", "import", str(path))
    assert again.exit_code == 0 and "Created 0, updated 0, removed 0, unchanged" in again.output

    rows = [row for _line, row in sheets.read(path, counterparts.COLUMNS, sheet_name=counterparts.SHEET)]
    first, second = rows[0], rows[1]
    rows[0] = {**first, "note": "checked by the clerk"}
    rows[1] = {**second, "remove": "yes"}
    rows.append({"key": "VN-LA:test-none", "agencies": "", "functions": "prosecution",
                 "crossings": "VN-LA:cau-treo--nam-phao", "note": "ask the provincial procuracy", "remove": "no"})
    bad = {"key": "VN-LA:test-bad", "agencies": "VN-HQ; CN-GACC", "functions": "customs", "basis": "cites",
           "crossings": "VN-LA:cau-treo--nam-phao", "remove": "no"}
    sheets.write(path, [*rows, bad], counterparts.COLUMNS, counterparts.SHEET)
    refused = _flask(app, "directory", "link", "import", str(path))
    assert refused.exit_code != 0 and "not of the two countries" in refused.output
    sheets.write(path, rows, counterparts.COLUMNS, counterparts.SHEET)
    done = _flask(app, "directory", "link", "import", str(path))
    assert done.exit_code == 0 and "Created 1, updated 1, removed 1" in done.output, done.output
    with app.app_context():
        links = {link.key: link for link in counterparts.current_links()}
        assert links[first["key"]].note == "checked by the clerk" and second["key"] not in links
        assert links["VN-LA:test-none"].agencies == [] and links["VN-LA:test-none"].basis is None


def test_crossings_go_out_as_a_sheet_and_come_back_with_the_clerks_edits(app, tmp_path, device):
    from server.directory import crossings, sheets
    from server.directory.service import history

    path = tmp_path / "crossings.xlsx"
    assert "35 crossings" in _flask(app, "directory", "crossing", "export", str(path)).output
    again = _flask(app, "directory", "crossing", "import", str(path))
    assert again.exit_code == 0 and "Created 0, updated 0, removed 0, unchanged 35." in again.output

    rows = [row for _line, row in sheets.read(path, crossings.SHEET_COLUMNS, sheet_name=crossings.SHEET)]
    mong_cai = next(row for row in rows if row["key"] == "VN-CN:mong-cai--dongxing")
    edited = {**mong_cai, "note": "Edited by the clerk", "b_timezone": "Asia/Shanghai"}
    new = {**mong_cai, "key": "VN-CN:test-new--crossing", "name_en": "Test – Crossing"}
    bad = {**mong_cai, "key": "VN-CN:test-bad--crossing", "a_timezone": "Asia/Hanoi", "border": "LA-VN", "a_name_lo": ""}
    others = [row for row in rows if row is not mong_cai]
    sheets.write(path, [*others, edited, new, bad], crossings.SHEET_COLUMNS, crossings.SHEET)
    refused = _flask(app, "directory", "crossing", "import", str(path))
    assert refused.exit_code != 0 and "3 problems: nothing was written." in refused.output
    assert all(code in refused.output for code in ("bad_time_zone", "missing_translation", "bad_value"))
    sheets.write(path, [*others, edited, new], crossings.SHEET_COLUMNS, crossings.SHEET)
    done = _flask(app, "directory", "crossing", "import", str(path))
    assert done.exit_code == 0 and "Created 1, updated 1," in done.output
    with app.app_context():
        agencies.load()  # the reference file does not undo the clerk's edit
        kept = db.session.scalar(select(Crossing).filter_by(key="VN-CN:mong-cai--dongxing"))
        assert kept.note == "Edited by the clerk"
        assert [e.action for e in history("crossing:VN-CN:test-new--crossing")] == ["directory.crossing.created"]
    listed = _flask(app, "directory", "history", "crossing:VN-CN:mong-cai--dongxing")
    assert "directory.crossing.updated note" in listed.output
    # A crossing added by the clerk is one intake accepts at once.
    device.seal({**SEIZURE, "place": {**SEIZURE["place"], "crossing": "VN-CN:test-new--crossing"}})
    assert [receipt["status"] for receipt in device.sync()] == ["accepted"]
