"""The officer app: the PWA as Vite built it into pwa/dist (config PWA_DIST), at the site root.

Cache rules (DESIGN §7: service-worker updates are offered, so the browser must see a new
sw.js as soon as there is one):
- /assets/* carry their content hash in the name: cached for a year, immutable.
- the shell (index.html), /sw.js, the manifest, icons and locales keep their names across
  builds: `no-cache`, i.e. revalidated with their ETag on every use.
- /sw.js also sends `Service-Worker-Allowed: /` so it may control the whole origin.
Any other GET outside /api that is not a file answers the shell, so the app's own routes
(/enroll#t=…, /records) survive a reload; a missing asset or file-like path is a 404, never
HTML a browser would try to run as a script. Without a build (server tests, a fresh clone
before `make run`), the shell is a short page in the phone's language saying so.
"""
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template_string, send_from_directory
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.routing import PathConverter
from werkzeug.security import safe_join

blp = Blueprint("web", __name__)

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_TYPES = {".webmanifest": "application/manifest+json"}


class AppPathConverter(PathConverter):
    """Any path but the API's: an unknown /api/… address stays a JSON problem."""
    regex = r"(?!api(?:/|$))[^/].*?"


@blp.record_once
def _register_converter(state):
    state.app.url_map.converters["app_path"] = AppPathConverter


_PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Wildledger</title></head>
<body>
<h1>Wildledger</h1>
<p>{{ headline }}</p>
<p>{{ advice }}</p>
</body></html>"""


def _dist():
    return Path(current_app.config["PWA_DIST"])


def _send(dist, path, cache_control):
    response = send_from_directory(dist, path, mimetype=_TYPES.get(Path(path).suffix))
    response.headers["Cache-Control"] = cache_control
    return response


def _not_built():
    response = current_app.make_response(render_template_string(
        _PAGE, lang=str(get_locale()).replace("_", "-"),
        headline=_("The officer app has not been built on this server yet: “make run” builds it."),
        advice=_("Keep this enrollment code: your supervisor will tell you when to scan it again.")))
    response.headers["Cache-Control"] = REVALIDATE
    return response


@blp.get("/", defaults={"path": ""})
@blp.get("/<app_path:path>")
def shell(path):
    dist = _dist()
    if path and path != "index.html":
        file = safe_join(str(dist), path)
        # Hidden files are build bookkeeping (Vite's .vite/manifest.json), not the app.
        hidden = any(part.startswith(".") for part in path.split("/"))
        if file is not None and not hidden and Path(file).is_file():
            response = _send(dist, path, IMMUTABLE if path.startswith("assets/") else REVALIDATE)
            if path == "sw.js":
                response.headers["Service-Worker-Allowed"] = "/"
            return response
        # Paths with a file name (sw.js, assets/app-1a2b.js, favicon.ico) are files or nothing.
        if hidden or path.startswith("assets/") or "." in path.rsplit("/", 1)[-1]:
            abort(404)
    if not (dist / "index.html").is_file():
        return _not_built()
    return _send(dist, "index.html", REVALIDATE)
