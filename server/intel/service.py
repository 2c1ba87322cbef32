"""Analysts' judgements (issue 18): same / not the same / unsure between two mentions, with a
note; kept, attributed, audited and reversible. Undoing a "same" splits the entity again. A
pair an analyst judged is never proposed again; two entities one of whose pairs is "not the
same" are never merged by resolution."""
from flask_babel import gettext as _
from sqlalchemy import select

from ..access import service as access
from ..audit import service as audit
from ..dbtypes import utcnow
from ..extensions import db
from ..store.models import Mention, Record
from ..tasks import huey, in_app
from . import resolve
from .models import VERDICTS, Candidate, Judgement


class JudgementRefused(ValueError):
    pass


def visible_mentions(user):
    """The mentions whose record `user` may read (the one access rule, access.visible_records)."""
    records = access.visible_records(user).with_only_columns(Record.id)
    return select(Mention).where(Mention.record_id.in_(records))


def _kept_apart_for(user, left, right):
    """Whether a "not the same" judgement the reader may see (both its mentions theirs) keeps
    apart what they see of the two mentions' entities. One over a record hidden from them is
    not theirs to be told of, nor to be stopped by: their own judgement is recorded beside it,
    and whoever sees both answers for the two."""
    def seen(mention):
        return [m.key for m in seen_entity(user, mention.key)["mentions"]]
    return resolve.kept_apart_keys(seen(left), seen(right))


def judge(left_id, right_id, verdict, user, note=None):
    if verdict not in VERDICTS:
        raise JudgementRefused(_("A judgement is same, not the same or unsure."))
    visible = visible_mentions(user)
    found = {m.id: m for m in db.session.scalars(visible.where(Mention.id.in_((left_id, right_id))))}
    if len(found) != 2:
        raise LookupError(_("No such pair of mentions."))
    left, right = sorted(found.values(), key=lambda mention: mention.key)
    if verdict == "same" and _kept_apart_for(user, left, right):
        raise JudgementRefused(_("Someone judged these two not the same: undo that judgement first."))
    if verdict == "not_same" and left.entity_id == right.entity_id:
        raise JudgementRefused(_("These two are one entity now: undo the merge that joined them first."))
    for earlier in db.session.scalars(select(Judgement).where(
            Judgement.left_key == left.key, Judgement.right_key == right.key, Judgement.undone_at.is_(None))):
        earlier.undone_at, earlier.undone_by = utcnow(), user.id
    judgement = Judgement(left_key=left.key, right_key=right.key, verdict=verdict, automatic=False, user_id=user.id,
                          note=(note or "").strip() or None, features={})
    db.session.add(judgement)
    if verdict == "same":
        resolve.merge_entities(left.entity_id, right.entity_id)
    db.session.flush()
    audit.record("intel.judged", actor=user.username, actor_kind="user", target=f"mentions:{left.key},{right.key}",
                 detail={"verdict": verdict, "judgement": judgement.id}, commit=False)
    db.session.commit()
    return judgement


def undo(judgement_id, user):
    """Undo a judgement; undoing a "same" splits the entity it made."""
    judgement = db.session.get(Judgement, judgement_id)
    visible = visible_mentions(user)
    if judgement is None or judgement.undone_at is not None or len(db.session.scalars(
            visible.where(Mention.key.in_((judgement.left_key, judgement.right_key)))).all()) != 2:
        raise LookupError(_("No such judgement in force."))
    judgement.undone_at, judgement.undone_by = utcnow(), user.id
    db.session.flush()
    made = []
    if judgement.verdict == "same":
        made = resolve.split(resolve.by_key(judgement.left_key).entity_id)
    audit.record("intel.judgement_undone", actor=user.username, actor_kind="user",
                 target=f"mentions:{judgement.left_key},{judgement.right_key}",
                 detail={"verdict": judgement.verdict, "judgement": judgement.id, "split_into": made}, commit=False)
    db.session.commit()
    return made


def open_candidates(user, limit=100):
    """Candidates whose two mentions `user` may both see, in different entities, not judged
    and not kept apart: best first."""
    visible_keys = visible_mentions(user).with_only_columns(Mention.key)
    rows = db.session.scalars(select(Candidate).where(Candidate.left_key.in_(visible_keys),
                                                      Candidate.right_key.in_(visible_keys))
                              .order_by(Candidate.score.desc(), Candidate.id).limit(limit * 4)).all()
    out = []
    for candidate in rows:
        left, right = resolve.by_key(candidate.left_key), resolve.by_key(candidate.right_key)
        if left.entity_id == right.entity_id:
            # One entity, perhaps only through mentions this reader may not see: then, for
            # them, still two, and the question stands.
            if right.key in {m.key for m in seen_entity(user, left.key)["mentions"]}:
                continue
        elif _kept_apart_for(user, left, right):
            continue
        if resolve.active_judgement(candidate.left_key, candidate.right_key) is not None:
            continue
        out.append((candidate, left, right))
        if len(out) >= limit:
            break
    return out


@huey.task(retries=3, retry_delay=10)
@in_app
def resolve_task():
    """Behind intake: resolve whatever was filed and not yet resolved."""
    return resolve.resolve_pending()


def after_filing():
    """Called once filed records are committed: resolution follows on the task queue."""
    resolve_task()


def seen_entity(user, mention_key):
    """The entity of a mention as `user` may see it: the mentions they may see that active
    "same" judgements join to it through mentions they may see, and those judgements. A
    mention they may not see never bridges two they may: what they are shown could not have
    been told them by anything hidden. None if they may not see the mention."""
    visible = visible_mentions(user)
    start = db.session.scalar(visible.where(Mention.key == mention_key))
    if start is None:
        return None
    members = {m.key: m for m in db.session.scalars(visible.where(Mention.entity_id == start.entity_id))}
    edges = db.session.scalars(select(Judgement).where(
        Judgement.verdict == "same", Judgement.undone_at.is_(None), Judgement.left_key.in_(members),
        Judgement.right_key.in_(members))).all()
    joined, frontier = {start.key}, [start.key]
    while frontier:
        key = frontier.pop()
        for edge in edges:
            other = edge.right_key if edge.left_key == key else edge.left_key if edge.right_key == key else None
            if other is not None and other not in joined:
                joined.add(other)
                frontier.append(other)
    mentions = sorted((members[key] for key in joined), key=lambda m: m.id)
    return {"mentions": mentions,
            "judgements": [edge for edge in edges if edge.left_key in joined and edge.right_key in joined]}
