"""collective reports (a unit's or class's own), recognition levels, unit heads

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-02 17:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.alter_column("person_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("org_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reported_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("level", sa.String(length=16), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_reports_org_id_org_units"), "org_units", ["org_id"], ["id"]
        )
        batch.create_foreign_key(
            batch.f("fk_reports_reported_by_people"),
            "people",
            ["reported_by"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(batch.f("ix_reports_org_id"), ["org_id"], unique=False)
        batch.create_index(batch.f("ix_reports_reported_by"), ["reported_by"], unique=False)
        batch.create_unique_constraint(
            "uq_reports_org_milestone", ["org_id", "campaign_id", "milestone_key"]
        )
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(sa.Column("head", sa.Boolean(), server_default="0", nullable=False))
    with op.batch_alter_table("invites") as batch:
        batch.add_column(sa.Column("head", sa.Boolean(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("invites") as batch:
        batch.drop_column("head")
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("head")
    op.execute("DELETE FROM reports WHERE person_id IS NULL")
    with op.batch_alter_table("reports") as batch:
        batch.drop_constraint("uq_reports_org_milestone", type_="unique")
        batch.drop_index(batch.f("ix_reports_reported_by"))
        batch.drop_index(batch.f("ix_reports_org_id"))
        batch.drop_constraint(batch.f("fk_reports_reported_by_people"), type_="foreignkey")
        batch.drop_constraint(batch.f("fk_reports_org_id_org_units"), type_="foreignkey")
        batch.drop_column("level")
        batch.drop_column("reported_by")
        batch.drop_column("org_id")
        batch.alter_column("person_id", existing_type=sa.Integer(), nullable=False)
