"""Entity resolution against the truth (issue 18): a generated population (bench/people.py,
written apart from the resolver) of at least --mentions suspect mentions in Han, pinyin,
Vietnamese and Lao, with its hard negatives, sealed by simulated phones of Chinese,
Vietnamese and Lao agencies and pushed through intake; resolution runs behind each push as
in deployment (the task queue, here immediate). Then, over every pair of mentions:

  precision       of automatic merges: pairs put in one entity that are one person
  recall          of candidates: pairs of one person that were merged or proposed to analysts
  hard_precision  precision of automatic merges over pairs touching a hard-negative subset
                  (common names, homophones, Hùng/Hưng, father and son, a shared phone)

The last line printed is exactly
`resolution: precision=<n> recall=<n> hard_precision=<n> mentions=<n>`.
Targets: precision >= 0.99, hard_precision >= 0.99, recall >= 0.95; a missed one is marked
MISSED (the exit status is 0 all the same).

    .venv/bin/python bench/resolution.py [--mentions 20000] [--database-url postgresql+psycopg://…]
"""
import argparse
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bench.people import Population  # noqa: E402
from server.extensions import db  # noqa: E402
from server.intel.models import Candidate  # noqa: E402
from server.store.models import Mention  # noqa: E402
from tests.conftest import enroll_device, make_app, prepare  # noqa: E402
from tests.helpers import SEIZURE  # noqa: E402

AGENCY = {"CN": "CN-HG-DX", "VN": "VN-HQ-QN", "LA": "LA-CUSTOMS"}
TARGETS = {"precision": 0.99, "hard_precision": 0.99, "recall": 0.95}
PER_RECORD = 3


def suspect(mention):
    written = {"name": mention.name}
    for key, value in (("name_latin", mention.name_latin), ("nationality", mention.nationality),
                       ("phone", mention.phone), ("id_number", mention.id_number)):
        if value:
            written[key] = value
    if mention.id_number:
        written["id_type"] = "national_id"
    return written


def file_population(app, population):
    """Every mention as a suspect of a seizure sealed by a phone of the person's country's agency."""
    phones = {country: enroll_device(app, agency) for country, agency in AGENCY.items()}
    by_country = defaultdict(list)
    for index, mention in enumerate(population.mentions):
        by_country[population.people[mention.person].country].append(index)
    order = []
    for country, indexes in by_country.items():
        phone = phones[country]
        for start in range(0, len(indexes), PER_RECORD):
            chunk = indexes[start:start + PER_RECORD]
            phone.seal({**SEIZURE, "agency": AGENCY[country], "vehicles": [], "companies": [],
                        "suspects": [suspect(population.mentions[i]) for i in chunk]})
            order.extend(chunk)
        phone.sync(batch_size=50)
    return order  # generated mention index, in filing order


def pairs_in(groups):
    return sum(n * (n - 1) // 2 for n in groups)


def measure(app, population, order):
    with app.app_context():
        rows = db.session.execute(select(Mention.key, Mention.entity_id).where(Mention.schema == "Person")
                                  .order_by(Mention.id)).all()
        entity_of = {mention_key: entity for mention_key, entity in rows}
        truth = {mention_key: population.mentions[index] for (mention_key, _), index in zip(rows, order, strict=True)}
        candidates = [(c.left_key, c.right_key) for c in db.session.scalars(select(Candidate)) if c.left_key in entity_of]
        candidate_pairs = {frozenset((entity_of[left], entity_of[right])) for left, right in candidates}
    clusters = defaultdict(list)
    for mention_id, entity in entity_of.items():
        clusters[entity].append(truth[mention_id])
    merged = true_merged = hard_merged = hard_true = 0
    for members in clusters.values():
        merged += pairs_in([len(members)])
        true_merged += pairs_in(Counter(m.person for m in members).values())
        for a, b in combinations(members, 2):
            if a.group not in ("plain", "typo") or b.group not in ("plain", "typo"):
                hard_merged += 1
                hard_true += a.person == b.person
    by_person = defaultdict(list)
    for mention_id, mention in truth.items():
        by_person[mention.person].append(mention_id)
    true_pairs = found = 0
    for ids in by_person.values():
        for a, b in combinations(ids, 2):
            true_pairs += 1
            found += entity_of[a] == entity_of[b] or frozenset((entity_of[a], entity_of[b])) in candidate_pairs
    return {"precision": true_merged / merged if merged else 1.0, "recall": found / true_pairs if true_pairs else 1.0,
            "hard_precision": hard_true / hard_merged if hard_merged else 1.0, "merged_pairs": merged,
            "candidates": len(candidates),
            "candidate_precision": (sum(truth[left].person == truth[right].person for left, right in candidates)
                                    / len(candidates) if candidates else 1.0),
            "hard_merged_pairs": hard_merged, "true_pairs": true_pairs, "entities": len(clusters),
            "people": len(by_person)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    population = Population(args.seed).build(args.mentions)
    with tempfile.TemporaryDirectory() as home:
        url = args.database_url or f"sqlite:///{Path(home) / 'bench.sqlite'}"
        app = prepare(make_app(url, Path(home)))
        started = time.perf_counter()
        order = file_population(app, population)
        elapsed = time.perf_counter() - started
        figures = measure(app, population, order)
    print(f"filed and resolved {len(population.mentions)} mentions of {figures['people']} people in {elapsed:.1f} s "
          f"({figures['entities']} entities; {figures['merged_pairs']} merged pairs, {figures['hard_merged_pairs']} "
          f"touching hard negatives; {figures['true_pairs']} true pairs)")
    print(f"candidates for analysts: {figures['candidates']}, of which {figures['candidate_precision']:.1%} "
          "are truly one person (not a target: what an analyst is asked to judge)")
    for name, target in TARGETS.items():
        mark = "" if figures[name] >= target else "  MISSED"
        print(f"{name}: {figures[name]:.4f} (target >= {target}){mark}")
    print(f"resolution: precision={figures['precision']:.4f} recall={figures['recall']:.4f} "
          f"hard_precision={figures['hard_precision']:.4f} mentions={len(population.mentions)}")


if __name__ == "__main__":
    main()
