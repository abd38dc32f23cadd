"""An action's cost in kronor (unknown for the actions saved before), and an index for
the history of one item.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("actions") as batch:
        batch.add_column(sa.Column("cost_sek", sa.Double, nullable=True))
    op.create_index("ix_audit_entity_entity_id", "audit", ["entity", "entity_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_entity_entity_id", table_name="audit")
    with op.batch_alter_table("actions") as batch:
        batch.drop_column("cost_sek")
