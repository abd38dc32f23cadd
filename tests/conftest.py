"""Shared fixtures for the prevmap test suite.

Each section belongs to one part of the code base; add new fixtures in a section of
their own rather than changing another section's fixtures.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pandas as pd
import pytest

from indicators.catalogue import CATALOGUE_COLUMNS, Catalogue, validate_catalogue
from indicators.settings import AnalysisSettings

# =====================================================================================
# indicators/ core: a 3x3 grid of areas with four indicators in three domains
# =====================================================================================
#
# Areas A1..A9 (read as a 3x3 grid, A1 top left, A9 bottom right). With i = 1..9:
#
#   lag_ek    socioekonomi  rate, per 100,  direction +1:  barn_lag_ek / barn     = 10*i %
#   brott     kriminalitet  rate, per 1000, direction +1:  anmalda_brott / invanare = 10-i ‰
#   behoriga  skola         rate, per 100,  direction -1:  elever_behoriga / elever = 100-10*i %
#   franvaro  skola         plain value,    direction +1:  franvaro                = 2*i
#
# The denominators vary between areas, so the rates are really derived from counts.
# In the need direction lag_ek, behoriga and franvaro all rise with i and brott falls,
# so for every normalisation the normalised value of A_i is the same for those three:
#
#   zscore      z_i = (i - 5) / sqrt(20/3)         (brott: -z_i)
#   percentile  p_i = 12.5 * (i - 1)               (brott: 100 - p_i)
#   minmax      p_i = 12.5 * (i - 1)               (brott: 100 - p_i)
#
# With equal weights the domains are socioekonomi = p_i, skola = p_i and
# kriminalitet = 100 - p_i, so the arithmetic score is (100 + p_i) / 3 (percentile,
# minmax) or z_i / 3 (zscore): A9 ranks first and A1 last.

GRID_IDS: tuple[str, ...] = tuple(f"A{i}" for i in range(1, 10))
GRID_INDICATORS: tuple[str, ...] = ("lag_ek", "brott", "behoriga", "franvaro")


def _catalogue_row(id: str, domain: str, direction: int = 1, *, name: str | None = None,
                   unit: str = "%", per: str = "", numerator: str = "", denominator: str = "",
                   source: str = "Testkälla", level: str = "område") -> dict[str, str]:
    """One catalogue row as text, the way ``read_catalogue`` gives it."""
    return {"id": id, "name": name or id.capitalize(), "domain": domain,
            "direction": str(direction), "unit": unit, "per": per, "numerator": numerator,
            "denominator": denominator, "source": source, "level": level}


@pytest.fixture
def grid_catalogue_frame() -> pd.DataFrame:
    """The grid catalogue as a text table (all cells strings, empty = not given)."""
    rows = [
        _catalogue_row("lag_ek", "socioekonomi", 1, name="Barn i hushåll med låg ekonomisk "
                       "standard", per="100", numerator="barn_lag_ek", denominator="barn"),
        _catalogue_row("brott", "kriminalitet", 1, name="Anmälda brott", unit="per 1 000",
                       per="1000", numerator="anmalda_brott", denominator="invanare"),
        _catalogue_row("behoriga", "skola", -1, name="Behöriga till gymnasiet", per="100",
                       numerator="elever_behoriga", denominator="elever", level="kommunal"),
        _catalogue_row("franvaro", "skola", 1, name="Hög frånvaro", level="kommunal"),
    ]
    return pd.DataFrame(rows, columns=list(CATALOGUE_COLUMNS))


@pytest.fixture
def grid_catalogue(grid_catalogue_frame: pd.DataFrame) -> Catalogue:
    return validate_catalogue(grid_catalogue_frame, source="test_katalog.csv")


@pytest.fixture
def grid_table() -> pd.DataFrame:
    """Counts and values for A1..A9 (see the comment above); also an unused text column."""
    i = range(1, 10)
    barn = [100, 200, 100, 50, 100, 200, 100, 50, 100]
    invanare = [1000, 2000, 3000] * 3
    elever = [100, 50, 200] * 3
    return pd.DataFrame({
        "area_id": list(GRID_IDS),
        "area_name": [f"Ruta {k}" for k in i],
        "barn": barn,
        "barn_lag_ek": [b * k // 10 for b, k in zip(barn, i, strict=True)],
        "invanare": invanare,
        "anmalda_brott": [n * (10 - k) // 1000 for n, k in zip(invanare, i, strict=True)],
        "elever": elever,
        "elever_behoriga": [e * (100 - 10 * k) // 100 for e, k in zip(elever, i, strict=True)],
        "franvaro": [2.0 * k for k in i],
    })


@pytest.fixture
def grid_settings() -> AnalysisSettings:
    """All four grid indicators with weight 1, percentile ranks, arithmetic mean."""
    return AnalysisSettings.create({k: 1.0 for k in GRID_INDICATORS},
                                   normalisation="percentile", name="Rutnät")


@pytest.fixture
def plain_catalogue() -> Callable[..., Catalogue]:
    """Factory: a catalogue of plain-value indicators, ``plain_catalogue(a="skola", ...)``.

    A value of the form ``"skola:-1"`` gives direction -1.
    """
    def make(**indicators: str) -> Catalogue:
        rows = []
        for ind_id, spec in indicators.items():
            domain, _, direction = spec.partition(":")
            rows.append(_catalogue_row(ind_id, domain, int(direction or 1), unit="st"))
        return validate_catalogue(pd.DataFrame(rows, columns=list(CATALOGUE_COLUMNS)))
    return make

# =====================================================================================
# end of indicators/ core fixtures
# =====================================================================================


# -- whole suite: caches -------------------------------------------------------------------
@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory):
    """Readers that cache (the duva GeoPackage, SCB answers) write under a temporary folder,
    and the app's plan database is a file in another, never in the developer's or CI's
    home directory; a developer's own database address or settings file is not used."""
    saved = {k: os.environ.get(k) for k in ("PREVMAP_CACHE", "PREVMAP_DATA",
                                             "PREVMAP_DATABASE_URL", "PREVMAP_CONFIG")}
    os.environ["PREVMAP_CACHE"] = str(tmp_path_factory.mktemp("prevmap-cache"))
    os.environ["PREVMAP_DATA"] = str(tmp_path_factory.mktemp("prevmap-data"))
    os.environ.pop("PREVMAP_DATABASE_URL", None)
    config = tmp_path_factory.mktemp("prevmap-config") / "prevmap.toml"
    config.write_text("# the test suite's settings: no [database], so the default file\n")
    os.environ["PREVMAP_CONFIG"] = str(config)
    yield
    for key, old in saved.items():
        if old is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = old


# =====================================================================================
# plans/ storage: a SQLite file and a throwaway PostgreSQL server (tests/postgres.py)
# =====================================================================================

@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL server for the session: ``$PREVMAP_TEST_POSTGRES_URL`` or a throwaway
    cluster. Skips where PostgreSQL is not installed, fails instead with
    ``PREVMAP_REQUIRE_POSTGRES=1`` (CI)."""
    from postgres import postgres_missing, postgres_required, running_postgres

    reason = postgres_missing()
    if reason is not None:
        if postgres_required():
            pytest.fail(f"PREVMAP_REQUIRE_POSTGRES is set, but: {reason}")
        pytest.skip(reason)
    with running_postgres() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty PostgreSQL database for one test (a schema of its own that the URL's
    connections see alone), dropped after it."""
    url = postgres_server.create_schema()
    yield url
    postgres_server.drop_schema(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def plans_db_url(request, tmp_path) -> str:
    """A fresh, empty plan database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'plans.sqlite'}"
    return request.getfixturevalue("postgres_url")

# =====================================================================================
# end of plans/ storage fixtures
# =====================================================================================


# =====================================================================================
# bundled data: read once per session, when a test first asks (never at import time)
# =====================================================================================

@pytest.fixture(scope="session")
def bred_prevention() -> AnalysisSettings:
    """The bundled profile "Bred prevention" (data/profiles), the app's default."""
    from geo.inputs import list_profiles

    return list_profiles()["Bred prevention"]

# =====================================================================================
# end of bundled data fixtures
# =====================================================================================
