"""The Alembic migrations of the plan database, run from code (no ``alembic.ini``).

    with engine.begin() as connection:
        before = current_revision(connection)
        upgrade(connection)                 # to the newest revision, in that transaction

``env.py`` uses the connection handed over in the Alembic config, so the whole upgrade
is one transaction of the caller's (PostgreSQL and, with the store's SQLite setup,
SQLite too roll DDL back). A new revision goes in ``versions/`` as ``NNNN_what.py``
with ``revision = "NNNN"``, written by hand with ``op`` (in ``op.batch_alter_table``
for any ALTER, so that it also runs on SQLite).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

SCRIPT_LOCATION = Path(__file__).resolve().parent


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for the migrations in this folder, bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    """The newest revision."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


@cache
def known_revisions() -> tuple[str, ...]:
    """Every revision, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return tuple(reversed([rev.revision for rev in script.walk_revisions()]))


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None for a database never migrated."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` inside the connection's transaction."""
    command.upgrade(alembic_config(connection), revision)


def downgrade(connection: Connection, revision: str) -> None:
    """Downgrade the database to ``revision`` inside the connection's transaction."""
    command.downgrade(alembic_config(connection), revision)
