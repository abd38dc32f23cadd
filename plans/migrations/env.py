"""Alembic's environment: migrate the connection that the caller put in the config.

Only :func:`plans.migrations.upgrade` and friends run this (there is no alembic.ini);
imported any other way (e.g. by a walk over the package) it does nothing.
"""

from __future__ import annotations

from alembic import context

from plans.schema import metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("plans.migrations runs only on a connection given in "
                           "config.attributes['connection'] (see plans.migrations.upgrade)")
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if hasattr(context, "config"):        # run by Alembic, not merely imported
    run_migrations()
