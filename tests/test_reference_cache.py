"""Workers keep the reference data they validate against, and read it again when a newer
version is published (issue 15): no worker files a record against stale lists."""
import json

from sqlalchemy import select

from server.demo.simulator import HttpTransport
from server.extensions import db
from server.reference import agencies
from server.reference.agencies import AGENCIES_FILE
from server.store.models import Record
from tests.conftest import enroll_device, running_server
from tests.helpers import SEIZURE

MERGED, INTO = "VN-HQ-MONGCAI", "VN-HQ-QN"


def _filed(app, rid):
    with app.app_context():
        record = db.session.scalar(select(Record).filter_by(rid=rid))
        return record.seizure.seizing_agency, record.flags


def test_two_workers_validate_against_what_was_published_last(app, tmp_path):
    """Two gunicorn processes on one store, as two workers of a deployment (one worker
    each, so that each phone's requests are known to reach its own): both have filed
    records naming an agency, and so hold it in their caches, when the agency is retired
    by `agencies load`, which publishes; both then file the next such record under its
    successor."""
    with running_server(app, tmp_path / "a", workers=1) as first, \
            running_server(app, tmp_path / "b", workers=1) as second:
        phones = [enroll_device(app, transport=HttpTransport(url)) for url in (first, second)]
        before = [phone.seal({**SEIZURE, "agency": MERGED}) for phone in phones]
        assert [[r["status"] for r in phone.sync()] for phone in phones] == [["accepted"]] * 2
        assert [_filed(app, rid) for rid in before] == [(MERGED, [])] * 2

        rows = json.loads(AGENCIES_FILE.read_text(encoding="utf-8"))
        for row in rows:
            if row["code"] == MERGED:
                row["retired"] = {"on": "2026-11-30", "successor": INTO}
        changed = tmp_path / "agencies.json"
        changed.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        with app.app_context():
            agencies.load(changed)

        after = [phone.seal({**SEIZURE, "agency": MERGED}) for phone in phones]
        assert [[r["status"] for r in phone.sync()] for phone in phones] == [["accepted"]] * 2
        assert [_filed(app, rid) for rid in after] == [(INTO, ["retired_code"])] * 2
