"""One reading path for every indicator table, in the app and the CLI alike.

A table arrives as SCB or the municipality delivers it: keyed by ``area_id``, ``DeSO``,
``RegSO``, ``Region``, ``regsokod`` or SCB's "0126C1060 Huddinge" labels, with codes that
lost their leading zero in Excel or carry SCB's ``_DeSO2025`` suffix, as a plain table, as
SCB's wide DeSO table or as an SCB Statistikdatabasen export with title rows and footers,
one file or several. :func:`read_indicator_files` makes one table of them, keyed by
``area_id`` with normalised codes, and says in :attr:`IndicatorRead.notes` what it did.

Fitting the table to a map (filtering to the map's kommuner, summing DeSO to RegSO,
refusing codes that do not match) is :func:`geo.inputs.fit_to_areas`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geo.io.files import read_indicator_table
from geo.io.limits import FileLimits
from geo.io.safe_files import read_table_file
from geo.io.scb_files import read_omradestyp
from geo.io.scb_upload import UnknownScbTableError, scb_upload
from geo.io.scb_wide import REQUIRED as SCB_WIDE_COLUMNS
from geo.io.scb_wide import counts_missing, scb_indicator_counts
from geo.io.tables import MISSING_CELL_COLUMNS, missing_cells_frame
from indicators.codes import LEVEL_NAMES, looks_like_codes, normalise_area_codes
from indicators.columns import AREA_ID, AREA_NAME, SYNTHETIC_MARK
from indicators.errors import IndicatorTableError, PrevmapError, Problems
from indicators.swedish import parse_number

# Header names (lower case, letters and digits only) that name a key column.
KEY_NAMES = frozenset({
    "areaid", "deso", "desokod", "deso2018", "deso2025", "desokod2018", "desokod2025",
    "regso", "regsokod", "regso2020", "regso2025", "regsokod2020", "regsokod2025",
    "region", "omrade", "omradeskod", "område", "områdeskod", "kod", "kommundel",
    "kommundelskod", "kommunkod", "kommun",
})
NAME_COLUMNS = ("area_name", "namn", "områdesnamn", "omradesnamn", "regsonamn", "desonamn")
_POLICE_LIST = {"Brottskod", "Inskrivningsdatum"}


def _header_key(name: object) -> str:
    return re.sub(r"[^0-9a-zåäö]", "", str(name).lower())


def find_key_column(frame: pd.DataFrame, source: str) -> str:
    """The column that holds the area codes: ``area_id`` when there is one; otherwise the
    first column whose every value is an area code (or SCB's "code name" label) and is
    unique, preferring a column named like a key (``DeSO``, ``regsokod``, ``Region``…);
    a column of three-digit numbers counts only under such a name (a lost leading zero).
    Failing that, a column named like a key whose values are filled and unique: the
    municipality's own district ids.
    A named error lists the columns when none holds codes."""
    if AREA_ID in frame.columns:
        return AREA_ID
    candidates = []
    for column in frame.columns:
        values = frame[column]
        if not looks_like_codes(values):
            continue
        named = _header_key(column) in KEY_NAMES
        lettered = values.astype("string").str.contains(r"\d{3,4}[ABCR]\d{3}", na=False).any()
        if not (named or lettered):
            continue
        filled = values.astype("string").str.strip()
        filled = filled[filled.notna() & (filled != "")]
        candidates.append((not filled.is_unique, not named, len(candidates), str(column)))
    if not candidates:      # the municipality's own ids under a key's name ("Kommundel")
        for column in frame.columns:
            filled = frame[column].astype("string").str.strip()
            if (_header_key(column) in KEY_NAMES and filled.notna().all()
                    and (filled != "").all() and filled.is_unique):
                return str(column)
        raise IndicatorTableError(
            f"fil '{source}': hittar ingen kolumn med områdeskoder. Kolumner: "
            + ", ".join(f"'{c}'" for c in list(frame.columns)[:12])
            + ". Förväntat: en kolumn med DeSO- eller RegSO-koder ('0126C1060', '0126R001'), "
              "SCB:s etiketter ('0126C1060 Huddinge') eller kolumnen 'area_id'. Åtgärd: lägg "
              "till en sådan kolumn, eller döp kolumnen med kommunens egna områdes-id till "
              f"'{AREA_ID}'.")
    return min(candidates)[3]


@dataclass(frozen=True)
class IndicatorRead:
    """An indicator table as read: ``area_id`` (normalised codes), maybe ``area_name``,
    and the value columns as the file(s) had them (text or numbers; validation parses)."""

    table: pd.DataFrame
    level: str | None
    """``'deso'``, ``'regso'`` or ``'kommun'``; None for the municipality's own ids."""
    sources: tuple[str, ...]
    key_columns: tuple[str, ...]
    """The key column of each file, as the file names it."""
    notes: tuple[str, ...] = ()
    missing: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=list(MISSING_CELL_COLUMNS)))
    """Every missing cell with SCB's symbol and its meaning (or "tom cell")."""
    scb: dict | None = None
    """The SCB export's table code, title and year, when the file was one."""
    vintages: tuple[str, ...] = ()
    """SCB's vintage suffixes met in the codes (``'DeSO2025'``)."""
    used: bool = True
    """False for one of several files that gives nothing (see :func:`read_one_indicator_file`)."""
    file_notes: tuple[str, ...] = ()
    """What the readers said about the files themselves (macros not run, cached values of
    linked workbooks, Windows-1252, title rows, an empty sheet): also in :attr:`notes`, and
    carried to the source shown with the map (:func:`geo.io.files.mark_synthetic`)."""

    @property
    def name(self) -> str:
        """The file's name; "a.csv + b.xlsx" for two, "7 indikatorfiler" for more."""
        if len(self.sources) > 2:
            return f"{len(self.sources)} indikatorfiler"
        return " + ".join(self.sources)


def text_columns(table: pd.DataFrame) -> set[str]:
    """Columns with no number in them, or only area codes with letters or a leading zero
    (names, a larger area's code): a column of three-digit counts is numbers."""
    out = set()
    for column in table.columns:
        if pd.api.types.is_numeric_dtype(table[column]):
            continue
        text = table[column].astype("string").str.strip().dropna()
        codes = text.str.fullmatch(r"\d{4}(?:[ABCR]\d{3,4}\S*)?|0\d{3}", na=False)
        if (len(text) and codes.all()) or not text.map(
                lambda v: parse_number(v) is not None).any():
            out.add(str(column))
    return out


def _refuse_police_list(table: pd.DataFrame, source: str) -> None:
    """The police's list of offences is a comparison, not indicators: said by name, with
    the option to use instead."""
    if set(map(str, table.columns)) >= _POLICE_LIST:
        raise IndicatorTableError(
            f"fil '{source}': är polisens lista över anmälda brott per DeSO, inte en "
            "indikatortabell. Åtgärd: ange den med --polisen (och --deso-regso för RegSO) "
            "eller ladda upp den under Jämförelser; den blir en jämförelse med brott per "
            "område och år.")


def _omradestyp_error(source: str) -> IndicatorTableError:
    """SCB's områdestyp is a comparison, never indicators: said by name, with the option to
    use instead."""
    return IndicatorTableError(
        f"fil '{source}': är SCB:s områdestyp per RegSO (\"Kommun (RegSO-namn)\"), inte en "
        "indikatortabell. Åtgärd: ange den med --omradestyp, eller ladda upp den under "
        "Jämförelser: områdestypen jämförs med rangordningen men ingår aldrig i indexet.")


def _looks_like_omradestyp(table: pd.DataFrame) -> bool:
    """A table read the plain way whose first column is SCB's "Kommun (RegSO-namn)"."""
    if not len(table.columns) or str(table.columns[0]).strip().lower() not in {"område",
                                                                               "omrade"}:
        return False
    return bool(table.iloc[:, 0].astype("string").str.fullmatch(r".+ \(.+\)").mean() > 0.5)


def _is_omradestyp_file(path: Path, limits: FileLimits | None) -> bool:
    """SCB's områdestyp file as downloaded (:func:`geo.io.scb_files.read_omradestyp`), read
    with the caller's limits (in the bounded child, the environment is the fork server's)."""
    try:
        return len(read_omradestyp(path, limits)) > 0
    except PrevmapError:
        return False


def read_one_indicator_file(path: str | Path, limits: FileLimits | None = None, *,
                            strict: bool = True) -> IndicatorRead:
    """One file as an :class:`IndicatorRead` (see the module). Runs in the bounded child
    (:func:`geo.io.safe_files.read_table_file`) for an uploaded file. Not ``strict`` (one of
    several files): an SCB export that gives none of the catalogue's counts is returned
    empty with a note saying so, instead of refused."""
    path = Path(path)
    notes: list[str] = []
    scb = None
    first: Exception | None = None
    try:
        plain: pd.DataFrame | None = read_indicator_table(path, limits)
    except (IndicatorTableError, pd.errors.ParserError) as err:
        plain, first = None, err    # an SCB export with a title line: read by scb_upload
    key = None
    if plain is not None:
        _refuse_police_list(plain, path.name)
        if _looks_like_omradestyp(plain):
            raise _omradestyp_error(path.name)
        try:
            key = find_key_column(plain, path.name)
        except IndicatorTableError:
            key = None
    if plain is not None and key is not None:
        table = plain
        file_notes = tuple(table.attrs.get("notes", ()))
        if set(SCB_WIDE_COLUMNS) & set(table.columns):
            used = [c for c in SCB_WIDE_COLUMNS if c in table.columns]
            cells = missing_cells_frame(table, key, used)
            counts = scb_indicator_counts(table, id_column=key, source=path.name, partial=True)
            counts.attrs["missing"] = counts_missing(cells)
            notes.append(f"{path.name}: SCB:s breda DeSO-tabell; {len(used)} av dess kolumner "
                         "räknades om till katalogens antal (data/catalogue_scb.csv)")
            counts = counts.rename(columns={AREA_ID: key}) if key != AREA_ID else counts
            table = counts
    else:
        if path.suffix.lower() == ".csv" and _is_omradestyp_file(path, limits):
            raise _omradestyp_error(path.name)
        try:
            table = scb_upload(path, limits, plain, first)   # the plain read not again
        except UnknownScbTableError:
            if strict:
                raise
            return IndicatorRead(
                table=pd.DataFrame({AREA_ID: pd.Series(dtype="string")}), level=None,
                sources=(path.name,), key_columns=(), used=False,
                notes=(f"{path.name}: SCB-tabellen ger inga av katalogens antal och används "
                       "inte",))
        scb = table.attrs.get("scb")
        file_notes = tuple(table.attrs.get("notes", ()))
        key = find_key_column(table, path.name)
        if scb:
            notes.append(f"{path.name}: SCB:s tabell {scb['table_code']} ({scb['title']}) som den "
                         "laddades ned, omräknad till katalogens antal")
    return _keyed(table, key, path.name, [*file_notes, *notes], scb, file_notes)


def _keyed(table: pd.DataFrame, key: str, source: str, notes: list[str],
           scb: dict | None, file_notes: tuple[str, ...]) -> IndicatorRead:
    """The table with ``area_id`` of normalised codes (or the own ids as they are)."""
    values = table[key]
    given = table.attrs.get("missing")
    table = table.drop(columns=[key]).copy()
    if looks_like_codes(values):
        codes = normalise_area_codes(list(values), source=source, column=str(key))
        table.insert(0, AREA_ID, pd.array(codes.codes, dtype="string"))
        if AREA_NAME not in table.columns and any(codes.names):
            table.insert(1, AREA_NAME, pd.array(codes.names, dtype="string"))
        notes.extend(codes.notes(source, str(key)))
        level: str | None = codes.level
        vintages = codes.vintages
        if key != AREA_ID:
            notes.append(f"{source}: områdeskoderna lästes ur kolumnen '{key}' "
                         f"({LEVEL_NAMES[level]}-koder)")
    else:
        table.insert(0, AREA_ID, values.astype("string").str.strip().to_numpy())
        level, vintages = None, ()
    for name in NAME_COLUMNS[1:]:
        if AREA_NAME not in table.columns and name in map(str.lower, map(str, table.columns)):
            column = next(c for c in table.columns if str(c).lower() == name)
            table = table.rename(columns={column: AREA_NAME})
    values_columns = [c for c in table.columns if c not in (AREA_ID, AREA_NAME, SYNTHETIC_MARK)]
    table.attrs = {}
    missing = missing_cells_frame(table, AREA_ID, values_columns)
    if given is not None and len(given):   # SCB's symbols, kept through the counts
        code = dict(zip(values.astype("string").str.strip(), table[AREA_ID], strict=True))
        given = given.assign(area_id=given["area_id"].map(code).fillna(given["area_id"]))
        keys = set(zip(given["area_id"], given["column"], strict=True))
        missing = pd.concat([given, missing[[(a, c) not in keys for a, c in zip(
            missing[AREA_ID], missing["column"], strict=True)]]], ignore_index=True)
    return IndicatorRead(table=table, level=level, sources=(source,), key_columns=(str(key),),
                         notes=tuple(notes), missing=missing,
                         scb=scb, vintages=vintages, file_notes=file_notes)


def read_indicator_files(paths: Sequence[str | Path], limits: FileLimits | None = None
                         ) -> IndicatorRead:
    """One or several indicator files as one table (see the module). Several files must be
    at the same level; they are joined on the area code, every area of any file kept. A
    column that two files both have is refused with both names, unless the values agree."""
    if not paths:
        raise IndicatorTableError("ingen indikatorfil angavs.")
    given = [Path(p) for p in paths]
    if len(given) != len(set(given)):
        raise IndicatorTableError("samma indikatorfil angavs flera gånger: "
                                  + ", ".join(p.name for p in given) + ".")
    reader = read_one_indicator_file if len(paths) == 1 else functools.partial(
        read_one_indicator_file, strict=False)
    every = [read_table_file(p, reader=reader, limits=limits) for p in given]
    if len(every) == 1:
        return every[0]
    reads = [r for r in every if r.used]
    skipped = [note for r in every if not r.used for note in r.notes]
    if not reads:
        raise IndicatorTableError("ingen av filerna ger katalogens antal: "
                                  + "; ".join(skipped) + ". Åtgärd: ladda upp någon av "
                                  "SCB-tabellerna som prevmap känner, eller en egen tabell.")
    problems = Problems(IndicatorTableError, " + ".join(r.name for r in reads))
    levels = {r.level for r in reads}
    if len(levels) > 1:
        problems.add("filerna har olika nivåer: " + ", ".join(
            f"{r.name}: {LEVEL_NAMES.get(r.level or '', 'egna id')}" for r in reads) + ".",
            fix="ladda upp filer med samma områdesindelning (alla DeSO eller alla RegSO)")
        problems.raise_if_any()
    merged = reads[0].table
    owner = {c: reads[0].name for c in merged.columns}
    notes = list(reads[0].notes)
    for read in reads[1:]:
        table = read.table
        twice = [c for c in table.columns if c in merged.columns and c != AREA_ID]
        for column in twice:
            left = merged.set_index(AREA_ID)[column]
            right = table.set_index(AREA_ID)[column]
            common = left.index.intersection(right.index)
            if column == AREA_NAME or left.loc[common].astype("string").equals(
                    right.loc[common].astype("string")):
                table = table.drop(columns=[column])
                continue
            problems.add(f"kolumnen finns i två filer med olika värden: {owner[column]} och "
                         f"{read.name}.", column=str(column),
                         fix="ta bort kolumnen ur den ena filen")
        problems.raise_if_any()
        merged = merged.merge(table, on=AREA_ID, how="outer", sort=False)
        owner.update({c: read.name for c in table.columns})
        notes.extend(read.notes)
    merged[AREA_ID] = merged[AREA_ID].astype("string")
    notes.append(f"{len(reads)} filer slogs ihop till en tabell på områdeskoden: "
                 + ", ".join(r.name for r in reads))
    notes.extend(skipped)
    missing = pd.concat([r.missing for r in reads], ignore_index=True)
    return IndicatorRead(table=merged, level=reads[0].level,
                         sources=tuple(s for r in reads for s in r.sources),
                         key_columns=tuple(k for r in reads for k in r.key_columns),
                         notes=tuple(notes), missing=missing,
                         scb=next((r.scb for r in reads if r.scb), None),
                         vintages=tuple(dict.fromkeys(v for r in reads for v in r.vintages)),
                         file_notes=tuple(n for r in reads for n in r.file_notes))
