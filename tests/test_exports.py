"""Exports (issue 19): the CITES annual illegal trade report re-read with openpyxl against
the records it came from; FollowTheMoney lines validated by followthemoney; each export
holds only what its requester may read, runs on the task queue, and is audited."""
import json
from decimal import Decimal

from followthemoney import model
from openpyxl import load_workbook
from sqlalchemy import select, update

from server.access import service as access
from server.audit.models import AuditEntry
from server.exports import itr, service
from server.extensions import db
from server.store.models import Record
from tests.conftest import enroll_device
from tests.helpers import SEIZURE
from tests.test_console import Person


def _report_rows(path, sheet="Illegal trade report"):
    book = load_workbook(path, read_only=True)
    try:
        return [list(cells) for cells in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()


def _exported(username, kind, params=None):
    """(the finished export's counts, its file's path), asked for as `username` (in an app context)."""
    row = service.request_export(access.user_by_name(username), kind, params)
    row = db.session.get(type(row), row.id)
    assert row.status == "done", row.error
    return row.counts, service.path_of(row)


def _seize(app, agency, day, currency, amount, device_agency=None, supersedes=None, phone=None, version=1, **changes):
    phone = phone or enroll_device(app, device_agency or agency)
    rid = phone.seal({**SEIZURE, "agency": agency, "date": day, "estimated_value": {"amount": amount, "currency": currency},
                      **changes}, supersedes=supersedes, version=version)
    phone.sync()
    return rid, phone


def _year_of_seizures(app):
    """2026 in Viet Nam: three currencies, a seizure reported under a retired agency code, a
    seizure later corrected (in seizure v3, saying the scales were stockpiled), and one from 2025
    and one from China that must not count."""
    first, _ = _seize(app, "VN-HQ-QN", "2026-02-03", "VND", "2500000000")
    _seize(app, "VN-BDBP-QN", "2026-05-06", "USD", "120000", device_agency="VN-BCHBP-QN")  # retired since 2025
    wrong, phone = _seize(app, "VN-HQ-QN", "2026-07-08", "CNY", "90000")
    fixed, _ = _seize(app, "VN-HQ-QN", "2026-07-08", "CNY", "95000", phone=phone, supersedes=wrong, version=3,
                      items=[{**SEIZURE["items"][0], "quantity": "13.0", "weight_kg": "13.0", "disposal": "stockpiled"}],
                      vehicles=[{**vehicle, "kind": "truck"} for vehicle in SEIZURE["vehicles"]])
    _seize(app, "VN-HQ-QN", "2025-12-30", "VND", "1")
    _seize(app, "CN-HG-DX", "2026-03-03", "CNY", "1")
    return first, wrong, fixed


def test_the_illegal_trade_report_reads_back_column_by_column(app):
    first, wrong, fixed = _year_of_seizures(app)
    Person(app, "anh", role="analyst", agency="VN-C05")
    with app.app_context():
        # Seizure forms ask no handling code today; a record that carries one marks the report.
        db.session.execute(update(Record).where(Record.rid == first).values(handling="national"))
        db.session.commit()
        path = _exported("anh", "itr", {"year": 2026, "country": "vn"})[1]
        table, about = _report_rows(path), dict(_report_rows(path, "About this report"))
    assert about["Handling code"] == "national" and (about["Year"], about["Party"]) == (2026, "VN")
    assert tuple(table[0]) == itr.HEADER
    body = [dict(zip(itr.HEADER, cells, strict=True)) for cells in table[1:]]
    # Two seizures of two lines each and the corrected one once, as corrected (one line); 2025
    # and China left out.
    assert len(body) == 5
    records = {line["Additional information"].split("Wildledger record ")[1].split(";")[0] for line in body}
    assert wrong not in records and {first, fixed} <= records
    corrected = [line for line in body if fixed in line["Additional information"]]
    assert len(corrected) == 1 and Decimal(str(corrected[0]["Quantity"])) == Decimal("13.0") and corrected[0]["Estimated value"] == 95000
    assert f"corrects record {wrong}" in corrected[0]["Additional information"]
    # What became of the specimens: said by the correction, blank where nobody has said yet.
    assert corrected[0]["Disposal of confiscated specimens"] == "Stored in a government stockpile"
    assert {line["Disposal of confiscated specimens"] for line in body if line is not corrected[0]} == {None}
    assert sorted(line["Currency"] for line in body if line["Currency"]) == ["CNY", "USD", "VND"]
    assert sum(1 for line in body if line["Estimated value"] is not None) == 3  # once per seizure
    retired = [line for line in body if "reported as VN-BDBP-QN" in (line["Additional information"] or "")]
    assert len(retired) == 2 and "(VN-BCHBP-QN)" in retired[0]["Seizing agency"]
    for line in body:
        assert line["Date of seizure"].year == 2026
        assert line["Species (scientific name)"] in ("Manis javanica", "Elephas maximus")
        assert line["CITES Appendix"] == "I"
        assert (line["Description of specimens (CITES term)"], line["Unit (CITES)"]) in (("SCA", "kg"), ("TUS", None))
        assert (line["Country of origin"], line["Countries of transit"], line["Country of destination"]) == ("NG", "LA", "CN")
        assert (line["Mode of transport"], line["Detection method"]) == ("Road", "X-ray or scanner")
        assert line["Nationality of offenders"] == "CN, LA, VN"


def test_an_analyst_exports_nothing_of_another_countrys_records_and_every_export_is_audited(app):
    _year_of_seizures(app)
    Person(app, "li", role="analyst", agency="CN-HG-NN")
    with app.app_context():
        li = access.user_by_name("li")
        none = service.request_export(li, "itr", {"year": 2026, "country": "VN"})
        assert db.session.get(type(none), none.id).counts == {"rows": 0, "seizures": 0}
        own = service.request_export(li, "itr", {"year": 2026, "country": "CN"})
        assert db.session.get(type(own), own.id).counts == {"rows": 2, "seizures": 1}
        assert db.session.get(type(own), own.id).total == 1  # what its progress is shown against
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("export.%"))).all()
        assert actions.count("export.requested") == 2 and actions.count("export.finished") == 2


def test_followthemoney_lines_are_valid_and_every_link_has_both_ends(app):
    _year_of_seizures(app)
    Person(app, "anh", role="analyst", agency="VN-C05")
    with app.app_context():
        counts, path = _exported("anh", "ftm")
        lines = path.read_text(encoding="utf-8").splitlines()
    proxies = [model.get_proxy(json.loads(line), cleaned=False) for line in lines]
    ids = {proxy.id for proxy in proxies}
    links = [proxy for proxy in proxies if proxy.schema.name == "UnknownLink"]
    assert links and all(set(link.get("subject")) <= ids and set(link.get("object")) <= ids for link in links)
    people = [proxy for proxy in proxies if proxy.schema.name == "Person"]
    assert any("王建国" in proxy.get("name") for proxy in people)
    for proxy in proxies:  # every value valid for its property's type
        for prop, value in proxy.itervalues():
            assert prop.type.validate(value), (proxy.schema.name, prop.name, value)
    assert not any(json.loads(line)["properties"].get("country") == ["cn"] for line in lines
                   if json.loads(line)["schema"] == "Event")  # no Chinese record reached a Vietnamese analyst
    # Every Vietnamese record, the corrected one too: the network shows what was recorded.
    assert counts["events"] == 5 and counts["entities"] == len(people) + sum(
        1 for proxy in proxies if proxy.schema.name in ("Vehicle", "Company", "UserAccount"))


def test_the_i2_chart_names_existing_ends_and_counts_what_the_analyst_sees(app):
    import xml.etree.ElementTree as ElementTree

    _year_of_seizures(app)
    Person(app, "anh", role="analyst", agency="VN-C05")
    with app.app_context():
        counts, path = _exported("anh", "anx")
        chart = ElementTree.parse(path).getroot()
        ftm_counts, _ = _exported("anh", "ftm")
    items = chart.iter("ChartItem")
    ends = {entity.get("EntityId") for entity in chart.iter("Entity")}
    links = [link for link in chart.iter("Link")]
    assert links and all({link.get("End1Id"), link.get("End2Id")} <= ends for link in links)
    assert sum(1 for _ in items) >= ftm_counts["entities"] + ftm_counts["events"]
    assert counts["events"] == ftm_counts["events"] and counts["dropped"] == 0
    phones = [style for style in chart.iter("IconStyle") if style.get("Type") == "Telephone"]
    assert phones and counts["entities"] == ftm_counts["entities"] + len(phones)
    assert not any("CN-HG-DX" in (item.get("Label") or "") for item in chart.iter("ChartItem"))


def test_the_command_writes_the_report_and_refuses_with_a_code(app, tmp_path):
    _year_of_seizures(app)
    Person(app, "anh", role="analyst", agency="VN-C05")
    runner = app.test_cli_runner()
    out = tmp_path / "itr.xlsx"
    done = runner.invoke(args=["export", "itr", "--as", "anh", "--year", "2026", "--country", "VN", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "rows 5" in done.output
    assert len(_report_rows(out)) == 6
    refused = runner.invoke(args=["export", "itr", "--as", "anh", "--year", "2026", "--country", "VNM",
                                  "--out", str(out)])
    assert refused.exit_code != 0 and "export_itr_needs_year" in refused.output
    chart = runner.invoke(args=["export", "anx", "--as", "anh", "--out", str(tmp_path / "chart.anx")])
    assert chart.exit_code == 0 and (tmp_path / "chart.anx").read_bytes().startswith(b"<?xml")


def test_an_export_a_stopped_worker_left_unfinished_is_written_when_the_worker_starts(app):
    _year_of_seizures(app)
    Person(app, "anh", role="analyst", agency="VN-C05")
    with app.app_context():
        row = service.request_export(access.user_by_name("anh"), "itr", {"year": 2026, "country": "VN"}, queue=False)
        row.status = "running"  # as a worker killed halfway leaves it
        db.session.commit()
        assert service.resume_unfinished() == 1
        row = db.session.get(type(row), row.id)
        assert row.status == "done" and row.counts["rows"] == 5 and service.path_of(row).exists()
        assert not list(service.path_of(row).parent.glob("*.part"))


def test_geojson_and_spreadsheets_hold_what_the_analyst_may_read(app, tmp_path):
    import csv
    import io
    import zipfile

    _year_of_seizures(app)
    Person(app, "anh", role="analyst", agency="VN-C05")
    runner = app.test_cli_runner()
    for kind, name in (("geojson", "map.geojson"), ("csv", "tables.zip")):
        done = runner.invoke(args=["export", kind, "--as", "anh", "--out", str(tmp_path / name)])
        assert done.exit_code == 0, done.output
    found = json.loads((tmp_path / "map.geojson").read_text(encoding="utf-8"))
    points = [f for f in found["features"] if f["geometry"]["type"] == "Point"]
    routes = [f for f in found["features"] if f["geometry"]["type"] == "LineString"]
    assert len(points) == 4 and len(routes) == 4  # the corrected record is out; 2025's is in
    assert all(-180 <= x <= 180 and -90 <= y <= 90 for f in routes for x, y in f["geometry"]["coordinates"])
    assert {f["properties"]["country"] for f in found["features"]} == {"VN"}
    with zipfile.ZipFile(tmp_path / "tables.zip") as archive:
        assert archive.read("records.csv").startswith("\ufeff".encode())
        rows = list(csv.DictReader(io.TextIOWrapper(archive.open("records.csv"), encoding="utf-8-sig")))
        items = list(csv.DictReader(io.TextIOWrapper(archive.open("items.csv"), encoding="utf-8-sig")))
        mentions = list(csv.DictReader(io.TextIOWrapper(archive.open("mentions.csv"), encoding="utf-8-sig")))
    assert len(rows) == 4 and {row["rid"] for row in items} == {row["rid"] for row in rows}
    assert sorted(row["disposal"] for row in items) == ["", "", "", "", "", "", "stockpiled"]  # the v3 correction's
    assert rows[0]["narrative"] == SEIZURE["narrative"]  # Lao and Han intact, in one cell
    assert "ສົມສັກ ວົງສະຫວັນ" in {row["caption"] for row in mentions}
