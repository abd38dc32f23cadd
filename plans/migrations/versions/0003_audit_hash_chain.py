"""The audit trail as a hash chain per plan (plans/chain.py), back-filled for the rows
already there, and stricter guards: TRUNCATE refused on PostgreSQL, an INSERT that would
replace a row (``INSERT OR REPLACE``) refused on SQLite.

The back-fill walks each plan's rows in the order they were written (by id) and gives
them ``seq`` 1, 2, 3, … and their hashes. The append-only triggers are dropped for it and
made again afterwards, in the same transaction.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plans.chain import GENESIS, row_hash

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: The guards of 0001 (refuse UPDATE and DELETE).
GUARDS_0001 = {
    "sqlite": [
        "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
        "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END",
        "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
        "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END",
    ],
    "postgresql": [
        "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    ],
}
#: And since 0003: no TRUNCATE (PostgreSQL), no INSERT over an existing row (SQLite's
#: REPLACE deletes the old row without firing the DELETE trigger).
GUARDS_0003 = {
    "sqlite": [
        "CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit "
        "WHEN EXISTS (SELECT 1 FROM audit WHERE id = NEW.id "
        "OR (plan_id = NEW.plan_id AND seq = NEW.seq)) "
        "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END",
    ],
    "postgresql": [
        "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
    ],
}
DROP = {
    "audit_no_update": {"sqlite": "DROP TRIGGER IF EXISTS audit_no_update"},
    "audit_no_delete": {"sqlite": "DROP TRIGGER IF EXISTS audit_no_delete"},
    "audit_no_replace": {"sqlite": "DROP TRIGGER IF EXISTS audit_no_replace"},
    "audit_append_only": {"postgresql": "DROP TRIGGER IF EXISTS audit_append_only ON audit"},
    "audit_no_truncate": {"postgresql": "DROP TRIGGER IF EXISTS audit_no_truncate ON audit"},
}

_AUDIT = sa.table(
    "audit",
    sa.column("id", sa.Integer), sa.column("plan_id", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)), sa.column("who", sa.String),
    sa.column("entity", sa.String), sa.column("entity_id", sa.Integer),
    sa.column("operation", sa.String), sa.column("before", sa.JSON(none_as_null=True)),
    sa.column("after", sa.JSON(none_as_null=True)), sa.column("seq", sa.Integer),
    sa.column("prev_hash", sa.String), sa.column("row_hash", sa.String),
)
_CHAIN = ("seq", "prev_hash", "row_hash")


def _drop_guards(dialect: str) -> None:
    for statements in DROP.values():
        if dialect in statements:
            op.execute(statements[dialect])


def _back_fill() -> None:
    """Number and hash every plan's rows in the order they were written."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(_AUDIT).order_by(_AUDIT.c.plan_id, _AUDIT.c.id)).all()
    last: dict[int, tuple[int, str]] = {}
    for row in rows:
        seq, prev = last.get(row.plan_id, (0, GENESIS))
        values = dict(row._mapping) | {"seq": seq + 1}
        digest = row_hash(prev, values)
        bind.execute(sa.update(_AUDIT).where(_AUDIT.c.id == row.id)
                     .values(seq=seq + 1, prev_hash=prev, row_hash=digest))
        last[row.plan_id] = (seq + 1, digest)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_guards(dialect)
    with op.batch_alter_table("audit") as batch:
        batch.add_column(sa.Column("seq", sa.Integer, nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("row_hash", sa.String(64), nullable=True))
    _back_fill()
    with op.batch_alter_table("audit") as batch:
        batch.alter_column("seq", existing_type=sa.Integer, nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("row_hash", existing_type=sa.String(64), nullable=False)
    op.create_index("uq_audit_plan_id_seq", "audit", ["plan_id", "seq"], unique=True)
    for statement in GUARDS_0001.get(dialect, []) + GUARDS_0003.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_guards(dialect)
    op.drop_index("uq_audit_plan_id_seq", table_name="audit")
    with op.batch_alter_table("audit") as batch:
        for name in _CHAIN:
            batch.drop_column(name)
    for statement in GUARDS_0001.get(dialect, []):
        op.execute(statement)
