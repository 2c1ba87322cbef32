import random
import time

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import gettext as _

from ..access import service as access
from ..devices import service as devices
from ..extensions import db
from . import content, loader
from .simulator import HttpTransport, SimulatedDevice

demo_cli = AppGroup("demo", help="Demo data and simulated devices.")


@demo_cli.command("load")
def load():
    """Agencies, one supervisor and analyst per country, and a few demo records."""
    summary = loader.load(current_app._get_current_object())
    click.echo(_("Demo data already loaded.") if summary is None else
               _("Loaded %(agencies)d agencies, %(users)d users, %(records)d demo records.", **summary))


@demo_cli.command("simulate")
@click.option("--devices", "device_count", default=3, show_default=True)
@click.option("--records", "record_count", default=10, show_default=True, help="records per device")
@click.option("--agency", "agency_code", default="VN-HQ-QN", show_default=True)
@click.option("--url", help="server to push to (default: WILDLEDGER_PUBLIC_URL)")
@click.option("--clock-error", default=0, help="seconds each phone's clock is wrong")
@with_appcontext
def simulate(device_count, record_count, agency_code, url, clock_error):
    """Enroll N simulated phones and push M records each through HTTP."""
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
