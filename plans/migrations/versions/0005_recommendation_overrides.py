"""A samordnare's overrides of the recommended approach (issue 19): the table
``recommendation_overrides``, one current row per area and plan, edited and audited as the
plan's other items (entity "override" in the audit trail). Nothing existing changes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLE = "recommendation_overrides"
TEXT = 500          # plans.model.MAX_TEXT at this revision
_CURRENT = sa.text("removed_at IS NULL")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("plan_id", sa.Integer, nullable=False),
        sa.Column("area_id", sa.String(TEXT), nullable=False),
        sa.Column("intensity", sa.String(16), nullable=False),
        sa.Column("focus", sa.String(TEXT), nullable=False),
        sa.Column("reason", sa.String(TEXT), nullable=False),
        sa.Column("recommended_intensity", sa.String(16), nullable=False),
        sa.Column("recommended_focus", sa.String(TEXT), nullable=False),
        sa.Column("settings", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.String(TEXT), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=f"fk_{TABLE}_plan_id_plans"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{TABLE}"),
    )
    op.create_index(f"uq_{TABLE}_current", TABLE, ["plan_id", "area_id"], unique=True,
                    sqlite_where=_CURRENT, postgresql_where=_CURRENT)


def downgrade() -> None:
    op.drop_index(f"uq_{TABLE}_current", table_name=TABLE)
    op.drop_table(TABLE)
