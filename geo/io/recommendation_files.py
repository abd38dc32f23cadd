"""Which organisation file (who leads) and which interventions catalogue an analysis uses.

Issue 19: "Another kommun replaces the file", and the catalogue "is the municipality's to
edit". :class:`RecommendationFiles` holds the two, each with its
:class:`~geo.io.files.SourceInfo` and the SHA-256 of its bytes, so that the card, the tables,
the plan drafts and every export say who leads from the file chosen, and name that file.
The shipped files (:data:`~geo.io.organisation.DEFAULT_ORGANISATION`,
:data:`~geo.io.interventions.DEFAULT_INTERVENTIONS`) are the default; a file from the
command line (``--organisation``, ``--insatser``) or an upload in the app replaces one of
them, read and validated by the same readers.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from geo.cache import content_digest
from geo.io.files import SourceInfo
from geo.io.interventions import DEFAULT_INTERVENTIONS, read_interventions_bytes
from geo.io.organisation import (
    DEFAULT_ORGANISATION,
    read_organisation_bytes,
    read_small_file,
)
from indicators.errors import InterventionCatalogueError, OrganisationError
from indicators.interventions import InterventionCatalogue
from indicators.organisation import Organisation

ORGANISATION, INTERVENTIONS = "organisation", "insatser"
#: The role of each file in the sources ("Källa: Organisation (vem leder)").
ROLES = {ORGANISATION: "Organisation (vem leder)", INTERVENTIONS: "Insatskatalog"}
#: How the shipped files are named where the files in use are shown.
DEFAULT_TITLES = {ORGANISATION: "Huddinges organisation (inbyggd)",
                  INTERVENTIONS: "Insatskatalogen (inbyggd)"}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _source(title: str, origin: str, digest: str, date: str = "") -> SourceInfo:
    return SourceInfo(title=title, source=origin, date=date or "–", note=f"SHA-256 {digest}")


@dataclass(frozen=True)
class RecommendationFiles:
    """The organisation and the interventions catalogue in use, each with its source and the
    SHA-256 of its bytes (:attr:`digest` joins them: a different file is a different
    analysis, as a different indicator table is)."""

    organisation: Organisation
    interventions: InterventionCatalogue
    organisation_source: SourceInfo
    interventions_source: SourceInfo
    organisation_sha256: str
    interventions_sha256: str

    @property
    def digest(self) -> str:
        return content_digest(self.organisation_sha256, self.interventions_sha256)

    @property
    def is_default(self) -> bool:
        """Both files are the shipped ones (byte for byte)."""
        default = default_recommendation_files()
        return (self.organisation_sha256, self.interventions_sha256) == (
            default.organisation_sha256, default.interventions_sha256)

    def source_roles(self) -> tuple[tuple[str, SourceInfo], ...]:
        """(role, source) of each file that is not the shipped one: a reader of an export
        knows which organisation file made "Leds av"."""
        default = default_recommendation_files()
        out = []
        if self.organisation_sha256 != default.organisation_sha256:
            out.append((ROLES[ORGANISATION], self.organisation_source))
        if self.interventions_sha256 != default.interventions_sha256:
            out.append((ROLES[INTERVENTIONS], self.interventions_source))
        return tuple(out)

    def in_use(self) -> dict[str, str]:
        """Per kind (:data:`ORGANISATION`, :data:`INTERVENTIONS`) the file in use, in words:
        the shipped one by :data:`DEFAULT_TITLES`, another by its name and kommun."""
        default = default_recommendation_files()
        organisation = (DEFAULT_TITLES[ORGANISATION]
                        if self.organisation_sha256 == default.organisation_sha256
                        else f"{self.organisation_source.title} ({self.organisation.kommun})")
        interventions = (DEFAULT_TITLES[INTERVENTIONS]
                         if self.interventions_sha256 == default.interventions_sha256
                         else f"{self.interventions_source.title} "
                              f"({len(self.interventions.interventions)} insatser)")
        return {ORGANISATION: organisation, INTERVENTIONS: interventions}

    def with_upload(self, kind: str, name: str, data: bytes) -> RecommendationFiles:
        """These files with ``kind`` replaced by the bytes of an upload named ``name``,
        validated by the same reader as a file (its error names ``name``)."""
        digest = _sha256(data)
        source = _source(name, "uppladdad fil", digest)
        if kind == ORGANISATION:
            return replace(self, organisation=read_organisation_bytes(data, name),
                           organisation_source=source, organisation_sha256=digest)
        if kind == INTERVENTIONS:
            return replace(self, interventions=read_interventions_bytes(data, name),
                           interventions_source=source, interventions_sha256=digest)
        raise ValueError(f"kind must be {ORGANISATION!r} or {INTERVENTIONS!r}, not {kind!r}")

    def with_default(self, kind: str) -> RecommendationFiles:
        """These files with ``kind`` back to the shipped one."""
        default = default_recommendation_files()
        if kind == ORGANISATION:
            return replace(self, organisation=default.organisation,
                           organisation_source=default.organisation_source,
                           organisation_sha256=default.organisation_sha256)
        if kind == INTERVENTIONS:
            return replace(self, interventions=default.interventions,
                           interventions_source=default.interventions_source,
                           interventions_sha256=default.interventions_sha256)
        raise ValueError(f"kind must be {ORGANISATION!r} or {INTERVENTIONS!r}, not {kind!r}")


def read_recommendation_files(organisation: str | Path | None = None,
                              interventions: str | Path | None = None) -> RecommendationFiles:
    """The organisation file and the interventions catalogue at these paths (None: the
    shipped one), each read and validated by its reader; a file's error names the file, the
    key and the value (:class:`~indicators.errors.OrganisationError`,
    :class:`~indicators.errors.InterventionCatalogueError`)."""
    org_path = Path(organisation) if organisation is not None else DEFAULT_ORGANISATION
    cat_path = Path(interventions) if interventions is not None else DEFAULT_INTERVENTIONS
    # Each file read once: the bytes parsed are the bytes hashed.
    org_bytes = read_small_file(org_path, OrganisationError)
    cat_bytes = read_small_file(cat_path, InterventionCatalogueError)
    org = read_organisation_bytes(org_bytes, str(org_path))
    cat = read_interventions_bytes(cat_bytes, str(cat_path))
    org_sha, cat_sha = _sha256(org_bytes), _sha256(cat_bytes)
    org_source = (_source(DEFAULT_TITLES[ORGANISATION], "prevmap, data/organisation",
                          org_sha) if organisation is None
                  else _source(org_path.name, str(org_path), org_sha))
    cat_source = (_source(DEFAULT_TITLES[INTERVENTIONS], "prevmap, data/interventions",
                          cat_sha) if interventions is None
                  else _source(cat_path.name, str(cat_path), cat_sha))
    return RecommendationFiles(org, cat, org_source, cat_source, org_sha, cat_sha)


@functools.cache
def default_recommendation_files() -> RecommendationFiles:
    """The shipped organisation (Huddinge's) and catalogue, read once per process."""
    return read_recommendation_files()


#: The label of the app's template buttons (one per kind; not exports of the analysis).
TEMPLATE_LABEL = "Ladda ned den inbyggda som mall (TOML)"
#: The file name of each template (the app's button, ``prevmap mall``'s example).
TEMPLATE_NAMES = {ORGANISATION: "organisation.toml", INTERVENTIONS: "insatser.toml"}


def file_template(kind: str) -> bytes:
    """The shipped organisation file (``kind`` :data:`ORGANISATION`) or interventions
    catalogue (:data:`INTERVENTIONS`) as it is, with its comments: the starting point for
    another kommun's own file (``prevmap mall --organisation``, the app's button)."""
    paths = {ORGANISATION: DEFAULT_ORGANISATION, INTERVENTIONS: DEFAULT_INTERVENTIONS}
    if kind not in paths:
        raise ValueError(f"kind must be {ORGANISATION!r} or {INTERVENTIONS!r}, not {kind!r}")
    return paths[kind].read_bytes()
