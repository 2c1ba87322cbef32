"""The browser tests drive the built app: `make test` builds pwa/dist before pytest runs."""
from pathlib import Path

import pytest

from server.demo.fault_proxy import FaultProxy
from server.demo.serving import free_port

from .harness import CHROMIUM, OPEN_PHONES, ROOT, Phone, Station


@pytest.fixture(scope="session", autouse=True)
def built_app():
    dist = ROOT / "pwa" / "dist"
    missing = [path for path in (dist / "index.html", dist / "sw.js", ROOT / "pwa" / "src" / "locales" / "vi.json",
                                 Path(CHROMIUM)) if not path.exists()]
    assert not missing, f"missing {missing}: run `make test` (it builds the app) or `bash .ci/run` (installs Chromium)"


@pytest.fixture
def station(tmp_path):
    """A running server of its own for one test."""
    station = Station(tmp_path / "server")
    station.start()
    yield station
    station.close()


@pytest.fixture
def proxied(tmp_path):
    """A server that phones reach only through the fault proxy: (station, proxy), not started."""
    listen = free_port()
    station = Station(tmp_path / "server", public_port=listen)
    proxy = FaultProxy("127.0.0.1", station.port, listen_port=listen)
    proxy.start()
    yield station, proxy
    proxy.stop()
    station.close()


@pytest.fixture
def phone(tmp_path):
    """A phone with a fresh profile, in Vietnamese."""
    phone = Phone(tmp_path / "profile")
    yield phone
    phone.quit()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """When a browser test fails, say what each open phone was showing (CI has no screen)."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for number, phone in enumerate(OPEN_PHONES):
        try:
            shown = phone.page.evaluate("document.body.innerText") if phone.page else "(closed)"
            url = phone.page.url if phone.page else ""
        except Exception as error:  # noqa: BLE001 - a report, never a second failure
            shown, url = f"(unreadable: {error})", ""
        report.sections.append((f"phone {number} at {url}", shown[:3000]))
