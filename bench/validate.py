"""Field validation per record: the marshmallow schema (schema_for) against the validator
compiled from the same declaration (validator_for), on demo seizure documents like those
bench/intake.py seals (~1.5 KB each), in one app context on a scratch SQLite store with the
agencies loaded, as intake runs them. Each figure is the best of five passes over the
documents, in microseconds per record of wall time on one core.

Prints `validate: marshmallow_us=… compiled_us=… speedup=…`.

    .venv/bin/python bench/validate.py [--records 500]
"""
import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from server import create_app  # noqa: E402
from server.demo import content  # noqa: E402
from server.forms.schema import schema_for, validator_for  # noqa: E402
from server.reference import agencies  # noqa: E402

AGENCY = "VN-HQ-QN"
NARRATIVE = 300  # as bench/intake.py pads them
PASSES = 5


def _per_record_us(validator, documents):
    best = float("inf")
    for _ in range(PASSES):
        started = time.perf_counter()
        for document in documents:
            validator.load(document)
        best = min(best, time.perf_counter() - started)
    return best / len(documents) * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=500)
    args = parser.parse_args()
    rng = random.Random(7)
    people = content.people()["suspects"]
    documents = [content.seizure(rng, AGENCY, people, narrative_size=NARRATIVE) for _ in range(args.records)]
    with tempfile.TemporaryDirectory() as workdir:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(workdir) / 'bench.sqlite'}",
                          "KEK_FILE": str(Path(workdir) / "kek")})
        with app.app_context():
            upgrade()
            agencies.load()
            marshmallow, compiled = schema_for("seizure", 1), validator_for("seizure", 1)
            for document in documents:
                assert compiled.load(document) == marshmallow.load(document)
            marshmallow_us = _per_record_us(marshmallow, documents)
            compiled_us = _per_record_us(compiled, documents)
    print(f"validate: marshmallow_us={marshmallow_us:.1f} compiled_us={compiled_us:.1f} "
          f"speedup={marshmallow_us / compiled_us:.1f}")


if __name__ == "__main__":
    main()
