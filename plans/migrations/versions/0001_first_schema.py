"""The first schema: plans, their areas, goals and actions, and the audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TEXT = 500
CURRENT = sa.text("removed_at IS NULL")

#: The audit trail only grows: UPDATE and DELETE on it fail in the database itself.
APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
        "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END",
        "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
        "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit is append-only'; END $$",
        "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    ],
}
DROP_APPEND_ONLY = {
    "sqlite": ["DROP TRIGGER audit_no_update", "DROP TRIGGER audit_no_delete"],
    "postgresql": ["DROP TRIGGER audit_append_only ON audit",
                   "DROP FUNCTION audit_append_only()"],
}


def _editable() -> list[sa.Column]:
    return [
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.String(TEXT), nullable=True),
    ]


def _plan_id(table: str) -> list:
    return [sa.Column("plan_id", sa.Integer, nullable=False),
            sa.ForeignKeyConstraint(["plan_id"], ["plans.id"],
                                    name=f"fk_{table}_plan_id_plans")]


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(TEXT), nullable=False),
        sa.Column("kommun", sa.String(4), nullable=False),
        sa.Column("description", sa.String(TEXT), nullable=False),
        *_editable(),
        sa.PrimaryKeyConstraint("id", name="pk_plans"),
    )
    op.create_table(
        "plan_areas",
        sa.Column("id", sa.Integer, nullable=False),
        *_plan_id("plan_areas"),
        sa.Column("area_id", sa.String(TEXT), nullable=False),
        sa.Column("area_name", sa.String(TEXT), nullable=False),
        sa.Column("reason", sa.String(TEXT), nullable=False),
        *_editable(),
        sa.PrimaryKeyConstraint("id", name="pk_plan_areas"),
    )
    op.create_index("ix_plan_areas_plan_id", "plan_areas", ["plan_id"])
    op.create_index("uq_plan_areas_current", "plan_areas", ["plan_id", "area_id"],
                    unique=True, sqlite_where=CURRENT, postgresql_where=CURRENT)
    op.create_table(
        "goals",
        sa.Column("id", sa.Integer, nullable=False),
        *_plan_id("goals"),
        sa.Column("area_id", sa.String(TEXT), nullable=False),
        sa.Column("indicator_id", sa.Text, nullable=False),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("baseline_year", sa.Integer, nullable=False),
        sa.Column("baseline_value", sa.Double, nullable=False),
        sa.Column("target_value", sa.Double, nullable=False),
        sa.Column("target_year", sa.Integer, nullable=False),
        sa.Column("note", sa.String(TEXT), nullable=False),
        *_editable(),
        sa.PrimaryKeyConstraint("id", name="pk_goals"),
    )
    op.create_index("ix_goals_plan_id_area_id", "goals", ["plan_id", "area_id"])
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer, nullable=False),
        *_plan_id("actions"),
        sa.Column("area_id", sa.String(TEXT), nullable=False),
        sa.Column("title", sa.String(TEXT), nullable=False),
        sa.Column("actor", sa.String(TEXT), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=True),
        sa.Column("note", sa.String(TEXT), nullable=False),
        *_editable(),
        sa.PrimaryKeyConstraint("id", name="pk_actions"),
    )
    op.create_index("ix_actions_plan_id_area_id", "actions", ["plan_id", "area_id"])
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, nullable=False),
        *_plan_id("audit"),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("who", sa.String(TEXT), nullable=False),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("entity_id", sa.Integer, nullable=False),
        sa.Column("operation", sa.String(16), nullable=False),
        sa.Column("before", sa.JSON, nullable=True),
        sa.Column("after", sa.JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit"),
    )
    op.create_index("ix_audit_plan_id_id", "audit", ["plan_id", "id"])
    for statement in APPEND_ONLY.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_APPEND_ONLY.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    for table in ("audit", "actions", "goals", "plan_areas", "plans"):
        op.drop_table(table)
