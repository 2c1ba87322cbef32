"""The server serves the built officer app (server/web.py) from a dist folder like Vite's."""
import pytest

from tests.conftest import make_app

SHELL = b"<!doctype html><title>Wildledger</title><script type=module src=/assets/index-3f2a9c.js></script>"


@pytest.fixture
def dist(tmp_path):
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "icons").mkdir()
    (root / "locales").mkdir()
    (root / "index.html").write_bytes(SHELL)
    (root / "assets" / "index-3f2a9c.js").write_text("console.log('app')")
    (root / "sw.js").write_text("self.addEventListener('fetch', () => {})")
    (root / "manifest.webmanifest").write_text('{"name": "Wildledger", "start_url": "/"}')
    (root / "icons" / "icon-192.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / "locales" / "vi.json").write_text('{"locale": "vi", "messages": {}}')
    (root / ".vite").mkdir()
    (root / ".vite" / "manifest.json").write_text('{"outside the dist folder": "build bookkeeping"}')
    (tmp_path / "secret.txt").write_text("outside the dist folder")
    return root


class _Client:
    """A test client that reads each answer whole, so every file it opened is closed."""

    def __init__(self, app):
        self.client = app.test_client()

    def get(self, path, **options):
        return self.client.get(path, buffered=True, **options)

    def post(self, path, **options):
        return self.client.post(path, buffered=True, **options)


@pytest.fixture
def web(dist, tmp_path):
    return _Client(make_app("sqlite://", tmp_path, PWA_DIST=str(dist)))


@pytest.mark.parametrize("path", ["/", "/enroll", "/records", "/records/0b7e6c1e-6c8a-4f5e-9d3c-2f1a7a0c9e11",
                                  "/index.html"])
def test_app_routes_answer_the_shell_revalidated(web, path):
    answer = web.get(path)
    assert answer.status_code == 200 and answer.data == SHELL
    assert answer.mimetype == "text/html" and answer.headers["Cache-Control"] == "no-cache"
    assert answer.headers["ETag"]
    assert web.get(path, headers={"If-None-Match": answer.headers["ETag"]}).status_code == 304


def test_hashed_assets_are_immutable(web):
    answer = web.get("/assets/index-3f2a9c.js")
    assert answer.status_code == 200 and answer.data == b"console.log('app')"
    assert answer.mimetype in ("text/javascript", "application/javascript")
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_service_worker_is_revalidated_and_may_control_the_origin(web):
    answer = web.get("/sw.js")
    assert answer.status_code == 200 and b"addEventListener" in answer.data
    assert answer.headers["Cache-Control"] == "no-cache"
    assert answer.headers["Service-Worker-Allowed"] == "/"


def test_manifest_icons_and_locales(web):
    manifest = web.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json" and manifest.json["start_url"] == "/"
    assert manifest.headers["Cache-Control"] == "no-cache"
    assert web.get("/icons/icon-192.png").mimetype == "image/png"
    assert web.get("/locales/vi.json").json == {"locale": "vi", "messages": {}}


@pytest.mark.parametrize("path", ["/assets/index-000000.js", "/assets/gone", "/favicon.ico", "/icons/none.png",
                                  "/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
                                  "/.vite/manifest.json", "/.vite/nothing"])
def test_missing_files_are_404_not_the_shell(web, path):
    answer = web.get(path)
    assert answer.status_code == 404 and answer.data != SHELL
    assert b"outside the dist folder" not in answer.data


@pytest.mark.parametrize("path", ["/api", "/api/", "/api/v1/nothing", "/api/v1/sync/nothing"])
def test_api_paths_stay_json_problems(web, path):
    answer = web.get(path)
    assert answer.status_code == 404 and answer.json["code"] == "not_found"


def test_api_still_answers_beside_the_app(web):
    assert web.get("/api/openapi.json").json["info"]["title"] == "Wildledger"
    assert web.post("/records").json["code"] == "method_not_allowed"


def test_without_a_build_the_page_says_so(tmp_path):
    web = _Client(make_app("sqlite://", tmp_path, PWA_DIST=str(tmp_path / "not-built")))
    for path in ("/", "/enroll", "/records"):
        answer = web.get(path)
        assert answer.status_code == 200 and answer.mimetype == "text/html"
        assert "has not been built" in answer.get_data(as_text=True)
        assert "make run" in answer.get_data(as_text=True)
        assert answer.headers["Cache-Control"] == "no-cache"
    assert web.get("/sw.js").status_code == 404
    assert web.get("/assets/index-3f2a9c.js").status_code == 404


def test_the_dist_folder_comes_from_the_environment(monkeypatch, tmp_path, dist):
    from server import create_app

    monkeypatch.setenv("WILDLEDGER_PWA_DIST", str(dist))
    monkeypatch.setenv("WILDLEDGER_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert _Client(app).get("/enroll").data == SHELL
