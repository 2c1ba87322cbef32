"""What is running: the server's version and the officer app's build.

The server's version is written in one place, pyproject.toml's `version`, read from the tree
the server runs from (a checkout or an unpacked release; deploy/README.md), or from the
installed package's metadata when there is no tree. The officer app's version is the one
its build carries: pwa/scripts/build-sw.mjs writes `<package.json version>-<content hash>`
into dist/sw.js as the shell version, so it names exactly what phones are offered.
"""
import functools
import re
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_SHELL_VERSION = re.compile(rb'"(\d+\.\d+\.\d+[0-9A-Za-z.+]*-[0-9a-f]{12})"')


@functools.cache
def server_version():
    try:
        with open(ROOT / "pyproject.toml", "rb") as handle:
            return tomllib.load(handle)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        pass
    try:
        return metadata.version("wildledger")
    except metadata.PackageNotFoundError:
        return "unknown"


@functools.lru_cache(maxsize=4)
def _app_version(sw_path, _mtime_ns):
    match = _SHELL_VERSION.search(Path(sw_path).read_bytes())
    return match.group(1).decode() if match else None


def app_version(dist):
    """The built officer app's shell version (`0.3.0-2cc564f3be29`), or None without a
    build. Read again when the build changes under a running server."""
    sw = Path(dist) / "sw.js"
    try:
        return _app_version(str(sw), sw.stat().st_mtime_ns)
    except OSError:
        return None
