"""Tables. Names follow the domain: org units, people, memberships, invites."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ORG_KINDS = ("province", "district", "school", "unit", "class")
# What kind of school a "school" node is (None for other nodes, or not known yet):
# QĐ 4725 covers general and continuing education, not kindergartens or vocational schools.
SCHOOL_LEVELS = (
    "kindergarten",
    "primary",
    "lower_secondary",
    "upper_secondary",
    "multi_level",
    "continuing",
    "vocational",
)
ROLES = ("parent", "student", "staff", "principal", "dept_admin")
PERSON_STATUSES = ("active", "unreachable", "forgotten")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), date: Date()}


class OrgUnit(Base):
    """A node of the organisation tree: province → district → school → unit/class."""

    __tablename__ = "org_units"
    __table_args__ = (UniqueConstraint("parent_id", "kind", "name", name="uq_org_units_sibling"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    # Materialised path "/1/4/9/" so a subtree is one indexed range. Byte order ("C"
    # collation on PostgreSQL) keeps "/" below the digits whatever the server's locale.
    path: Mapped[str] = mapped_column(
        String(400).with_variant(String(400, collation="C"), "postgresql"), index=True, default=""
    )
    created_at: Mapped[datetime]
    level: Mapped[str | None] = mapped_column(String(24))  # SCHOOL_LEVELS, schools only


class Person(Base):
    """Someone who accepted the consent text. Deleted data leaves status 'forgotten'."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    tg_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    consent_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime]
    # /settings: own quiet hours ("HH:MM-HH:MM"; None: the school's), and whether
    # non-urgent announcements are wanted (urgent notices always arrive).
    quiet_hours: Mapped[str | None] = mapped_column(String(16))
    announcements: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")


class Membership(Base):
    """A person's role in an org unit. A parent of two children has two."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("person_id", "org_id", "role", name="uq_memberships_person_org_role"),
        Index("ix_memberships_org_role", "org_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    role: Mapped[str] = mapped_column(String(16))
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("invites.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class Invite(Base):
    """An unguessable code that grants a role in an org unit."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime | None]
    max_uses: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Campaign(Base):
    """A loaded campaign pack. Only one is active at a time."""

    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("slug", "version", name="uq_campaigns_slug_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[dict[str, Any]]
    source: Mapped[str] = mapped_column(String(400))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    loaded_at: Mapped[datetime]
    # The whole validated pack, so it can be rebuilt exactly as loaded.
    pack: Mapped[dict[str, Any]]


class MilestoneDef(Base):
    __tablename__ = "milestone_defs"
    __table_args__ = (UniqueConstraint("campaign_id", "key", name="uq_milestone_defs_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(64))  # comma-separated roles
    domain: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(String(24))
    verification: Mapped[bool] = mapped_column(Boolean)
    title: Mapped[dict[str, Any]]


class IndicatorDef(Base):
    __tablename__ = "indicator_defs"
    __table_args__ = (UniqueConstraint("campaign_id", "key", name="uq_indicator_defs_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(32))
    counts: Mapped[str] = mapped_column(String(16))
    audience: Mapped[str] = mapped_column(String(64))
    milestones: Mapped[str] = mapped_column(String(400))
    rule: Mapped[str] = mapped_column(String(8))
    target_percent: Mapped[float] = mapped_column(Float)
    title: Mapped[dict[str, Any]]


class DeadlineDef(Base):
    __tablename__ = "deadline_defs"
    __table_args__ = (UniqueConstraint("campaign_id", "key", name="uq_deadline_defs_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(64))
    due_date: Mapped[date | None]
    yearly: Mapped[str | None] = mapped_column(String(8))
    remind_days_before: Mapped[str] = mapped_column(String(64))
    completes: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[dict[str, Any]]


class QuizDef(Base):
    __tablename__ = "quiz_defs"
    __table_args__ = (UniqueConstraint("campaign_id", "key", name="uq_quiz_defs_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(64))
    domain: Mapped[int] = mapped_column(Integer)
    pass_percent: Mapped[float] = mapped_column(Float)
    awards: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[dict[str, Any]]
    questions: Mapped[dict[str, Any]]


class AuditEntry(Base):
    """Privileged actions: who did what to which record, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(48))
    target: Mapped[str | None] = mapped_column(String(96))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ConversationState(Base):
    """aiogram FSM state and data, keyed by bot, chat and user."""

    __tablename__ = "conversation_states"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    state: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


REPORT_STATUSES = ("pending", "approved", "accepted", "rejected", "withdrawn")
COUNTED = ("approved", "accepted")


class Report(Base):
    """A person's claim to a milestone. One row per person and milestone: reporting again
    replaces it. Evidence is Telegram's file id and metadata, never the bytes.

    status: pending (waits for review), accepted (no review needed), approved,
    rejected, withdrawn.
    """

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint(
            "person_id", "campaign_id", "milestone_key", name="uq_reports_person_milestone"
        ),
        Index("ix_reports_tally", "campaign_id", "milestone_key", "status", "person_id"),
        Index("ix_reports_queue", "status", "reported_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    milestone_key: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    # Bumped on every resubmission: a decision names the revision its reviewer saw.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    evidence_kind: Mapped[str | None] = mapped_column(String(16))
    evidence_file_id: Mapped[str | None] = mapped_column(String(256))
    evidence_unique_id: Mapped[str | None] = mapped_column(String(128))
    evidence_mime: Mapped[str | None] = mapped_column(String(128))
    evidence_size: Mapped[int | None] = mapped_column(Integer)
    evidence_name: Mapped[str | None] = mapped_column(String(256))
    caption: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text)


OUTBOX_STATUSES = ("queued", "sending", "sent", "failed", "blocked", "cancelled")


class OutboxMessage(Base):
    """One message for one chat, written in the transaction that decided to send it.

    The sender claims queued rows whose `not_before` has come (status `sending`,
    `claimed_at`), sends them at Telegram's pace and records the outcome: `sent`
    (with Telegram's message id), `failed` (with `error`), `blocked` (403: the
    person is marked unreachable). Rows left `sending` by a crash are sent again.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "not_before", "id"),
        Index("ix_outbox_broadcast", "broadcast_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16))  # notice, broadcast, reminder, ...
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16), default="message")  # message, photo, document
    text: Mapped[str] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(256))
    markup: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    quiet_hours: Mapped[str | None] = mapped_column(String(16))  # the recipient's own
    not_before: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


BROADCAST_STATUSES = ("scheduled", "sending", "done", "cancelled")


class Broadcast(Base):
    """A notice to an audience, sent now or at `send_at`, through the outbox."""

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_due", "status", "send_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    audience: Mapped[dict[str, Any]]  # {"roles": [...], "orgs": [...], "missing": key}
    text: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    media_kind: Mapped[str | None] = mapped_column(String(16))
    media_file_id: Mapped[str | None] = mapped_column(String(256))
    needs_ack: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    send_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    total: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)  # unreachable or opted out
    # The sender's chat and the outbox row of the progress message edited in place.
    sender_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_outbox_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class Acknowledgement(Base):
    """A recipient pressed "I have read this"."""

    __tablename__ = "acknowledgements"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "person_id", name="uq_acknowledgements_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]


class SchoolDeadline(Base):
    """A deadline a principal or department added in chat (/deadline), for their subtree."""

    __tablename__ = "school_deadlines"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(64))  # comma-separated roles
    due_date: Mapped[date]
    remind_days_before: Mapped[str] = mapped_column(String(64))  # "7,3,1"
    completes: Mapped[str | None] = mapped_column(String(32))
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class Firing(Base):
    """Something the scheduler (or a nudge) did once, by key: the row is its idempotence.

    Keys name the item and its occurrence, such as `reminder:pack:award_dossiers:2027-05-25:7`,
    `announcement:school_year_start:2027` or `nudge:12:vneid:2026-12-01`. The row is written in
    the same transaction as the messages it queued, so a second tick finds it and does nothing.
    """

    __tablename__ = "firings"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    fired_at: Mapped[datetime]
    recipients: Mapped[int] = mapped_column(Integer, default=0)


class SelfAssessmentEntry(Base):
    """A school's QĐ 4725 self-assessment for one school year (2025 = 2025–2026)."""

    __tablename__ = "self_assessments"
    __table_args__ = (UniqueConstraint("org_id", "school_year", name="uq_self_assessments_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    school_year: Mapped[int] = mapped_column(Integer)
    scores: Mapped[dict[str, Any]]  # criteria group id -> score 0..100
    met: Mapped[dict[str, Any]]  # {"items": [mandatory item ids met]}
    level: Mapped[int] = mapped_column(Integer)
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime]


class SchoolFigureEntry(Base):
    """A school-level number out of its denominator for one school year (records digitised…)."""

    __tablename__ = "school_figures"
    __table_args__ = (
        UniqueConstraint("org_id", "school_year", "key", name="uq_school_figures_year_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    school_year: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(32))
    value: Mapped[float] = mapped_column(Float)
    out_of: Mapped[float] = mapped_column(Float)
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime]
