import random
import time

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import gettext as _

from .. import config
from ..access import service as access
from ..devices import service as devices
from ..extensions import db
from . import content, loader
from .simulator import HttpTransport, SimulatedDevice

demo_cli = AppGroup("demo", help="Demo data and simulated devices.")


def _demo_people_present():
    try:
        for person in content.people()["supervisors"]:
            access.user_by_name(person["username"])
    except LookupError:
        return False
    return True


def is_demo_instance():
    """A test app, or an instance whose demo data `demo load` loaded (the mark it leaves
    in the instance's settings). A production instance is neither."""
    return bool(current_app.config["TESTING"] or config.instance_settings(current_app.instance_path).get("demo"))


@demo_cli.command("load")
def load():
    """Agencies, one supervisor and analyst per country, a few demo records and demo
    directory contacts."""
    summary = loader.load(current_app._get_current_object())
    # The mark lets `demo simulate` run here. A store that had users before is marked only
    # if they are the demo's own (one loaded before the mark existed), never a real one. A
    # test app needs no mark (is_demo_instance) and leaves the instance folder alone.
    if not current_app.config["TESTING"] and (summary is not None or _demo_people_present()):
        config.save_instance_settings(current_app.instance_path, demo=True)
    click.echo(_("Demo data already loaded.") if summary is None else
               _("Loaded %(agencies)d agencies, %(users)d users, %(records)d demo records and %(contacts)d demo "
                 "directory contacts.", **summary))


@demo_cli.command("simulate")
@click.option("--devices", "device_count", default=3, show_default=True)
@click.option("--records", "record_count", default=10, show_default=True, help="records per device")
@click.option("--agency", "agency_code", default="VN-HQ-QN", show_default=True)
@click.option("--url", help="server to push to (default: WILDLEDGER_PUBLIC_URL)")
@click.option("--clock-error", default=0, help="seconds each phone's clock is wrong")
@click.option("--yes-this-is-not-production", "not_production", is_flag=True,
              help="run on an instance that `demo load` did not set up (its ledger keeps the records for ever)")
@with_appcontext
def simulate(device_count, record_count, agency_code, url, clock_error, not_production):
    """Enroll N simulated phones and push M records each through HTTP. Only on a demo or
    test instance: the ledger is append-only, so what they push stays in it for ever."""
    if not (not_production or is_demo_instance()):
        raise click.ClickException(_(
            "This instance holds no demo data (`flask demo load` marks the instances it sets up): simulated "
            "phones would leave their records in its ledger for ever. On a scratch instance, add "
            "--yes-this-is-not-production."))
    agency = access.agency_by_code(agency_code)
    tokens = [devices.create_enrollment(agency, officer_name="Simulated officer")[0] for _ in range(device_count)]
    # No transaction may stay open while the server writes: on SQLite it would hold the
    # database's write lock (transactions begin IMMEDIATE) and the server would wait.
    db.session.close()
    transport = HttpTransport(url or current_app.config["PUBLIC_URL"])
    rng = random.Random()
    started, stored = time.monotonic(), 0
    for token in tokens:
        device = SimulatedDevice(transport, clock_error_ms=clock_error * 1000)
        device.enroll(token)
        for _record in range(record_count):
            device.seal(content.seizure(rng, agency_code))
        stored += sum(r["status"] == "accepted" for r in device.sync())
    elapsed = time.monotonic() - started
    click.echo(_("%(devices)d devices pushed %(records)d records: %(stored)d accepted in %(seconds).1f s.",
                 devices=device_count, records=device_count * record_count, stored=stored, seconds=elapsed))
