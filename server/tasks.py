"""The task queue: work too long for a request (carried-in outbox files now; exports and
dossiers later) runs on Huey. Its storage is SQLite in the instance folder for the embedded
default and Redis in deployment (WILDLEDGER_TASK_QUEUE=redis://…); "immediate" runs each
task in the caller, for tests and one-off commands.

`flask tasks worker` runs the consumer; `make run` starts one beside the server, deploy/
runs it as a service. Work survives a restart twice over: a queued task waits in the
queue's storage, not in memory, and every task keeps its progress in the database, so the
worker queues again, when it starts, whatever a killed worker left half done. Tasks are
written to be taken twice harmlessly."""
import logging
from functools import wraps
from pathlib import Path

import click
from flask import current_app, has_app_context
from flask.cli import AppGroup
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

huey = Huey("wildledger", storage_class=MemoryStorage, immediate=True)
_app = None  # the application tasks run in when the consumer calls them

tasks_cli = AppGroup("tasks", help="The task queue: run its worker, see what waits.")


def configure(url, name="wildledger"):
    """Point the queue at its storage: "immediate", "sqlite:///<path>" or "redis://…"."""
    huey.name = name
    if url == "immediate":
        huey.immediate = True
        return
    huey._immediate = False  # noqa: SLF001 - the setter would build a storage we replace next
    if url.startswith(("redis://", "rediss://", "unix://")):
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"url": url}
    elif url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": str(path)}
    else:
        raise ValueError(f"WILDLEDGER_TASK_QUEUE: not immediate, sqlite:/// or redis://: {url!r}")
    huey.storage = huey.create_storage()


def init_app(app):
    global _app
    _app = app
    configure(app.config["TASK_QUEUE"], app.config.get("TASK_QUEUE_NAME", "wildledger"))
    app.cli.add_command(tasks_cli)


def in_app(task):
    """Run `task` in an application context: the caller's, or the worker's application."""
    @wraps(task)
    def run(*args, **kwargs):
        if has_app_context():
            return task(*args, **kwargs)
        with _app.app_context():
            return task(*args, **kwargs)
    return run


def resume():
    """Queue again what a stopped worker left unfinished; returns how many."""
    from .exports import service as exports
    from .sync import carried

    with _app.app_context():
        return carried.resume_unfinished() + exports.resume_unfinished()


@huey.on_startup()
def _resume_on_start():
    resume()


def consumer(workers=1):
    return huey.create_consumer(workers=workers, worker_type="thread", periodic=False, check_worker_health=True)


@tasks_cli.command("worker")
@click.option("--workers", default=1, show_default=True, help="Threads taking tasks.")
def worker_command(workers):
    """Take tasks from the queue until stopped (Ctrl-C, SIGTERM)."""
    if huey.immediate:
        raise click.ClickException("WILDLEDGER_TASK_QUEUE=immediate has no queue to take from.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    click.echo(f"task queue: {current_app.config['TASK_QUEUE']} ({workers} worker{'s' if workers > 1 else ''})")
    consumer(workers).run()


@tasks_cli.command("status")
def status_command():
    """How many tasks wait in the queue."""
    click.echo(f"{current_app.config['TASK_QUEUE']}: {huey.pending_count()} waiting, "
               f"{huey.scheduled_count()} scheduled")
