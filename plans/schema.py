"""The database schema of the åtgärdsplaner, in one place.

Four editable tables (``plans``, ``plan_areas``, ``goals``, ``actions``) and the
append-only ``audit`` table. Every editable row has

- ``version``: 1 when created, one more at every change; a write names the version it
  read and changes nothing if the row has moved on (optimistic locking, see
  :mod:`plans.store`);
- ``removed_at``/``removed_by``: removal is soft, the row stays.

Every change adds one ``audit`` row: who, when (UTC), which entity and row, the
operation ("skapad", "ändrad", "borttagen") and the item before and after as JSON.
Migration 0001 also adds database triggers that refuse UPDATE and DELETE on ``audit``;
0003 chains each plan's audit rows by hash (``seq``, ``prev_hash``, ``row_hash``, see
:mod:`plans.chain`), refuses TRUNCATE on PostgreSQL and, on SQLite, an INSERT that would
replace an existing row (``INSERT OR REPLACE``).

Goals and actions name their area by its code (``area_id``, as in
:mod:`plans.model`), not by the ``plan_areas`` row: the store checks that the area is
in the plan. The migrations (``plans/migrations/versions``) build exactly this schema;
a test compares the migrated database with :data:`metadata`.
"""

from __future__ import annotations

import sqlalchemy as sa

from plans.model import MAX_TEXT

#: Entities of the audit trail, and the operations on them.
ENTITIES = ("plan", "area", "goal", "action", "override")
OPERATIONS = ("skapad", "ändrad", "borttagen")

metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

_CURRENT = sa.text("removed_at IS NULL")


def _text(name: str, *, nullable: bool = False) -> sa.Column:
    """A text the model limits to MAX_TEXT characters."""
    return sa.Column(name, sa.String(MAX_TEXT), nullable=nullable)


def _editable() -> list[sa.Column]:
    """The columns every editable table has: its version and its soft removal."""
    return [
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        _text("removed_by", nullable=True),
    ]


def _plan_id() -> sa.Column:
    return sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False)


plans = sa.Table(
    "plans", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _text("name"),
    sa.Column("kommun", sa.String(4), nullable=False),
    _text("description"),
    *_editable(),
    # the name as a reader compares it (plans.store.name_key), since migration 0004: two
    # current plans of one kommun never share it, whatever the timing of their saves
    sa.Column("name_key", sa.Text, nullable=False),
    sa.Index("uq_plans_kommun_name_key", "kommun", "name_key", unique=True,
             sqlite_where=_CURRENT, postgresql_where=_CURRENT),
)

plan_areas = sa.Table(
    "plan_areas", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _plan_id(),
    _text("area_id"),
    _text("area_name"),
    _text("reason"),
    *_editable(),
    sa.Index("ix_plan_areas_plan_id", "plan_id"),
    # an area is in a plan at most once at a time (a removed one may be added again)
    sa.Index("uq_plan_areas_current", "plan_id", "area_id", unique=True,
             sqlite_where=_CURRENT, postgresql_where=_CURRENT),
)

goals = sa.Table(
    "goals", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _plan_id(),
    _text("area_id"),
    sa.Column("indicator_id", sa.Text, nullable=False),
    sa.Column("unit", sa.Text, nullable=False),
    sa.Column("baseline_year", sa.Integer, nullable=False),
    sa.Column("baseline_value", sa.Double, nullable=False),
    sa.Column("target_value", sa.Double, nullable=False),
    sa.Column("target_year", sa.Integer, nullable=False),
    _text("note"),
    *_editable(),
    sa.Index("ix_goals_plan_id_area_id", "plan_id", "area_id"),
)

actions = sa.Table(
    "actions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _plan_id(),
    _text("area_id"),
    _text("title"),
    _text("actor"),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=True),
    sa.Column("cost_sek", sa.Double, nullable=True),          # since migration 0002
    _text("note"),
    *_editable(),
    sa.Index("ix_actions_plan_id_area_id", "plan_id", "area_id"),
)

# a samordnare's change of the recommended approach for an area (issue 19, migration 0005):
# at most one current per area and plan
overrides = sa.Table(
    "recommendation_overrides", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _plan_id(),
    _text("area_id"),
    sa.Column("intensity", sa.String(16), nullable=False),
    _text("focus"),
    _text("reason"),
    sa.Column("recommended_intensity", sa.String(16), nullable=False),
    _text("recommended_focus"),
    sa.Column("settings", sa.String(64), nullable=False),
    *_editable(),
    sa.Index("uq_recommendation_overrides_current", "plan_id", "area_id", unique=True,
             sqlite_where=_CURRENT, postgresql_where=_CURRENT),
)

audit = sa.Table(
    "audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _plan_id(),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    _text("who"),
    sa.Column("entity", sa.String(16), nullable=False),
    sa.Column("entity_id", sa.Integer, nullable=False),
    sa.Column("operation", sa.String(16), nullable=False),
    sa.Column("before", sa.JSON(none_as_null=True), nullable=True),   # None: created
    sa.Column("after", sa.JSON(none_as_null=True), nullable=True),    # None: removed
    # the plan's hash chain (plans/chain.py), since migration 0003
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("row_hash", sa.String(64), nullable=False),
    sa.Index("ix_audit_plan_id_id", "plan_id", "id"),
    sa.Index("ix_audit_entity_entity_id", "entity", "entity_id"),   # since migration 0002
    sa.Index("uq_audit_plan_id_seq", "plan_id", "seq", unique=True),  # since 0003: no fork
)

#: The editable table of each audited entity.
TABLES: dict[str, sa.Table] = {"plan": plans, "area": plan_areas, "goal": goals,
                               "action": actions, "override": overrides}
#: Model fields stored under another column name ("end" is an SQL keyword).
COLUMN_OF_FIELD = {"start": "start_date", "end": "end_date"}
