"""Scratch infrastructure for tests and benchmarks: the production server (gunicorn) as a
child process, and throwaway PostgreSQL databases."""
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

import requests

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn(app, instance_path, workers=4, threads=4, env=None, log=None):
    """Serve `app`'s database, keys and built PWA with gunicorn; yields the base URL.
    `env` adds environment variables (WILDLEDGER_FAILPOINTS for crash tests); `log`, a file
    open for writing, receives everything the server prints."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "WILDLEDGER_KEK_FILE": app.config["KEK_FILE"], "WILDLEDGER_INSTANCE_PATH": str(instance_path),
           "WILDLEDGER_PUBLIC_URL": f"http://127.0.0.1:{port}", "WILDLEDGER_PWA_DIST": app.config["PWA_DIST"],
           **(env or {})}
    process = start_gunicorn(port, env, workers, threads, log=log)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(15)


def start_gunicorn(port, env, workers=4, threads=4, new_session=False, log=None):
    """gunicorn on 127.0.0.1:`port` with this environment, returned once it answers.
    `new_session` puts it in a process group of its own, so master and workers can be
    SIGKILLed together."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "gthread",
         "--threads", str(threads), "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "server:create_app()"],
        env=env, cwd=ROOT, start_new_session=new_session, stdout=log, stderr=subprocess.STDOUT if log else None)
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/openapi.json", timeout=2).status_code == 200:
                return process
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("gunicorn did not start")
        time.sleep(0.1)


@contextlib.contextmanager
def scratch_database(server_url, prefix="wildledger_scratch"):
    """A new database on the PostgreSQL server `server_url` names, dropped afterwards.
    Yields its SQLAlchemy URL."""
    parts = urlsplit(server_url)
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    try:
        yield urlunsplit(("postgresql+psycopg", parts.netloc, f"/{name}", "", ""))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
