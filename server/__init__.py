"""Wildledger server. create_app() wires extensions, blueprints and commands only."""
import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config, errors, headers, jsonguard, ratelimit, tasks
from .extensions import api, babel, configure_engine, db, migrate
from .i18n import TRANSLATIONS, select_locale, translate
from .sync.schemas import SECURITY_SCHEMES
from .version import server_version

MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def create_app(test_config=None):
    app = Flask(__name__, instance_path=os.environ.get("WILDLEDGER_INSTANCE_PATH"))
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(config.from_environment(app.instance_path))
    app.config.update(
        API_TITLE="Wildledger", API_VERSION=server_version(), OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api", OPENAPI_JSON_PATH="openapi.json",
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
        API_SPEC_OPTIONS={"components": {"securitySchemes": SECURITY_SCHEMES},
                          "info": {"description": "The device protocol is PROTOCOL.md; this document lists its routes."}},
    )
    if test_config:
        app.config.update(test_config)

    if app.config["PROXY_FIX"]:
        hops = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    babel.init_app(app, locale_selector=select_locale)
    api.init_app(app)
    errors.init_app(app)
    jsonguard.init_app(app)
    headers.init_app(app)
    ratelimit.init_app(app)
    tasks.init_app(app)
    with app.app_context():
        configure_engine(db.engine)

    from .access import grants as _grants  # noqa: F401  (the share grants' tables)
    from .access import sets as _sets  # noqa: F401  (saved sets of records)
    from .intel import models as _intel_models  # noqa: F401  (the entity layer's tables)
    from .exports import models as _export_models  # noqa: F401  (exports and their progress)
    from .directory.routes import blp as directory_blp
    from .intel.routes import blp as intel_blp
    from .health import blp as health_blp
    from .store.routes import blp as records_blp
    from .sync.routes import blp as sync_blp
    from .web import blp as web_blp

    api.register_blueprint(sync_blp)
    api.register_blueprint(records_blp)
    api.register_blueprint(directory_blp)
    api.register_blueprint(intel_blp)
    app.register_blueprint(health_blp)
    app.register_blueprint(web_blp)

    from .console import routes as console

    console.init_app(app)

    from .cli import register

    register(app)
    app.cli.add_command(translate)
    return app
