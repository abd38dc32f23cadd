"""The project's own exceptions.

Validation collects every problem it finds and raises once. Each problem names
the file, the column, up to five offending values, what was expected and how to
fix it, in Swedish, because the message is shown to the analyst as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MAX_VALUES_SHOWN = 5


def format_values(values: Iterable[object], limit: int = MAX_VALUES_SHOWN) -> str:
    """Show up to ``limit`` values, quoted, and say how many more there are."""
    items = list(values)
    shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in items[:limit])
    rest = len(items) - limit
    return f"{shown} (och {rest} till)" if rest > 0 else shown


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input."""

    message: str
    source: str | None = None
    column: str | None = None
    values: tuple[object, ...] = ()
    expected: str = ""
    fix: str = ""

    def __str__(self) -> str:
        return self.render()

    def render(self, column_word: str = "kolumn") -> str:
        where = []
        if self.source:
            where.append(f"fil '{self.source}'")
        if self.column:
            where.append(f"{column_word} '{self.column}'")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.values:
            text += f" Värden: {format_values(self.values)}."
        if self.expected:
            text += f" Förväntat: {self.expected}."
        if self.fix:
            text += f" Åtgärd: {self.fix}."
        return text


class PrevmapError(ValueError):
    """Base class of every error prevmap raises on bad input."""

    title = "Fel i indata"
    column_word = "kolumn"

    def __init__(self, problems: Iterable[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        if len(self.problems) == 1:
            return f"{self.title}: {self.problems[0].render(self.column_word)}"
        lines = [f"{self.title}: {len(self.problems)} problem."]
        lines += [f"{i}. {p.render(self.column_word)}" for i, p in enumerate(self.problems, 1)]
        return "\n".join(lines)


class CatalogueError(PrevmapError):
    title = "Fel i indikatorkatalogen"


class IndicatorTableError(PrevmapError):
    title = "Fel i indikatortabellen"


class SettingsError(PrevmapError):
    title = "Fel i analysinställningarna"
    column_word = "nyckel"


class MetadataError(PrevmapError):
    title = "Fel i metadatafilen"
    column_word = "nyckel"


class OrganisationError(PrevmapError):
    """The organisation file (who leads and who takes part, per domain) cannot be used."""

    title = "Fel i organisationsfilen"
    column_word = "nyckel"


class InterventionCatalogueError(PrevmapError):
    """The catalogue of evaluated interventions cannot be used."""

    title = "Fel i insatskatalogen"
    column_word = "nyckel"


class AreaFileError(PrevmapError):
    title = "Fel i områdesfilen"


class PointFileError(PrevmapError):
    title = "Fel i punktfilen"


class OverlayFileError(PrevmapError):
    title = "Fel i filen med utsatta områden"


class OfflineError(PrevmapError):
    """An online source (SCB, Kolada) could not be reached and no saved answer exists."""

    title = "Ingen anslutning till datakällan"
    column_word = "adress"


class FetchError(PrevmapError):
    """An online source answered, but not with usable data (HTTP error, bad JSON, timeout)."""

    title = "Fel vid hämtning från datakällan"
    column_word = "adress"


class ApiQueryError(PrevmapError):
    """A request to an online source was asked for with invalid ids, codes or years."""

    title = "Fel i frågan till datakällan"
    column_word = "argument"


class Problems:
    """Collects problems during one validation and raises them together."""

    def __init__(self, error: type[PrevmapError], source: str | None = None):
        self._error = error
        self._source = source
        self._items: list[Problem] = []

    def add(self, message: str, *, column: str | None = None,
            values: Iterable[object] = (), expected: str = "", fix: str = "") -> None:
        self._items.append(Problem(message, self._source, column, tuple(values), expected, fix))

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def raise_if_any(self) -> None:
        if self._items:
            raise self._error(self._items)


class AreaCodeError(PrevmapError):
    title = "Fel i områdeskoderna"


class ScbFileError(PrevmapError):
    title = "Fel i SCB-filen"


class TableFileError(PrevmapError):
    title = "Fel i tabellfilen"


class PoliceFileError(PrevmapError):
    """A file from the police (events API answer, offences per DeSO) that cannot be used."""

    title = "Fel i polisens fil"


class PoliceEventsError(PoliceFileError):
    """An answer of the police events API (polisen.se/api/events) that cannot be used."""

    title = "Fel i polisens händelsefil"
    column_word = "fält"
