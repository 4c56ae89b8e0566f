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

# The tree since 1/7/2025: province → commune/ward (optional) → school → unit/class; upper-
# secondary, vocational and continuing-education schools sit directly under the province.
# "district" is kept only as the intermediate level files made before then still name.
ORG_KINDS = ("province", "commune", "district", "school", "unit", "class")
INTERMEDIATE_KINDS = ("commune", "district")  # between a province and its schools
DEPARTMENT_KINDS = ("province", *INTERMEDIATE_KINDS)  # where a dept_admin's office sits
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
    """A node of the organisation tree: province → commune (or legacy district) → school →
    unit/class; a school may sit directly under its province."""

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


HEADCOUNT_KINDS = ("students", "families", "staff")
HEADCOUNT_SOURCES = ("import", "chat")


class Headcount(Base):
    """How many people a place really has: the denominators of the indicators.

    students and families on classes (families default to students when not given),
    staff on schools (principals included) and, where a school keeps them, on units.
    """

    __tablename__ = "headcounts"
    __table_args__ = (UniqueConstraint("org_id", "kind", name="uq_headcounts_org_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # HEADCOUNT_KINDS
    count: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))  # HEADCOUNT_SOURCES
    updated_at: Mapped[datetime]


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
    """A person's role in an org unit. A parent of children in two classes has two; of two
    children in one class, one that names both."""

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
    # Parents only, so their class's teacher can tell them apart: their children in this class
    # as the parent wrote them ("An, Bình"; dropped by /forget) and what they are to them
    # (bot.families.RELATIONS). `children` is how many children the membership covers (1 unless the parent
    # named several); it carries no name, so it stays after /forget and tallies still add up.
    child_names: Mapped[str | None] = mapped_column(String(200))
    relation: Mapped[str | None] = mapped_column(String(16))
    children: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # A staff member who heads the unit (tổ trưởng) reports its collective milestones. A staff
    # membership of a class is its homeroom teacher's, head or not.
    head: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


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
    head: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # unit head


class Campaign(Base):
    """A loaded campaign pack: the national base (one active at a time), or a province
    pack (`extends` names the base's slug) attached to an org node (`org_id`), one active
    per node. Reports always name the base's row."""

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
    extends: Mapped[str | None] = mapped_column(String(32))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)


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


NOMINATION_CHANGES = ("added", "removed")


class NominationChange(Base):
    """A principal's change to an award's shortlist (khen thưởng), with its reason.

    One row per award and person (or class, unit): the latest change stands, so a name
    removed and then added back shows as added, with the new reason; the audit log keeps
    the history. The shortlist shown is the rules' shortlist, less those removed, plus
    those added. `school_id` is the school it was decided in.
    """

    __tablename__ = "nomination_changes"
    __table_args__ = (
        UniqueConstraint(
            "campaign_id", "award_key", "person_id", name="uq_nomination_changes_person"
        ),
        UniqueConstraint("campaign_id", "award_key", "org_id", name="uq_nomination_changes_org"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    award_key: Mapped[str] = mapped_column(String(32))
    school_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))  # a class or unit
    change: Mapped[str] = mapped_column(String(8))  # NOMINATION_CHANGES
    reason: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime]


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

    A collective milestone's report belongs to a unit or class (`org_id`), not to a person:
    one row per unit and milestone, `person_id` empty, `reported_by` the head or homeroom
    teacher who sent it (emptied if they leave with /forget; the unit keeps its report).
    `level`: who recognised an initiative (school, commune, province, national).

    status: pending (waits for review), accepted (no review needed), approved,
    rejected, withdrawn.
    """

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint(
            "person_id", "campaign_id", "milestone_key", name="uq_reports_person_milestone"
        ),
        UniqueConstraint("org_id", "campaign_id", "milestone_key", name="uq_reports_org_milestone"),
        Index("ix_reports_tally", "campaign_id", "milestone_key", "status", "person_id"),
        Index("ix_reports_queue", "status", "reported_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    reported_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    milestone_key: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    level: Mapped[str | None] = mapped_column(String(16))
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


ATTEMPT_STATUSES = ("open", "finished", "abandoned")


class QuizAttempt(Base):
    """One go at a quiz. `position` is the next question to ask; an open attempt can be
    resumed, or abandoned for a new one. `rendering` is how its questions are shown:
    native quiz polls, or numbered text answers."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        Index("ix_quiz_attempts_person", "person_id", "campaign_id", "quiz_key"),
        Index("ix_quiz_attempts_tally", "campaign_id", "quiz_key", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    quiz_key: Mapped[str] = mapped_column(String(32))
    rendering: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12))
    position: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class QuizAnswer(Base):
    """A question of an attempt as it was shown: the options in their shuffled order (as
    indexes into the pack's options), the poll it went out as, and what was answered.
    `chosen` None with `closed_at` set: the poll closed unanswered (missed)."""

    __tablename__ = "quiz_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question", name="uq_quiz_answers_question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"))
    question: Mapped[int] = mapped_column(Integer)
    shown: Mapped[dict[str, Any]]  # {"order": [original option index, ...]}
    poll_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    chosen: Mapped[int | None] = mapped_column(Integer)
    correct: Mapped[bool | None] = mapped_column(Boolean)
    sent_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


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


class Snapshot(Base):
    """An indicator's figures at one org node (school and above) in one week, taken by the
    scheduler once a week: the points of /stats's line over time. `week` is the Monday."""

    __tablename__ = "snapshots"
    __table_args__ = (
        UniqueConstraint("org_id", "indicator", "week", name="uq_snapshots_org_indicator_week"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"))
    indicator: Mapped[str] = mapped_column(String(64))  # "" marks the node as taken
    week: Mapped[date] = mapped_column(index=True)
    population: Mapped[int] = mapped_column(Integer)  # joined (people) or units counted
    achieved: Mapped[int] = mapped_column(Integer)
    headcount: Mapped[int | None] = mapped_column(Integer)  # people with a headcount only
    counted: Mapped[int | None] = mapped_column(Integer)  # achieved within the headcounts
    taken_at: Mapped[datetime]
