"""The film database tables (SQLAlchemy 2 typed ORM). Schema changes go through Alembic migrations only."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class ShotRow(Base):
    """A planned shot. ``data`` is the serialized ``model.Shot``; the columns beside it are what we query on."""

    __tablename__ = "shots"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    scene: Mapped[int] = mapped_column(Integer)
    ord: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)
    stale: Mapped[bool] = mapped_column(default=False)
    # A shot that left the plan keeps its takes; it is only hidden from the cut.
    omitted: Mapped[bool] = mapped_column(default=False)
    selected_take: Mapped[int | None] = mapped_column(ForeignKey("takes.id", use_alter=True), nullable=True)
    # Director's decisions that survive re-planning (the ``data`` column is rewritten by each plan):
    locked: Mapped[bool] = mapped_column(default=False)  # a locked shot is not re-shot or re-bound
    fragment: Mapped[bool] = mapped_column(default=False)  # story-later: made from the bible, not the script
    # Continuity: {"first": {"shot": "3A", "at": "4.2s"|"last"|"first"}, "last": {"shot": "3C", "at": "first"}}
    chain: Mapped[dict] = mapped_column(JSON, default=dict)
    focus: Mapped[list | None] = mapped_column(JSON, nullable=True)  # [x, y] in 0..1, for reframing crops
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class JobRow(Base):
    """One request to a provider. ``state`` follows DESIGN §4 and is written before each side effect."""

    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("shot_code", "take_number", name="uq_job_take"), Index("ix_jobs_state", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    shot_code: Mapped[str] = mapped_column(String(32))
    take_number: Mapped[int] = mapped_column(Integer)
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lane: Mapped[str] = mapped_column(String(16), default="video")
    state: Mapped[str] = mapped_column(String(16), default="planned")
    spec: Mapped[dict] = mapped_column(JSON)
    client_ref: Mapped[str] = mapped_column(String(64), unique=True)
    remote_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    # Adapter data needed to poll/fetch after a crash (Jimeng's req_key, a synchronous API's result URLs).
    remote_data: Mapped[dict] = mapped_column(JSON, default=dict)
    estimate: Mapped[float] = mapped_column(Float, default=0.0)
    draft: Mapped[bool] = mapped_column(default=False)
    upgrade_of: Mapped[int | None] = mapped_column(ForeignKey("takes.id", use_alter=True), nullable=True)
    next_try_at: Mapped[float | None] = mapped_column(Float, nullable=True)  # epoch seconds; Retry-After
    error_class: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TakeRow(Base):
    """A generated result. Never overwritten or deleted by the program; the director rejects it instead."""

    __tablename__ = "takes"
    __table_args__ = (UniqueConstraint("shot_code", "number", name="uq_take_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shot_code: Mapped[str] = mapped_column(String(32))
    number: Mapped[int] = mapped_column(Integer)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), nullable=True)
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(128), nullable=True)
    seed: Mapped[int] = mapped_column(Integer)
    frames: Mapped[int] = mapped_column(Integer)
    fps: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    clip_sha: Mapped[str | None] = mapped_column(String(64), nullable=True)
    clip_ext: Mapped[str | None] = mapped_column(String(8), nullable=True)
    keyframe_sha: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="good")  # good | rejected
    draft: Mapped[bool] = mapped_column(default=False)
    parent_take: Mapped[int | None] = mapped_column(ForeignKey("takes.id"), nullable=True)  # draft → final
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    prompt: Mapped[str] = mapped_column(Text, default="")
    # Review (抽卡): 1–5 stars, a note, free tags. Rejecting is ``status``; none of this deletes anything.
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list] = mapped_column(JSON, default=list)
    # Provenance beyond the job: generated | uploaded | edit | grab, and the take it was made from.
    origin: Mapped[str] = mapped_column(String(16), default="generated")
    source_take: Mapped[int | None] = mapped_column(ForeignKey("takes.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def label(self) -> str:
        return f"{self.shot_code}-t{self.number:03d}"


class LedgerRow(Base):
    """Every estimate, reservation, charge and refund. Amounts in the provider's billing currency units."""

    __tablename__ = "ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))  # reserve | charge | refund
    provider: Mapped[str] = mapped_column(String(64))
    shot_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Where the amount comes from: "estimate" (rate card, before the job) or "reported" (provider usage).
    basis: Mapped[str] = mapped_column(String(16), default="estimate")
    amount: Mapped[float] = mapped_column(Float, default=0.0)
    currency: Mapped[str] = mapped_column(String(8), default="CNY")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KeyframeRow(Base):
    """A still a video take starts from or ends on: ``3A@k2``. Generated, edited, uploaded or grabbed."""

    __tablename__ = "keyframes"
    __table_args__ = (UniqueConstraint("shot_code", "number", name="uq_keyframe_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shot_code: Mapped[str] = mapped_column(String(32))
    number: Mapped[int] = mapped_column(Integer)
    sha: Mapped[str] = mapped_column(String(64))
    ext: Mapped[str] = mapped_column(String(8))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(16))  # generated | edit | uploaded | grab
    source_keyframe: Mapped[int | None] = mapped_column(ForeignKey("keyframes.id"), nullable=True)
    source_take: Mapped[int | None] = mapped_column(ForeignKey("takes.id"), nullable=True)
    source_frame: Mapped[int | None] = mapped_column(Integer, nullable=True)  # frame index in source_take
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), nullable=True)
    prompt: Mapped[str] = mapped_column(Text, default="")
    approved: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def label(self) -> str:
        return f"{self.shot_code}@k{self.number}"


class CutClipRow(Base):
    """One clip of an edited cut. With no rows the cut is derived: selected takes in shot order.

    Frames are source frames of the take's clip, half-open ``[source_in, source_out)``; ``effects`` is a
    serialized ``model.ClipEffects`` applied at render (nothing is re-encoded into the media store).
    """

    __tablename__ = "cut_clips"
    __table_args__ = (Index("ix_cut_clips_cut", "cut", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cut: Mapped[str] = mapped_column(String(32), default="main")
    position: Mapped[int] = mapped_column(Integer)
    take_id: Mapped[int] = mapped_column(ForeignKey("takes.id"))
    source_in: Mapped[int] = mapped_column(Integer, default=0)
    source_out: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: to the end of the take
    effects: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EventRow(Base):
    """The film's event stream (``take:new``, ``job:state``, ``shot:stale``) that CLI and studio both read."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
