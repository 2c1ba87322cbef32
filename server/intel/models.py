"""The entity layer over the store (issue 18, DESIGN §6): records are never changed. Every
mention (a person, company, vehicle or account as one record names it, stores.models.Mention)
is a node; judgements are edges between two mentions: "same" (an analyst's, or an automatic
merge on a strong identifier and a compatible name), "not the same", "unsure". An entity is a
connected component of the active "same" edges; undoing one splits it again."""
from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db

VERDICTS = ("same", "not_same", "unsure")


# The entity layer names mentions by their stable key ("<rid>/<n>", Mention.key), not by
# their row id: the store can be rebuilt from the ledger (new rows, new ids), and analysts'
# judgements must hold across it.


class MentionKey(db.Model):
    """A key a mention is found under: a strong identifier ("phone:+84…", "plate:29A12345")
    or a reading of its name ("n:vi vuong"). Resolution compares a new mention only with
    those that share a key with it."""

    __tablename__ = "mention_keys"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    mention: Mapped[str] = mapped_column(String(80), primary_key=True, index=True)


def _in_force(verdict):
    """A partial index's condition: judgements of one verdict not undone. Resolution and the
    network ask for just those among millions, and read them off the index alone."""
    condition = text(f"verdict = '{verdict}' AND undone_at IS NULL")
    return {"postgresql_where": condition, "sqlite_where": condition}


class CrowdedKey(db.Model):
    """A name reading held by more than resolve.CROWDED mentions. A key never loses mentions, so
    once crowded it stays so: it is looked up no more, and new mentions are not filed under it."""

    __tablename__ = "crowded_keys"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)


class Judgement(db.Model):
    __tablename__ = "judgements"
    __table_args__ = (Index("ix_judgements_pair", "left_key", "right_key"), Index("ix_judgements_right", "right_key"),
                      Index("ix_judgements_same", "left_key", "right_key", **_in_force("same")),
                      Index("ix_judgements_not_same", "left_key", "right_key", **_in_force("not_same")))
    id: Mapped[int] = mapped_column(primary_key=True)
    left_key: Mapped[str] = mapped_column(String(80))  # the lower mention key of the pair
    right_key: Mapped[str] = mapped_column(String(80))
    verdict: Mapped[str] = mapped_column(String(10))  # VERDICTS
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[float | None] = mapped_column(Float)
    features: Mapped[dict] = mapped_column(JSON, default=dict)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    undone_at: Mapped[object | None] = mapped_column(UTCDateTime)
    undone_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Candidate(db.Model):
    """Two mentions that may be one: scored and explained (`features`), waiting for an
    analyst while no judgement covers them."""

    __tablename__ = "candidates"
    __table_args__ = (UniqueConstraint("left_key", "right_key"), Index("ix_candidates_right", "right_key"))
    id: Mapped[int] = mapped_column(primary_key=True)
    left_key: Mapped[str] = mapped_column(String(80))
    right_key: Mapped[str] = mapped_column(String(80))
    score: Mapped[float] = mapped_column(Float)
    features: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
