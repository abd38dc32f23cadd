"""Åtgärdsplaner in a database: a SQLite file (the default) or PostgreSQL (shared).

    store = PlanStore.open()                         # where: see database_url()
    plan = store.create_plan(Plan("Trygg uppväxt 2027", kommun="0126"), who="anna")
    store.add_area(plan.id, PlanArea("0126R001", "Flemingsberg västra"), who="anna")
    goal = store.add_goal(plan.id, Goal(...), catalogue, who="anna")
    goal = store.update_goal(replace(goal, target_value=8.0), catalogue, who="anna")
    store.contents(plan.id)                          # PlanContents: the current rows
    store.history(plan.id)                           # AuditEntry, oldest first

Every write checks its input (:mod:`plans.model`), names who makes it and adds its audit
rows in the same transaction. Nothing is deleted (removal is soft) and nothing is changed
without its before-state in the audit trail. An update or a removal names the version of
the item it read: if somebody changed or removed the item since, PlanConflictError says
who and when, and nothing is saved. Writes to one plan take turns (the plan's row is
locked on PostgreSQL, SQLite has one writer at a time), so the checks of a write (is the
area in the plan, is the version current) hold until it commits.

Opening a database upgrades it to the newest schema (:mod:`plans.migrations`) in one
transaction; ``store.notice`` then says so, in Swedish, for the user.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import sqlite3
import time
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from indicators.catalogue import Catalogue
from indicators.errors import PrevmapError, Problem, Problems
from plans import migrations, schema
from plans.chain import GENESIS, Break, first_break, row_hash
from plans.config import ENV_CONFIG, settings_path
from plans.model import (
    FIELD_LABELS,
    MAX_TEXT,
    Action,
    AuditEntry,
    Goal,
    Override,
    Plan,
    PlanArea,
    PlanConflictError,
    PlanContents,
    PlanInputError,
    as_dict,
    check_action,
    check_area,
    check_goal,
    check_override,
    check_plan,
)

log = logging.getLogger(__name__)

ENV_URL = "PREVMAP_DATABASE_URL"
#: The owner of the PostgreSQL schema, who runs the migrations (the app role may not).
ENV_OWNER_URL = "PREVMAP_DATABASE_OWNER_URL"
ENV_DATA = "PREVMAP_DATA"
DATABASE_FILE = "plans.sqlite"
SQLITE_BUSY_SECONDS = 30
CONNECT_SECONDS = 10
#: PostgreSQL advisory lock held while a database is upgraded (two openers take turns).
MIGRATION_LOCK = 0x70726576_706C616E
REREAD = "läs in planen igen och gör din ändring på nytt"
URL_EXAMPLES = "sqlite:////sökväg/plans.sqlite eller postgresql://användare:lösenord@värd/databas"
_WRITE = "prevmap_write"

Item = TypeVar("Item", Plan, PlanArea, Goal, Action, Override)
Error = TypeVar("Error", bound=PrevmapError)


class PlanDatabaseError(PrevmapError):
    """The plan database cannot be found, opened, upgraded or reached."""

    title = "Databasen för åtgärdsplaner kan inte användas"
    column_word = "inställning"


@dataclass(frozen=True)
class AuditCheck:
    """What :meth:`PlanStore.verify_audit` found: the rows checked and the first broken
    link of the audit trail (None: intact)."""

    rows: int
    broken: Break | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None

    def message(self) -> str:
        """In Swedish, for the user."""
        if self.broken is None:
            return (f"Historiken är obruten: {self.rows} rader kontrollerade, ingen har "
                    "ändrats, tagits bort eller flyttats.")
        return self.broken.message()


@dataclass(frozen=True)
class Saved:
    """What :meth:`PlanStore.save_many` saved, in the order given, with ids and versions."""

    areas: tuple[PlanArea, ...] = ()
    goals: tuple[Goal, ...] = ()
    actions: tuple[Action, ...] = ()
    overrides: tuple[Override, ...] = ()


# -- where the database is ---------------------------------------------------------------


def data_dir() -> Path:
    """Where prevmap keeps its own data (created if missing): ``$PREVMAP_DATA`` or
    ``~/.local/share/prevmap``."""
    path = Path(os.environ.get(ENV_DATA) or Path.home() / ".local" / "share" / "prevmap")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _error(f"mappen för prevmaps data kan inte skapas: {err.strerror}.",
                     source=str(path), fix=f"ange en skrivbar mapp i miljövariabeln {ENV_DATA}"
                     ) from err
    return path


def url_from_settings(path: Path, *, required: bool = False, key: str = "url") -> str | None:
    """``url`` (or ``key``, e.g. ``owner_url``) in the table ``[database]`` of the TOML
    file ``path``, or None where the file or the key is missing (an error if ``required``:
    the file was named explicitly)."""
    if not path.is_file():
        if required:
            raise _error("inställningsfilen finns inte.", source=str(path),
                         fix=f"skapa filen, eller ta bort miljövariabeln {ENV_CONFIG}")
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise _error(f"inställningsfilen kan inte läsas: {err}.", source=str(path),
                     fix="rätta filen (TOML, UTF-8)") from err
    section = data.get("database")
    if section is None:
        return None
    if not isinstance(section, dict) and key != "url":
        return None
    url = section.get(key) if isinstance(section, dict) else section
    if url is None and isinstance(section, dict):
        return None
    if not isinstance(url, str) or not url.strip():
        raise _error("databasadressen ska vara en text.", source=str(path),
                     column=f"[database] {key}",
                     values=[url] if not isinstance(url, str) else [],
                     expected=URL_EXAMPLES, fix=f"skriv {key} = \"…\" under [database]")
    return url.strip()


def default_url() -> str:
    """The SQLite file ``plans.sqlite`` in :func:`data_dir`."""
    return URL.create("sqlite", database=str(data_dir() / DATABASE_FILE)).render_as_string()


def database_url(explicit: str | None = None) -> str:
    """The plan database's address: ``explicit``, else ``$PREVMAP_DATABASE_URL``, else
    ``url`` under ``[database]`` in the settings file (:func:`settings_path`), else the
    SQLite file of :func:`default_url`. Empty values count as not given."""
    for given in (explicit, os.environ.get(ENV_URL)):
        if given and given.strip():
            return given.strip()
    configured = url_from_settings(settings_path(), required=bool(os.environ.get(ENV_CONFIG)))
    return configured or default_url()


_URL_IN_TEXT = re.compile(r"[A-Za-z][\w+.-]*://[^\s'\"<>]*")
#: ``password=…`` and its kin (``sslpassword``, ``passwd``, ``pwd``), in a URL's query or a
#: libpq connection string, with the value quoted or not, in any case.
_PASSWORD_VALUE = re.compile(
    r"(?i)(\w*pass(?:word|wd)?|pwd)(\s*=\s*)('(?:[^'\\]|\\.)*'|\"[^\"]*\"|[^\s&;,'\"]*)")


def _mask_url(url: str, *, keep_user: bool) -> str:
    """``url`` with everything between ``://`` and its last ``@`` masked (the user kept
    where it can be told apart: ``user:***@``)."""
    scheme, sep, rest = url.partition("://")
    at = rest.rfind("@")
    if not sep or at < 0:
        return url
    user, colon, _secret = rest[:at].partition(":")
    if not colon:                        # no password in the user part
        return url if keep_user else f"{scheme}://***@{rest[at + 1:]}"
    shown_user = user if keep_user and not re.search(r"[/?#]", user) else "***"
    return f"{scheme}://{shown_user}:***@{rest[at + 1:]}"


def mask_secrets(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` (an address, an error message) with every password shown as ``***``: in a
    URL's user part, as ``password=`` (any case) in a query or connection string, and
    each of ``secrets`` wherever it stands."""
    text = _URL_IN_TEXT.sub(lambda m: _mask_url(m.group(0), keep_user=True), text)
    text = _PASSWORD_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    for secret in secrets:
        if secret and len(secret) >= 3:
            text = text.replace(secret, "***")
    return text


def database_owner_url(explicit: str | None = None) -> str | None:
    """The address of the role that owns the schema and runs the migrations (PostgreSQL
    with two roles): ``explicit``, else ``$PREVMAP_DATABASE_OWNER_URL``, else ``owner_url``
    under ``[database]`` in the settings file; None where none is given (one role)."""
    for given in (explicit, os.environ.get(ENV_OWNER_URL)):
        if given and given.strip():
            return given.strip()
    return url_from_settings(settings_path(), required=bool(os.environ.get(ENV_CONFIG)),
                             key="owner_url")


def hide_password(url: str) -> str:
    """``url`` with its password, if any, shown as ``***``: in the user part, and as
    ``password=`` in the query in any case. A URL SQLAlchemy cannot parse is masked from
    ``://`` up to its last ``@`` (the user too: where it ends cannot be known)."""
    try:
        make_url(url)
        keep_user = True
    except (ArgumentError, ValueError):
        keep_user = False
        if "://" not in url and "@" in url:          # not even a scheme: hide up to "@"
            url = "***" + url[url.rfind("@"):]
    return mask_secrets(_mask_url(url, keep_user=keep_user))


def _secrets_of(url: URL | None) -> list[str]:
    """The password of a parsed URL, wherever it was given (user part, query)."""
    if url is None:
        return []
    found = [str(url.password)] if url.password else []
    for key, value in url.query.items():
        if re.fullmatch(r"(?i)\w*pass(?:word|wd)?|pwd", key):
            found.extend([value] if isinstance(value, str) else list(value))
    return found


def engine_url(url: str) -> URL:
    """``url`` parsed, with PostgreSQL mapped to the psycopg 3 driver; only SQLite and
    PostgreSQL are supported."""
    shown = hide_password(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as err:
        raise _error(f"'{shown}' är ingen databasadress.", expected=URL_EXAMPLES,
                     fix=_WHERE_FIX) from err
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        return parsed
    raise _error(f"databasen '{shown}' stöds inte: prevmap sparar planer i SQLite eller "
                 "PostgreSQL (med psycopg).", expected=URL_EXAMPLES, fix=_WHERE_FIX)


_WHERE_FIX = (f"rätta adressen (där den anges: argumentet, miljövariabeln {ENV_URL} eller "
              "url under [database] i prevmap.toml)")


def _error(message: str, *, source: str | None = None, column: str | None = None,
           values: Iterable[object] = (), expected: str = "", fix: str = ""
           ) -> PlanDatabaseError:
    return PlanDatabaseError([Problem(message, source, column, tuple(values), expected, fix)])


def _reason(err: BaseException, url: URL | None = None) -> str:
    """The first line of the driver's message, without the password (psycopg may quote
    the connection string)."""
    text = str(getattr(err, "orig", None) or err).strip().splitlines()
    reason = text[0] if text else type(err).__name__
    return mask_secrets(reason, _secrets_of(url))


# -- engines -----------------------------------------------------------------------------

def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # the driver's own transaction handling is off: _sqlite_begin says BEGIN itself, so
    # DDL is transactional and a write locks the file from its first statement
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_SECONDS * 1000}")
    # Switching a new file to WAL needs it alone, and SQLite answers "locked" at once
    # rather than waiting out the busy timeout: several first openers take turns here.
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            break
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    cursor.close()


def _sqlite_connect_read_only(dbapi_connection: Any, _record: Any) -> None:
    # as _sqlite_connect, without switching to WAL (a write): the file is read as it is
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_SECONDS * 1000}")
    cursor.close()


def sqlite_read_only(url: URL) -> bool:
    """Whether the SQLite file of ``url`` exists but may not be written here: the file or
    its folder (where SQLite keeps its journal) is read-only."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return False
    path = Path(url.database)
    return path.is_file() and not (os.access(path, os.W_OK)
                                   and os.access(path.parent, os.W_OK))


def _sqlite_read_only_creator(path: Path) -> Any:
    """Connections that only read ``path``. Where its folder is read-only and it has no
    WAL files, nobody can be writing it: opened as immutable (SQLite needs no -shm file
    then, which it could not create)."""
    wal = [Path(f"{path}-wal"), Path(f"{path}-shm")]
    immutable = not os.access(path.parent, os.W_OK) and not any(w.exists() for w in wal)
    uri = f"{path.resolve().as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=SQLITE_BUSY_SECONDS,
                               check_same_thread=False)
    return connect


def _sqlite_begin(connection: Connection) -> None:
    write = connection.get_execution_options().get(_WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def create_engine(url: URL, *, read_only: bool = False) -> Engine:
    """An engine for ``url`` (from :func:`engine_url`): SQLite with WAL, foreign keys and a
    busy timeout (``read_only``: the file only read, as it is); PostgreSQL with a connect
    timeout and a liveness check."""
    if url.get_backend_name() == "sqlite":
        # a pooled connection serves one thread at a time, but not always the one that
        # opened it; in memory there is only one connection (for trying out)
        memory = url.database in (None, "", ":memory:")
        extra: dict[str, Any] = {"poolclass": sa.pool.StaticPool} if memory else {}
        if read_only:
            extra["creator"] = _sqlite_read_only_creator(Path(str(url.database)))
        engine = sa.create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False},
            **extra)
        sa.event.listen(engine, "connect",
                        _sqlite_connect_read_only if read_only else _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True,
                            connect_args={"connect_timeout": CONNECT_SECONDS})


def _upgrade(connection: Connection, shown: str) -> str | None:
    """Upgrade to the newest revision; the revision the database had (None if new)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": MIGRATION_LOCK})
    before = migrations.current_revision(connection)
    if before is not None and before not in migrations.known_revisions():
        raise _error(f"databasen '{shown}' har schemaversion {before}, som den här versionen "
                     "av prevmap inte känner till (den är nyare).",
                     expected=", ".join(migrations.known_revisions()),
                     fix="uppdatera prevmap, eller använd en annan databas")
    if before != migrations.head_revision():
        migrations.upgrade(connection)
    return before


def _must_be_current(connection: Connection, shown: str, *, why: str) -> None:
    """PlanDatabaseError unless the database is at the newest schema (it cannot be
    upgraded here: ``why``)."""
    revision, head = migrations.current_revision(connection), migrations.head_revision()
    if revision != head:
        has = f"schemaversion {revision}" if revision else "inga tabeller för planer"
        raise _error(f"databasen '{shown}' har {has}, men den här versionen av prevmap "
                     f"behöver {head}, och {why}.",
                     fix="be någon med skrivrätt till databasen att öppna den med prevmap "
                         "(då uppgraderas den), eller öppna en kopia som du får skriva i")


#: Tables the application role writes (no DELETE: removal is soft) and the audit trail it
#: may only add to (PostgreSQL with an owner role, see PlanStore.open).
_EDITABLE = ("plans", "plan_areas", "goals", "actions", "recommendation_overrides")


def _grant_app_role(connection: Connection, role: str) -> None:
    """As the owner: give the application role what it needs and no more. It may read
    and add rows, change the editable tables, and never change, delete or empty audit."""
    quote = connection.dialect.identifier_preparer.quote
    who = quote(role)
    schema_name = connection.execute(sa.text("SELECT current_schema()")).scalar_one()
    editable = ", ".join(_EDITABLE)
    statements = [
        f"GRANT USAGE ON SCHEMA {quote(schema_name)} TO {who}",
        f"GRANT SELECT, INSERT, UPDATE ON {editable} TO {who}",
        f"REVOKE DELETE, TRUNCATE, REFERENCES, TRIGGER ON {editable} FROM {who}",
        f"GRANT SELECT, INSERT ON audit TO {who}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit FROM {who}",
        f"GRANT SELECT ON alembic_version TO {who}",
    ]
    for table in (*_EDITABLE, "audit"):
        sequence = connection.execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"),
                                      {"t": table}).scalar_one_or_none()
        if sequence:
            statements.append(f"GRANT USAGE, SELECT ON SEQUENCE {sequence} TO {who}")
    for statement in statements:
        connection.exec_driver_sql(statement)


def _rights(connection: Connection, read_only_file: bool) -> tuple[bool, bool]:
    """(may write, may change or remove audit rows) for this connection's user."""
    if connection.dialect.name != "postgresql":
        return not read_only_file, True       # whoever may write a SQLite file may do all
    row = connection.execute(sa.text(
        "SELECT has_table_privilege('audit', 'INSERT'), "
        "has_table_privilege('audit', 'UPDATE') OR has_table_privilege('audit', 'DELETE') "
        "OR has_table_privilege('audit', 'TRUNCATE')")).one()
    return bool(row[0]), bool(row[1])


def _denied(err: BaseException) -> bool:
    """Whether PostgreSQL refused for want of a privilege."""
    return getattr(getattr(err, "orig", None), "sqlstate", None) == "42501"


def _migrate_as_owner(raw_owner: str, app: URL) -> str | None:
    """Upgrade the database as its owner and grant the application role its rights; the
    revision it had before."""
    owner = engine_url(raw_owner)
    shown = hide_password(raw_owner)
    engine = create_engine(owner)
    try:
        with engine.connect() as connection:
            connection.execution_options(**{_WRITE: True})
            with connection.begin():
                before = _upgrade(connection, shown)
                if (connection.dialect.name == "postgresql" and app.username
                        and app.username != owner.username):
                    _grant_app_role(connection, app.username)
        return before
    except (SQLAlchemyError, OSError, ImportError) as err:
        raise _error(f"databasen kan inte uppgraderas med ägarens adress '{shown}': "
                     f"{_reason(err, owner)}",
                     fix=f"kontrollera ägarens adress (miljövariabeln {ENV_OWNER_URL} eller "
                         "owner_url under [database] i prevmap.toml) och att rollen äger "
                         "databasens schema") from err
    finally:
        engine.dispose()


# -- time --------------------------------------------------------------------------------

#: Who renamed a plan at the upgrade to unique names (plans/migrations/versions/0004).
UPGRADE_RENAMER = "prevmap (uppgradering 0004)"


def _renamed_text(engine: Engine, before: str) -> str:
    """The plans renamed by the upgrade from ``before`` to unique names, for the upgrade's
    notice ("" if none): each as "'old' → 'new'", as their history records it."""
    revisions = migrations.known_revisions()
    if revisions.index(before) >= revisions.index("0004"):
        return ""
    audit = schema.audit
    with engine.connect() as connection:
        rows = connection.execute(sa.select(audit.c.before, audit.c.after)
                                  .where(audit.c.who == UPGRADE_RENAMER)
                                  .order_by(audit.c.id)).all()
    if not rows:
        return ""
    pairs = ", ".join(f"'{r.before['name']}' → '{r.after['name']}'" for r in rows)
    which = "En plan hade" if len(rows) == 1 else f"{len(rows)} planer hade"
    return (f" {which} samma namn som en äldre plan i samma kommun och fick ett tillägg, "
            f"som står i historiken: {pairs}. Byt gärna till ett tydligare namn.")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(value: dt.datetime) -> dt.datetime:
    """A time read from the database, in UTC (SQLite gives it back without a zone)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def when_text(at: dt.datetime) -> str:
    """``at`` as Swedish users read it: "2026-12-03 kl. 15.05" (Swedish time)."""
    try:
        local, zone = _utc(at).astimezone(ZoneInfo("Europe/Stockholm")), ""
    except ZoneInfoNotFoundError:
        local, zone = _utc(at), " UTC"
    return f"{local:%Y-%m-%d} kl. {local:%H.%M}{zone}"


# -- items and rows ----------------------------------------------------------------------

@dataclass(frozen=True)
class _Kind:
    entity: str            # in the audit trail
    cls: type
    table: sa.Table
    noun: str              # "målet"
    label: str             # "mål"
    verb: str              # the method that saves a change of it


_KINDS = {
    Plan: _Kind("plan", Plan, schema.plans, "planen", "plan", "update_plan"),
    PlanArea: _Kind("area", PlanArea, schema.plan_areas, "området", "område", "update_area"),
    Goal: _Kind("goal", Goal, schema.goals, "målet", "mål", "update_goal"),
    Action: _Kind("action", Action, schema.actions, "insatsen", "insats", "update_action"),
    Override: _Kind("override", Override, schema.overrides, "ändringen av rekommendationen",
                    "ändring av rekommendationen", "save_many"),
}
_OWN = ("id", "plan_id", "version")


def _kind(item: object) -> _Kind:
    try:
        return _KINDS[type(item)]
    except KeyError:
        raise TypeError(f"not a plan item: {item!r}") from None


def _column(field_name: str) -> str:
    return schema.COLUMN_OF_FIELD.get(field_name, field_name)


def _values(item: Plan | PlanArea | Goal | Action) -> dict[str, object]:
    """The item's own columns (not its id, plan or version); a plan's with its name key."""
    values = {_column(f.name): getattr(item, f.name) for f in fields(item)
              if f.name not in _OWN}
    if isinstance(item, Plan):
        values["name_key"] = name_key(item.name)
    return values


def _item(cls: type[Item], row: sa.Row) -> Item:
    values = row._mapping
    return cls(**{f.name: values[_column(f.name)] for f in fields(cls)})


def _in_plan(item: Item, plan_id: int) -> Item:
    return item if isinstance(item, Plan) else replace(item, plan_id=plan_id)


def _audit_entry(row: sa.Row) -> AuditEntry:
    return AuditEntry(at=_utc(row.at), who=row.who, entity=row.entity,
                      entity_id=row.entity_id, operation=row.operation, before=row.before,
                      after=row.after, plan_id=row.plan_id, id=row.id)


def check_who(who: object) -> str:
    """``who`` stripped; PlanInputError if it is not a non-empty text."""
    problems = Problems(PlanInputError)
    if not isinstance(who, str) or not who.strip():
        problems.add("det står inte vem som gör ändringen.", column=FIELD_LABELS["who"],
                     values=[who], fix="ange ditt namn eller användarnamn")
    elif len(who) > MAX_TEXT:
        problems.add(f"användarnamnet är längre än {MAX_TEXT} tecken.",
                     column=FIELD_LABELS["who"], values=[who[:40] + "…"])
    problems.raise_if_any()
    return who.strip()


def _describe(item: PlanArea | Goal | Action, number: int) -> str:
    """How a problem names the item among several: "mål 2 (område 0126R001, …)"."""
    kind = _kind(item)
    if isinstance(item, PlanArea):
        return f"{kind.label} {number} ({item.area_id})"
    if isinstance(item, Override):
        return f"{kind.label} {number} (område {item.area_id})"
    what = f"indikator {item.indicator_id}" if isinstance(item, Goal) else f"'{item.title}'"
    return f"{kind.label} {number} (område {item.area_id}, {what})"


def _one_problem(error: type[Error], message: str, *, fix: str = "",
                 column: str | None = None, values: Iterable[object] = ()) -> Error:
    return error([Problem(message, None, column, tuple(values), "", fix)])


# -- writing -----------------------------------------------------------------------------

class _Writer:
    """The writes of one transaction on one plan, each with its audit row."""

    def __init__(self, connection: Connection, plan_id: int, who: str, at: dt.datetime,
                 origin: dict[str, str] | None = None):
        self.connection, self.plan_id, self.who, self.at = connection, plan_id, who, at
        self.origin = origin or {}
        self._last: tuple[int, str] | None = None     # the plan's chain: (seq, row_hash)

    def save(self, item: Item) -> Item:
        return self.insert(item) if item.id is None else self.update(item)

    def insert(self, item: Item) -> Item:
        kind = _kind(item)
        values = _values(item) | {"version": 1}
        if kind.entity != "plan":
            values["plan_id"] = self.plan_id
        new_id = self.connection.execute(sa.insert(kind.table).values(values)
                                         ).inserted_primary_key[0]
        if kind.entity == "plan":
            self.plan_id = new_id
        saved = replace(_in_plan(item, self.plan_id), id=new_id, version=1)
        self.audit(kind, new_id, "skapad", None, saved, origin=self.origin)
        return saved

    def update(self, item: Item) -> Item:
        kind = _kind(item)
        before = _item(kind.cls, self.current_row(item))
        if _in_plan(item, self.plan_id) == before:
            return before                       # nothing changed: nothing to write
        saved = replace(_in_plan(item, self.plan_id), version=item.version + 1)
        self.change(item, _values(saved) | {"version": saved.version})
        self.audit(kind, item.id, "ändrad", before, saved)
        return saved

    def remove(self, item: PlanArea | Goal | Action | Plan) -> None:
        kind = _kind(item)
        before = _item(kind.cls, self.current_row(item))
        self.change(item, {"removed_at": self.at, "removed_by": self.who,
                           "version": item.version + 1})
        self.audit(kind, item.id, "borttagen", before, None)

    def current_row(self, item: Plan | PlanArea | Goal | Action) -> sa.Row:
        """The item's row, if it is in the plan, not removed and still at the version read."""
        kind = _kind(item)
        row = self.connection.execute(sa.select(kind.table).where(kind.table.c.id == item.id)
                                      ).one_or_none()
        if row is None or (kind.entity != "plan" and row.plan_id != self.plan_id):
            raise _one_problem(PlanInputError, f"{kind.noun} med id {item.id} finns inte i "
                               f"planen (id {self.plan_id}).", fix=REREAD)
        if row.removed_at is not None or row.version != item.version:
            raise self.conflict(kind, item.id)
        return row

    def change(self, item: Plan | PlanArea | Goal | Action, values: dict[str, object]) -> None:
        kind = _kind(item)
        table = kind.table
        done = self.connection.execute(
            sa.update(table).where(table.c.id == item.id, table.c.version == item.version,
                                   table.c.removed_at.is_(None)).values(values))
        if done.rowcount != 1:
            raise self.conflict(kind, item.id)

    def conflict(self, kind: _Kind, entity_id: int) -> PlanConflictError:
        """Who changed or removed the item, and when, from the audit trail."""
        audit = schema.audit
        last = self.connection.execute(
            sa.select(audit.c.who, audit.c.at, audit.c.operation)
            .where(audit.c.entity == kind.entity, audit.c.entity_id == entity_id)
            .order_by(audit.c.id.desc()).limit(1)).one_or_none()
        done = "togs bort" if last is not None and last.operation == "borttagen" else "ändrades"
        by = f" av {last.who} {when_text(last.at)}" if last is not None else ""
        return _one_problem(PlanConflictError, f"{kind.noun.capitalize()} {done}{by}, efter "
                            "att du läste in planen. Ingenting sparades.", fix=REREAD)

    def audit(self, kind: _Kind, entity_id: int, operation: str, before: object | None,
              after: object | None, *, origin: dict[str, str] | None = None) -> None:
        """Add the audit row, chained to the plan's last one (:mod:`plans.chain`). The
        plan's row is locked (or, on SQLite, the file), so the chain's end read here
        stays its end until this transaction commits."""
        audit = schema.audit
        if self._last is None:
            last = self.connection.execute(
                sa.select(audit.c.seq, audit.c.row_hash).where(audit.c.plan_id == self.plan_id)
                .order_by(audit.c.seq.desc()).limit(1)).one_or_none()
            self._last = (0, GENESIS) if last is None else (last.seq, last.row_hash)
        seq, prev = self._last
        row = {"id": self._next_audit_id(), "plan_id": self.plan_id, "seq": seq + 1,
               "at": self.at, "who": self.who, "entity": kind.entity, "entity_id": entity_id,
               "operation": operation, "before": None if before is None else as_dict(before),
               "after": None if after is None else as_dict(after) | (origin or {})}
        digest = row_hash(prev, row)
        self.connection.execute(sa.insert(audit).values(row | {"prev_hash": prev,
                                                              "row_hash": digest}))
        self._last = (seq + 1, digest)

    def _next_audit_id(self) -> int:
        """The id of the next audit row (it is part of the row's hash, so known before)."""
        if self.connection.dialect.name == "postgresql":
            return self.connection.execute(sa.text(
                "SELECT nextval(pg_get_serial_sequence('audit', 'id'))")).scalar_one()
        audit = schema.audit
        return self.connection.execute(
            sa.select(sa.func.coalesce(sa.func.max(audit.c.id), 0) + 1)).scalar_one()


def name_key(name: str) -> str:
    """The name as a reader compares names: case and runs of spaces aside ('Trygg  uppväxt'
    is 'trygg uppväxt'). Stored beside the name (``plans.name_key``, unique per kommun
    among current plans since migration 0004)."""
    return " ".join(name.split()).casefold()


def _same_name(a: str, b: str) -> bool:
    """Names that a reader cannot tell apart."""
    return name_key(a) == name_key(b)


def _check_name_free(connection: Connection, plan: Plan) -> None:
    """Refuse a plan named as another plan of the same kommun (not removed): in a list of
    plans two of one name cannot be told apart. Compared in Python (SQLite's lower() does
    not fold å, ä, ö)."""
    plans = schema.plans
    rows = connection.execute(sa.select(plans.c.id, plans.c.name).where(
        plans.c.removed_at.is_(None), plans.c.kommun == plan.kommun)).all()
    taken = next((row for row in rows if row.id != plan.id and _same_name(row.name, plan.name)),
                 None)
    if taken is not None:
        raise _name_taken(plan, taken.name)


def _name_taken(plan: Plan, taken: str) -> PlanInputError:
    where = "i kommunen" if plan.kommun else "bland planerna utan kommun"
    return _one_problem(PlanInputError, f"det finns redan en plan som heter '{taken}' {where}.",
                        fix="välj ett annat namn, eller öppna den planen i listan",
                        column=FIELD_LABELS["name"], values=[plan.name])


@contextmanager
def _name_unique(plan: Plan) -> Iterator[None]:
    """The database's unique index on the plan's name turned into the store's message: two
    saves at the same instant both pass :func:`_check_name_free` (PostgreSQL reads what was
    committed), and the index refuses the second."""
    try:
        yield
    except sa.exc.IntegrityError as err:
        if "uq_plans_kommun_name_key" in str(err.orig) or "plans.name_key" in str(err.orig):
            raise _name_taken(plan, plan.name) from err
        raise


def _lock_plan(connection: Connection, plan_id: int) -> sa.Row:
    """The plan's row, locked until the transaction ends (writes to one plan take turns)."""
    if not isinstance(plan_id, int) or isinstance(plan_id, bool):
        raise TypeError(f"plan_id must be an int, not {plan_id!r}")
    plans = schema.plans
    row = connection.execute(sa.select(plans).where(plans.c.id == plan_id).with_for_update()
                             ).one_or_none()
    if row is None:
        raise _one_problem(PlanInputError, f"planen med id {plan_id} finns inte.",
                           fix="välj en plan i listan över planer")
    if row.removed_at is not None:
        raise _one_problem(PlanConflictError, f"Planen '{row.name}' togs bort av "
                           f"{row.removed_by} {when_text(row.removed_at)}.",
                           fix="välj en annan plan i listan över planer")
    return row


def _current(connection: Connection, table: sa.Table, plan_id: int) -> list[sa.Row]:
    return list(connection.execute(
        sa.select(table).where(table.c.plan_id == plan_id, table.c.removed_at.is_(None))
        .order_by(table.c.id)))


@dataclass(frozen=True)
class _Batch:
    areas: tuple[PlanArea, ...]
    goals: tuple[Goal, ...]
    actions: tuple[Action, ...]
    remove: tuple[PlanArea | Goal | Action | Override, ...]
    remove_contents: bool
    overrides: tuple[Override, ...] = ()

    @property
    def size(self) -> int:
        return (len(self.areas) + len(self.goals) + len(self.actions) + len(self.remove)
                + len(self.overrides))


def _check_batch(connection: Connection, plan_id: int, batch: _Batch,
                 catalogue: Catalogue | None) -> None:
    """Every problem of every item of ``batch`` against the plan as it is, in one
    PlanInputError; the areas added in the batch count as in the plan, those removed not."""
    found: list[Problem] = []
    several = batch.size > 1
    counter: Counter[str] = Counter()

    def check(item: PlanArea | Goal | Action, run: Any) -> None:
        counter[_kind(item).label] += 1
        try:
            run()
        except PlanInputError as err:
            label = _describe(item, counter[_kind(item).label]) if several else None
            found.extend(replace(p, source=label or p.source) for p in err.problems)

    current = {row.id: row.area_id for row in _current(connection, schema.plan_areas, plan_id)}
    removed_areas = {a.id for a in batch.remove if isinstance(a, PlanArea)}
    new_codes = [a.area_id for a in batch.areas if a.id is None]
    in_plan = {code for row_id, code in current.items() if row_id not in removed_areas}
    repeated = {code for code, n in Counter(new_codes).items() if n > 1}

    def check_area_in_plan(area: PlanArea) -> None:
        problems = Problems(PlanInputError)
        if area.id is None and (area.area_id in in_plan or area.area_id in repeated):
            problems.add("området finns redan i planen.", column=FIELD_LABELS["area_id"],
                         values=[area.area_id], fix="ändra det område som redan finns")
        if area.id in current and area.area_id != current[area.id]:
            problems.add(f"områdeskoden kan inte ändras (från '{current[area.id]}').",
                         column=FIELD_LABELS["area_id"], values=[area.area_id],
                         fix="ta bort området och lägg till det nya")
        problems.raise_if_any()
        check_area(area)

    for area in batch.areas:
        check(area, lambda area=area: check_area_in_plan(area))
    codes = in_plan | set(new_codes)
    for goal in batch.goals:
        check(goal, lambda goal=goal: check_goal(goal, catalogue, areas=codes))
    for action in batch.actions:
        check(action, lambda action=action: check_action(action, areas=codes))
    overridden = {row.area_id for row in _current(connection, schema.overrides, plan_id)
                  if row.id not in {o.id for o in batch.remove if isinstance(o, Override)}}
    for override in batch.overrides:
        check(override, lambda o=override: _check_override_in_plan(o, codes, overridden))
    for item in batch.remove:
        if item.id is None:
            check(item, lambda item=item: _must_be_saved(item))
    if removed_areas and not batch.remove_contents:
        found.extend(_left_in_removed_areas(connection, plan_id, batch, current))
    if found:
        raise PlanInputError(found)


def _check_override_in_plan(override: Override, codes: set[str], overridden: set[str]
                            ) -> None:
    found = []
    if override.id is None and override.area_id in overridden:
        found.append(Problem("området har redan en ändring av rekommendationen i planen.",
                             column=FIELD_LABELS["area_id"], values=(override.area_id,),
                             fix="ändra den som finns"))
    try:
        check_override(override, areas=codes)
    except PlanInputError as err:
        found.extend(err.problems)
    if found:
        raise PlanInputError(found)


def _left_in_removed_areas(connection: Connection, plan_id: int, batch: _Batch,
                           current: dict[int, str]) -> list[Problem]:
    """A problem for each area to remove that still has goals or actions."""
    removed_ids = {(type(i), i.id) for i in batch.remove}
    problems = []
    for area in batch.remove:
        if not isinstance(area, PlanArea) or area.id not in current:
            continue
        code = current[area.id]
        left = {cls: sum(1 for row in _current(connection, _KINDS[cls].table, plan_id)
                         if row.area_id == code and (cls, row.id) not in removed_ids)
                for cls in (Goal, Action)}
        if any(left.values()):
            actions = "insats" if left[Action] == 1 else "insatser"
            problems.append(Problem(
                f"området har kvar {left[Goal]} mål och {left[Action]} {actions}.",
                column=FIELD_LABELS["area_id"], values=(code,),
                fix="ta först bort områdets mål och insatser, eller ta bort området med "
                    "allt innehåll"))
    return problems


def _must_be_new(item: PlanArea | Goal | Action | Plan) -> None:
    if item.id is not None:
        kind = _kind(item)
        raise _one_problem(PlanInputError, f"{kind.noun} har redan id {item.id} i databasen.",
                           fix=f"spara ändringar med {kind.verb}, eller lägg till en kopia "
                               "utan id")


def _must_be_saved(item: PlanArea | Goal | Action | Plan) -> None:
    if item.id is None:
        kind = _kind(item)
        raise _one_problem(PlanInputError, f"{kind.noun} saknar id: bara något som är sparat "
                           "kan ändras eller tas bort.", fix="lägg först till det i planen")


# -- the store ---------------------------------------------------------------------------

class PlanStore:
    """Plans in one database; safe to share between threads (each call uses its own
    connection and transaction)."""

    def __init__(self, engine: Engine, *, url: str, upgraded_from: str | None = None,
                 notice: str | None = None, read_only: bool = False,
                 tamper_proof: bool = False, warning: str | None = None,
                 secrets: Iterable[str] = ()):
        self._engine = engine
        self._secrets = tuple(secrets)        # masked in every message
        self.url = url                        #: the address, password hidden
        self.upgraded_from = upgraded_from    #: the revision before an upgrade at open
        self.notice = notice                  #: for the user: the database was upgraded
        self.read_only = read_only            #: may only be read (file or role): no edits
        #: the role may not change or remove audit rows (PostgreSQL with an owner role)
        self.tamper_proof = tamper_proof
        self.warning = warning                #: for the administrator: one role only

    @classmethod
    def open(cls, url: str | None = None, *, owner_url: str | None = None) -> PlanStore:
        """Open the database at ``url`` (see :func:`database_url`) and upgrade it to the
        newest schema; PlanDatabaseError, naming the address without its password, if it
        cannot be opened.

        With an owner (``owner_url``, else :func:`database_owner_url`) the upgrade runs as
        the owner, who also grants ``url``'s role its rights (PostgreSQL: no UPDATE,
        DELETE or TRUNCATE on the audit trail); the store then works as ``url``'s role.
        A SQLite file that may not be written is opened for reading only (no upgrade).
        """
        raw = database_url(url)
        shown = hide_password(raw)
        parsed = engine_url(raw)
        owner = database_owner_url(owner_url)
        before = _migrate_as_owner(owner, parsed) if owner is not None else None
        read_only_file = sqlite_read_only(parsed)
        engine = None
        try:
            engine = create_engine(parsed, read_only=read_only_file)
            with engine.connect() as connection:
                if not read_only_file:
                    connection.execution_options(**{_WRITE: True})
                with connection.begin():
                    if read_only_file:
                        _must_be_current(connection, shown, why="filen är skrivskyddad")
                    elif owner is None:
                        before = _upgrade(connection, shown)
                    else:
                        _must_be_current(connection, shown,
                                         why="ägarens adress uppgraderade den inte")
                    writable, can_tamper = _rights(connection, read_only_file)
        except PlanDatabaseError:
            if engine is not None:
                engine.dispose()
            raise
        except (SQLAlchemyError, OSError, ImportError) as err:
            if engine is not None:
                engine.dispose()
            if _denied(err):
                raise _error(
                    f"databasen '{shown}' behöver uppgraderas till schemaversion "
                    f"{migrations.head_revision()}, men användaren '{parsed.username}' får "
                    f"inte ändra den: {_reason(err, parsed)}",
                    fix=f"ange adressen till rollen som äger databasen i miljövariabeln "
                        f"{ENV_OWNER_URL} (eller owner_url under [database] i prevmap.toml) "
                        "och öppna igen, t.ex. med `prevmap plan verify`") from err
            raise _error(f"databasen '{shown}' kan inte öppnas: {_reason(err, parsed)}",
                         fix="kontrollera adressen (argumentet, miljövariabeln "
                             f"{ENV_URL} eller url under [database] i prevmap.toml), att "
                             "databasservern är igång och att användaren får logga in"
                         ) from err
        head = migrations.head_revision()
        notice = None
        if before is not None and before != head:
            notice = (f"Databasen för åtgärdsplaner ({shown}) uppgraderades från "
                      f"schemaversion {before} till {head}. Alla planer finns kvar."
                      + _renamed_text(engine, before))
            log.warning(notice)
        warning = None
        if parsed.get_backend_name() == "postgresql" and writable and can_tamper:
            warning = (f"Databasen för åtgärdsplaner ({shown}): användaren får ändra och "
                       "tömma historiken, som därför bara avslöjar manipulation (kedjan av "
                       "kontrollsummor) men inte hindrar den. Låt en ägarroll köra "
                       f"uppgraderingarna ({ENV_OWNER_URL}) och appen logga in som en "
                       "annan roll.")
            log.warning(warning)
        return cls(engine, url=shown, upgraded_from=before, notice=notice,
                   read_only=not writable, tamper_proof=not can_tamper, warning=warning,
                   secrets=_secrets_of(parsed))

    @property
    def backend(self) -> str:
        """"sqlite" or "postgresql"."""
        return self._engine.dialect.name

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> PlanStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Connection]:
        """One transaction: a write locks (SQLite: the file; PostgreSQL: the rows it
        locks); a read sees one moment (REPEATABLE READ on PostgreSQL)."""
        if write and self.read_only:
            raise _error(f"databasen '{self.url}' är skrivskyddad: planerna kan läsas men "
                         "inte ändras. Ingenting sparades.",
                         fix="be den som förvaltar databasen om skrivrätt (filen och dess "
                             "mapp, eller databasrollen)")
        try:
            with self._engine.connect() as connection:
                if write:
                    connection.execution_options(**{_WRITE: True})
                elif self.backend == "postgresql":
                    connection.execution_options(isolation_level="REPEATABLE READ")
                with connection.begin():
                    yield connection
        except DBAPIError as err:
            if getattr(err.orig, "sqlstate", None) in ("40001", "40P01"):
                raise _one_problem(PlanConflictError, "En annan användare sparade i planen "
                                   "samtidigt. Ingenting sparades.", fix=REREAD) from err
            if isinstance(err, sa.exc.OperationalError | sa.exc.InterfaceError):
                reason = mask_secrets(_reason(err), self._secrets)
                raise _error(f"databasen '{self.url}' kunde inte användas: {reason}",
                             fix="försök igen om en stund; kontrollera att databasservern "
                                 "är igång") from err
            raise

    # -- plans -----------------------------------------------------------------------

    def create_plan(self, plan: Plan, *, who: str) -> Plan:
        """Save a new plan; it is returned with its id and version 1."""
        who = check_who(who)
        _must_be_new(plan)
        check_plan(plan)
        with _name_unique(plan), self._transaction(write=True) as connection:
            _check_name_free(connection, plan)
            return _Writer(connection, 0, who, _now()).insert(plan)

    def update_plan(self, plan: Plan, *, who: str) -> Plan:
        """Save a change of the plan's name, kommun or description (``plan`` as read)."""
        who = check_who(who)
        _must_be_saved(plan)
        check_plan(plan)
        with _name_unique(plan), self._transaction(write=True) as connection:
            _lock_plan(connection, plan.id)
            _check_name_free(connection, plan)
            return _Writer(connection, plan.id, who, _now()).update(plan)

    def remove_plan(self, plan: Plan, *, who: str) -> None:
        """Remove the plan (softly: it and its history stay in the database)."""
        who = check_who(who)
        _must_be_saved(plan)
        with self._transaction(write=True) as connection:
            _lock_plan(connection, plan.id)
            _Writer(connection, plan.id, who, _now()).remove(plan)

    def plans(self) -> tuple[Plan, ...]:
        """The plans not removed, oldest first."""
        table = schema.plans
        with self._transaction(write=False) as connection:
            rows = connection.execute(sa.select(table).where(table.c.removed_at.is_(None))
                                      .order_by(table.c.id))
            return tuple(_item(Plan, row) for row in rows)

    # -- areas, goals, actions -------------------------------------------------------

    def add_area(self, plan_id: int, area: PlanArea, *, who: str) -> PlanArea:
        _must_be_new(area)
        return self.save_many(plan_id, areas=[area], who=who).areas[0]

    def update_area(self, area: PlanArea, *, who: str) -> PlanArea:
        _must_be_saved(area)
        return self.save_many(self._plan_of(area), areas=[area], who=who).areas[0]

    def remove_area(self, area: PlanArea, *, who: str, with_contents: bool = False) -> None:
        """Remove the area; with ``with_contents`` also its goals and actions, otherwise
        an area that still has any is refused."""
        self.save_many(self._plan_of(area), remove=[area], remove_contents=with_contents,
                       who=who)

    def add_goal(self, plan_id: int, goal: Goal, catalogue: Catalogue, *, who: str) -> Goal:
        _must_be_new(goal)
        return self.save_many(plan_id, goals=[goal], catalogue=catalogue, who=who).goals[0]

    def update_goal(self, goal: Goal, catalogue: Catalogue, *, who: str) -> Goal:
        _must_be_saved(goal)
        return self.save_many(self._plan_of(goal), goals=[goal], catalogue=catalogue,
                              who=who).goals[0]

    def remove_goal(self, goal: Goal, *, who: str) -> None:
        self.save_many(self._plan_of(goal), remove=[goal], who=who)

    def add_action(self, plan_id: int, action: Action, *, who: str) -> Action:
        _must_be_new(action)
        return self.save_many(plan_id, actions=[action], who=who).actions[0]

    def update_action(self, action: Action, *, who: str) -> Action:
        _must_be_saved(action)
        return self.save_many(self._plan_of(action), actions=[action], who=who).actions[0]

    def remove_action(self, action: Action, *, who: str) -> None:
        self.save_many(self._plan_of(action), remove=[action], who=who)

    def save_many(self, plan_id: int, *, areas: Iterable[PlanArea] = (),
                  goals: Iterable[Goal] = (), actions: Iterable[Action] = (),
                  remove: Iterable[PlanArea | Goal | Action | Override] = (),
                  remove_contents: bool = False, catalogue: Catalogue | None = None,
                  overrides: Iterable[Override] = (), origin: dict[str, str] | None = None,
                  who: str) -> Saved:
        """Save all of it in one transaction, or nothing.

        Items without an id are added, items with one are changes of the item as read
        (its version must still be the stored one). ``remove`` lists items (as read) to
        remove, first: an area removed must lose its goals and actions too, here or with
        ``remove_contents``, and may be added again in the same call. Everything is
        checked first, against the plan as it is with the areas removed and added here;
        one PlanInputError lists every problem. PlanConflictError if an item changed
        since it was read. ``overrides``: changes of the recommended approach
        (:class:`~plans.model.Override`, added or changed as the rest). ``origin``: fields
        added to the ``after`` of the audit row of every item created here (e.g.
        ``{"ursprung": "rekommendation", "installningar": digest}``, see
        :func:`geo.plan_draft.draft_origin`), so the history says where the item came
        from.
        """
        who = check_who(who)
        batch = _Batch(tuple(areas), tuple(goals), tuple(actions), tuple(remove),
                       remove_contents, tuple(overrides))
        for item in batch.remove:
            if not isinstance(item, PlanArea | Goal | Action | Override):
                raise TypeError(f"remove takes areas, goals and actions, not {item!r}")
        if batch.goals and catalogue is None:
            raise TypeError("save_many needs the catalogue to check goals")
        with self._transaction(write=True) as connection:
            _lock_plan(connection, plan_id)
            _check_batch(connection, plan_id, batch, catalogue)
            writer = _Writer(connection, plan_id, who, _now(), origin)
            for item in sorted(batch.remove, key=lambda i: isinstance(i, PlanArea)):
                if isinstance(item, PlanArea) and batch.remove_contents:
                    self._remove_contents(connection, writer, item)
                writer.remove(item)
            return Saved(tuple(writer.save(a) for a in batch.areas),
                         tuple(writer.save(g) for g in batch.goals),
                         tuple(writer.save(a) for a in batch.actions),
                         tuple(writer.save(o) for o in batch.overrides))

    @staticmethod
    def _remove_contents(connection: Connection, writer: _Writer, area: PlanArea) -> None:
        code = writer.current_row(area).area_id
        for cls in (Goal, Action, Override):
            for row in _current(connection, _KINDS[cls].table, writer.plan_id):
                if row.area_id == code:
                    writer.remove(_item(cls, row))

    def _plan_of(self, item: PlanArea | Goal | Action) -> int:
        if item.plan_id is not None:
            return item.plan_id
        _must_be_saved(item)
        table = _kind(item).table
        with self._transaction(write=False) as connection:
            plan_id = connection.execute(sa.select(table.c.plan_id)
                                         .where(table.c.id == item.id)).scalar_one_or_none()
        if plan_id is None:
            raise _one_problem(PlanInputError, f"{_kind(item).noun} med id {item.id} finns "
                               "inte.", fix=REREAD)
        return plan_id

    # -- reading ---------------------------------------------------------------------

    def contents(self, plan_id: int, *, history: bool = False) -> PlanContents:
        """The plan with its current (not removed) areas, goals and actions, oldest first,
        as they are at one moment; with ``history`` also its audit trail."""
        with self._transaction(write=False) as connection:
            row = connection.execute(sa.select(schema.plans)
                                     .where(schema.plans.c.id == plan_id)).one_or_none()
            if row is None or row.removed_at is not None:
                gone = "" if row is None else (f" (den togs bort av {row.removed_by} "
                                               f"{when_text(row.removed_at)})")
                raise _one_problem(PlanInputError, f"planen med id {plan_id} finns inte"
                                   f"{gone}.", fix="välj en plan i listan över planer")
            return PlanContents(
                plan=_item(Plan, row),
                areas=tuple(_item(PlanArea, r)
                            for r in _current(connection, schema.plan_areas, plan_id)),
                goals=tuple(_item(Goal, r) for r in _current(connection, schema.goals, plan_id)),
                actions=tuple(_item(Action, r)
                              for r in _current(connection, schema.actions, plan_id)),
                history=self._history(connection, plan_id) if history else (),
                overrides=tuple(_item(Override, r)
                                for r in _current(connection, schema.overrides, plan_id)))

    def overrides(self, plan_id: int) -> tuple[Override, ...]:
        """The plan's current overrides of the recommendation, oldest first."""
        with self._transaction(write=False) as connection:
            return tuple(_item(Override, r)
                         for r in _current(connection, schema.overrides, plan_id))

    def overridden_areas(self, plan_id: int) -> frozenset[str]:
        """The codes of the areas whose recommended approach the plan overrides (for the
        map layer "Rekommenderat angreppssätt")."""
        return frozenset(o.area_id for o in self.overrides(plan_id))

    def save_override(self, plan_id: int, override: Override, *, who: str) -> Override:
        """Add or change (``override`` as read) the plan's override for its area."""
        return self.save_many(plan_id, overrides=[override], who=who).overrides[0]

    def history(self, plan_id: int, entity: str | None = None,
                entity_id: int | None = None) -> tuple[AuditEntry, ...]:
        """The plan's audit trail, oldest first; only ``entity`` ("plan", "area", "goal",
        "action") and only the item ``entity_id`` if given."""
        if entity is not None and entity not in schema.ENTITIES:
            raise _one_problem(PlanInputError, f"'{entity}' är inget slags objekt i en plan.",
                               column="entity", values=[entity])
        with self._transaction(write=False) as connection:
            return self._history(connection, plan_id, entity, entity_id)

    def verify_audit(self, plan_id: int | None = None) -> AuditCheck:
        """Check the audit trail (of every plan, or of ``plan_id``): each plan's hash chain
        (:mod:`plans.chain`), and that each item has one audit row per version (rows
        removed from the end of a chain leave no gap). The first broken link, by row id."""
        audit = schema.audit
        with self._transaction(write=False) as connection:
            query = sa.select(audit)
            if plan_id is not None:
                query = query.where(audit.c.plan_id == plan_id)
            rows = connection.execute(query.order_by(audit.c.plan_id, audit.c.seq,
                                                     audit.c.id)).all()
            versions = {}
            for entity, table in schema.TABLES.items():
                plan_column = table.c.id if entity == "plan" else table.c.plan_id
                query = sa.select(table.c.id, table.c.version, plan_column.label("plan"))
                if plan_id is not None:
                    query = query.where(plan_column == plan_id)
                versions.update({(entity, r.id): (r.version, r.plan)
                                 for r in connection.execute(query)})
        breaks, checked = [], 0
        by_plan: dict[int, list[sa.Row]] = {}
        for row in rows:
            by_plan.setdefault(row.plan_id, []).append(row)
        for chain in by_plan.values():
            broken, count = first_break(row._mapping for row in chain)
            checked += count
            if broken is not None:
                breaks.append(broken)
        last_row: dict[tuple[str, int], int] = {}
        written: Counter[tuple[str, int]] = Counter()
        for row in rows:
            written[row.entity, row.entity_id] += 1
            last_row[row.entity, row.entity_id] = row.id
        for (entity, entity_id), (version, plan) in sorted(versions.items()):
            if written[entity, entity_id] != version:
                label = _KINDS[next(c for c, k in _KINDS.items() if k.entity == entity)].label
                last = last_row.get((entity, entity_id))
                breaks.append(Break(last, plan, None, "count", (
                    f"{label} {entity_id} har version {version}, men "
                    f"{written[entity, entity_id]} rader i historiken (en per version "
                    "väntas): rader har tagits bort (t.ex. de sista ändringarna) eller "
                    "lagts till.")))
        if not breaks:
            return AuditCheck(checked)
        # the chain's own break before a count that the same removal explains
        return AuditCheck(checked, min(breaks, key=lambda b: (b.row_id is None,
                                                              b.row_id or 0,
                                                              b.kind == "count")))

    @staticmethod
    def _history(connection: Connection, plan_id: int, entity: str | None = None,
                 entity_id: int | None = None) -> tuple[AuditEntry, ...]:
        audit = schema.audit
        query = sa.select(audit).where(audit.c.plan_id == plan_id)
        if entity is not None:
            query = query.where(audit.c.entity == entity)
        if entity_id is not None:
            query = query.where(audit.c.entity_id == entity_id)
        return tuple(_audit_entry(row) for row in connection.execute(query.order_by(audit.c.id)))
