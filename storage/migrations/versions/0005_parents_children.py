"""a parent's children and relation on their membership

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(sa.Column("child_names", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("relation", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("children", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("children")
        batch.drop_column("relation")
        batch.drop_column("child_names")
