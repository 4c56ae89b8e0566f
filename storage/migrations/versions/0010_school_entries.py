"""self-assessments and school figures

Revision ID: 0010
Revises: 0004
Create Date: 2026-12-02 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "self_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("school_year", sa.Integer(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("met", sa.JSON(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("entered_by", sa.Integer(), nullable=True),
        sa.Column("entered_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entered_by"], ["people.id"],
            name=op.f("fk_self_assessments_entered_by_people"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["org_units.id"], name=op.f("fk_self_assessments_org_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_assessments")),
        sa.UniqueConstraint("org_id", "school_year", name="uq_self_assessments_year"),
    )
    op.create_index(
        op.f("ix_self_assessments_org_id"), "self_assessments", ["org_id"], unique=False
    )
    op.create_table(
        "school_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("school_year", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("out_of", sa.Float(), nullable=False),
        sa.Column("entered_by", sa.Integer(), nullable=True),
        sa.Column("entered_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entered_by"], ["people.id"],
            name=op.f("fk_school_figures_entered_by_people"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["org_units.id"], name=op.f("fk_school_figures_org_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_figures")),
        sa.UniqueConstraint("org_id", "school_year", "key", name="uq_school_figures_year_key"),
    )
    op.create_index(op.f("ix_school_figures_org_id"), "school_figures", ["org_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_school_figures_org_id"), table_name="school_figures")
    op.drop_table("school_figures")
    op.drop_index(op.f("ix_self_assessments_org_id"), table_name="self_assessments")
    op.drop_table("self_assessments")
