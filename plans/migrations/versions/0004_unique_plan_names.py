"""Plan names unique per kommun in the database itself: a column ``name_key`` (the name as
a reader compares it: case and runs of spaces aside) and a unique index on
(``kommun``, ``name_key``) over the plans not removed. Until now only the store checked
the name, inside the write transaction; on PostgreSQL two saves at the same instant
could both pass that check.

A database may already hold plans of one kommun whose names a reader cannot tell apart.
They are renamed, not refused: refusing would leave the database unopenable by this
prevmap, and the only way out would be an edit by hand that the audit trail does not
see. The oldest plan (lowest id) keeps its name; each later one gets " (2)", " (3)", …
(the first suffix free in its kommun), one more version, and an audit row "ändrad" by
:data:`WHO`, chained as the store chains its rows (plans/chain.py), so the renaming is in
the plan's history and the store's upgrade notice names it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from plans.chain import GENESIS, row_hash
from plans.model import MAX_TEXT

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: Who the audit trail says renamed a plan whose name another plan of its kommun had
#: (plans.store.UPGRADE_RENAMER: the store's upgrade notice lists these renamings).
WHO = "prevmap (uppgradering 0004)"
INDEX = "uq_plans_kommun_name_key"
_CURRENT = sa.text("removed_at IS NULL")

_PLANS = sa.table(
    "plans", sa.column("id", sa.Integer), sa.column("name", sa.String),
    sa.column("kommun", sa.String), sa.column("description", sa.String),
    sa.column("version", sa.Integer), sa.column("removed_at", sa.DateTime(timezone=True)),
    sa.column("name_key", sa.Text))
_AUDIT = sa.table(
    "audit",
    sa.column("id", sa.Integer), sa.column("plan_id", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)), sa.column("who", sa.String),
    sa.column("entity", sa.String), sa.column("entity_id", sa.Integer),
    sa.column("operation", sa.String), sa.column("before", sa.JSON(none_as_null=True)),
    sa.column("after", sa.JSON(none_as_null=True)), sa.column("seq", sa.Integer),
    sa.column("prev_hash", sa.String), sa.column("row_hash", sa.String))


def name_key(name: str) -> str:
    """The name as the store compares names (plans.store._same_name), kept here as it was
    at this revision."""
    return " ".join(name.split()).casefold()


def _free_name(name: str, taken: set[str]) -> str:
    """``name`` with the first suffix " (n)", n ≥ 2, whose key is not in ``taken``."""
    n = 2
    while True:
        suffix = f" ({n})"
        candidate = name[:MAX_TEXT - len(suffix)] + suffix
        if name_key(candidate) not in taken:
            return candidate
        n += 1


def _audit_rename(bind: sa.Connection, plan: sa.Row, new_name: str, at: dt.datetime) -> None:
    """The renaming as an audit row at the end of the plan's chain."""
    last = bind.execute(sa.select(_AUDIT.c.seq, _AUDIT.c.row_hash)
                        .where(_AUDIT.c.plan_id == plan.id)
                        .order_by(_AUDIT.c.seq.desc()).limit(1)).one_or_none()
    seq, prev = (0, GENESIS) if last is None else (last.seq, last.row_hash)
    if bind.dialect.name == "postgresql":
        audit_id = bind.execute(sa.text(
            "SELECT nextval(pg_get_serial_sequence('audit', 'id'))")).scalar_one()
    else:
        audit_id = bind.execute(sa.select(sa.func.coalesce(sa.func.max(_AUDIT.c.id), 0) + 1)
                                ).scalar_one()
    before = {"name": plan.name, "kommun": plan.kommun, "description": plan.description,
              "id": plan.id, "version": plan.version}
    row = {"id": audit_id, "plan_id": plan.id, "seq": seq + 1, "at": at, "who": WHO,
           "entity": "plan", "entity_id": plan.id, "operation": "ändrad", "before": before,
           "after": before | {"name": new_name, "version": plan.version + 1}}
    bind.execute(sa.insert(_AUDIT).values(row | {"prev_hash": prev,
                                                 "row_hash": row_hash(prev, row)}))


def _fill_keys_and_rename() -> None:
    bind = op.get_bind()
    at = dt.datetime.now(dt.UTC)
    rows = bind.execute(sa.select(_PLANS).order_by(_PLANS.c.id)).all()
    taken: dict[str, set[str]] = {}           # per kommun, the keys of current plans
    for row in rows:
        name, key = row.name, name_key(row.name)
        if row.removed_at is None:
            keys = taken.setdefault(row.kommun, set())
            if key in keys:
                name = _free_name(row.name, keys | {name_key(r.name) for r in rows
                                                    if r.kommun == row.kommun
                                                    and r.removed_at is None})
                key = name_key(name)
                _audit_rename(bind, row, name, at)
            keys.add(key)
        values = {"name_key": key}
        if name != row.name:
            values |= {"name": name, "version": row.version + 1}
        bind.execute(sa.update(_PLANS).where(_PLANS.c.id == row.id).values(values))


def upgrade() -> None:
    # A plain ADD COLUMN, not a batch: on SQLite a batch copies the table, and with foreign
    # keys on (plans.store) the old ``plans`` cannot be dropped under its areas, goals and
    # actions. SQLite adds a NOT NULL column only with a default; it stays there (the store
    # always writes the key), PostgreSQL's is dropped once the keys are filled.
    op.add_column("plans", sa.Column("name_key", sa.Text, nullable=False, server_default=""))
    _fill_keys_and_rename()
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("plans", "name_key", server_default=None)
    op.create_index(INDEX, "plans", ["kommun", "name_key"], unique=True,
                    sqlite_where=_CURRENT, postgresql_where=_CURRENT)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="plans")
    op.execute("ALTER TABLE plans DROP COLUMN name_key")     # SQLite ≥ 3.35 too, no copy
