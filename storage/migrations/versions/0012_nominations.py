"""nomination changes: a principal's additions to and removals from award shortlists

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nomination_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("award_key", sa.String(length=32), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("change", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.Column("changed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"],
            name=op.f("fk_nomination_changes_campaign_id_campaigns"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["org_units.id"],
            name=op.f("fk_nomination_changes_school_id_org_units"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"],
            name=op.f("fk_nomination_changes_person_id_people"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["org_units.id"], name=op.f("fk_nomination_changes_org_id_org_units")
        ),
        sa.ForeignKeyConstraint(
            ["changed_by"], ["people.id"],
            name=op.f("fk_nomination_changes_changed_by_people"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nomination_changes")),
        sa.UniqueConstraint(
            "campaign_id", "award_key", "person_id", name="uq_nomination_changes_person"
        ),
        sa.UniqueConstraint("campaign_id", "award_key", "org_id", name="uq_nomination_changes_org"),
    )
    op.create_index(
        op.f("ix_nomination_changes_school_id"), "nomination_changes", ["school_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_nomination_changes_school_id"), table_name="nomination_changes")
    op.drop_table("nomination_changes")
