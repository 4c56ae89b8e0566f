"""province packs: a campaign may extend the base and attach to an org node

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-02 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("extends", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("org_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_campaigns_org_id_org_units", "org_units", ["org_id"], ["id"])
        batch.create_index("ix_campaigns_org_id", ["org_id"])


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_index("ix_campaigns_org_id")
        batch.drop_constraint("fk_campaigns_org_id_org_units", type_="foreignkey")
        batch.drop_column("org_id")
        batch.drop_column("extends")
