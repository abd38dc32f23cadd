"""Bounded work for table files: what a format shows cheaply is checked before the read.

A table file can be small on disk and huge once read. Each check here looks only at what
the format declares or what costs little to count, and refuses with
:class:`geo.io.limits.FileLimitError` (naming the limit, the file's value and the
variable that raises it) before the expensive step:

* **Parquet** (:func:`validate_parquet`): the magic bytes ``PAR1`` at both ends; the
  footer's row and column counts and the uncompressed size of every row group, and its
  ratio to the size on disk; columns must be flat (no lists or structs, whose repetition
  levels can expand without bound). A text column stored as a dictionary (one long value,
  a million short references to it) is read *as* a dictionary and its expanded size
  computed from the value lengths, so the expansion is measured without doing it.
* **Excel** (:func:`validate_excel_package`, :func:`validate_sheet_dimension`): the zip's
  directory (the unpacked size of every part and its ratio; ``zipfile`` refuses a part
  that unpacks to more than its directory entry says) before openpyxl parses anything,
  then the sheet's declared dimension. Macros (never run by openpyxl) and links to other
  workbooks (whose values are the cached ones) become notes.
* **Every grid** (:func:`bounded_rows`): rows, the width of each row and the cells so far,
  counted as the rows stream in, so that a sheet whose one cell sits at ``XFD1048576``
  or a CSV of a million separators stops at the limit instead of filling memory.

The limits come from the reader's caller (the readers take them from the environment with
:func:`geo.io.limits.limits_from_env`); these functions only check.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from geo.io.limits import FileLimits
from indicators.errors import PrevmapError, Problem

if TYPE_CHECKING:
    import pyarrow as pa

#: Parts and files that unpack to less than this are never refused for their ratio.
RATIO_FLOOR = 1024**2
MACRO_NOTE = "filen innehåller makron; de körs inte"
PARQUET_MAGIC = b"PAR1"
_BATCH_ROWS = 65_536
_LINK_TARGET = re.compile(rb'Target\s*=\s*["\']([^"\']+)["\']')
_MERGE_CELL = re.compile(rb'<(?:[A-Za-z_][\w.\-]*:)?mergeCell\b[^>]*?'
                         rb'\bref\s*=\s*["\']([^"\']+)["\']')

#: One entry of an Excel table of shared strings (``<si>``, ``<x:si …>``): openpyxl loads
#: all of them before a row is read, so they are counted against ``max_cells`` first (a
#: table of millions that no cell uses cost minutes of CPU and gigabytes in the app).
_SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?si[\s/>]")

Row = TypeVar("Row", bound=Sequence[object])


def validate_file_size(path: Path, limits: FileLimits) -> int:
    """The file's size on disk, refused above ``max_bytes``."""
    size = path.stat().st_size
    limits.check("max_bytes", size, path.name)
    return size


def validate_ratio(unpacked: int, packed: int, limits: FileLimits, source: str) -> None:
    """Refuse an unpacked size more than ``max_compression_ratio`` times the packed one
    (only above :data:`RATIO_FLOOR`: a tiny part may pack as tightly as it likes)."""
    if unpacked > RATIO_FLOOR:
        limits.check("max_compression_ratio", unpacked / max(packed, 1), source)


def bounded_rows(rows: Iterable[Row], limits: FileLimits, source: str) -> Iterator[Row]:
    """The rows as they come, refused as soon as there are more rows than ``max_rows``, a
    row wider than ``max_columns`` or more cells in all than ``max_cells``.

    The value named in a refusal is the count when reading stopped, so at least that.
    """
    cells = 0
    for number, row in enumerate(rows, 1):
        limits.check("max_rows", number, source)
        limits.check("max_columns", len(row), source)
        cells += len(row)
        limits.check("max_cells", cells, source)
        yield row


def validate_table_shape(rows: int, columns: int, limits: FileLimits, source: str) -> None:
    """Rows, columns and their product against the limits."""
    limits.check("max_rows", rows, source)
    limits.check("max_columns", columns, source)
    limits.check("max_cells", rows * columns, source)


# --- Excel -------------------------------------------------------------------------------

def external_links_note(targets: Sequence[str]) -> str:
    """The note for a workbook with links to other workbooks."""
    named = f" ({', '.join(targets[:5])})" if targets else ""
    return (f"filen har länkar till andra arbetsböcker{named}; värden som beräknas från dem är "
            "de som sparades senast i filen och kan vara inaktuella")


def validate_excel_package(path: Path, limits: FileLimits) -> tuple[str, ...]:
    """Check an .xlsx/.xlsm's zip directory before it is parsed; return notes about it.

    Refuses a file above ``max_bytes``, parts that unpack to more than
    ``max_decoded_bytes`` together, and a part packed more tightly than
    ``max_compression_ratio``, and a table of shared strings longer than ``max_cells``
    (counted as it streams). Notes: :data:`MACRO_NOTE` for an .xlsm or a file with a VBA
    project, :func:`external_links_note` for parts under ``xl/externalLinks/``. A file that
    is not a zip is left to openpyxl, whose error the reader reports.
    """
    validate_file_size(path, limits)
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return ()
    with book:
        infos = book.infolist()
        limits.check("max_decoded_bytes", sum(i.file_size for i in infos), path.name)
        for info in infos:
            validate_ratio(info.file_size, info.compress_size, limits,
                           f"{path.name}, del {info.filename}")
        names = [i.filename for i in infos]
        for name in names:
            if name.lower().endswith("sharedstrings.xml"):
                limits.check("max_cells", _count_elements(book, name, _SHARED_STRING),
                             f"{path.name}, del {name} (delade texter)")
        notes = []
        if path.suffix.lower() == ".xlsm" or any(
                n.lower().endswith("vbaproject.bin") for n in names):
            notes.append(MACRO_NOTE)
        links = [n for n in names if n.startswith("xl/externalLinks/")]
        if links:
            targets = [t.decode("utf-8", "replace") for n in links if n.endswith(".rels")
                       for t in _LINK_TARGET.findall(book.read(n))]
            notes.append(external_links_note(targets))
    return tuple(notes)


def _count_elements(book: zipfile.ZipFile, part: str, element: re.Pattern[bytes]) -> int:
    """How many ``element`` tags the XML ``part`` holds, counted as it streams (a tag that
    straddles two chunks is counted once, when it is complete)."""
    count = 0
    tail = b""
    with book.open(part) as stream:
        while chunk := stream.read(1024**2):
            text = tail + chunk
            count += sum(1 for m in element.finditer(text) if m.end() > len(tail))
            tail = text[-64:]
    return count


def validate_sheet_dimension(max_row: int | None, max_column: int | None,
                             limits: FileLimits, source: str) -> None:
    """The sheet's declared dimension (``<dimension ref="A1:XFD1048576"/>``) against the
    limits; a sheet without one is bounded by :func:`bounded_rows` instead."""
    if max_row and max_column:
        validate_table_shape(max_row, max_column, limits, source)


def merged_ranges(path: Path, part: str) -> tuple[str, ...]:
    """The merged ranges (``A1:C1``) of a sheet, found by scanning its XML part.

    openpyxl's read-only sheets do not read merged cells; a ``<mergeCell ref=…>`` element
    is the only place the text ``<mergeCell`` can occur in a sheet part (cell text is
    escaped), so a streamed scan finds them without building the sheet.
    """
    found: dict[str, None] = {}
    tail = b""
    with zipfile.ZipFile(path) as book, book.open(part) as stream:
        while chunk := stream.read(1024**2):
            text = tail + chunk
            found.update((m.decode("utf-8", "replace"), None) for m in _MERGE_CELL.findall(text))
            tail = text[-512:]
    return tuple(found)


# --- Parquet -----------------------------------------------------------------------------

def validate_parquet(path: Path, limits: FileLimits, error: type[PrevmapError]) -> None:
    """Check a Parquet file before it is decoded (see the module's docstring).

    Raises ``error`` for a file that is not Parquet or has nested columns, and
    :class:`geo.io.limits.FileLimitError` beyond a limit.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    size = validate_file_size(path, limits)
    with path.open("rb") as handle:
        head = handle.read(4)
        handle.seek(max(size - 4, 0))
        tail = handle.read(4)
    if size < 12 or head != PARQUET_MAGIC or tail != PARQUET_MAGIC:
        raise error([Problem("filen är inte en Parquet-fil (den börjar eller slutar inte med "
                             "'PAR1').", path.name, expected="en Parquet-fil, eller .csv/.xlsx "
                             "med rätt filändelse", fix="spara tabellen igen som .parquet eller "
                             "ge filen rätt filändelse")])
    try:
        meta = pq.ParquetFile(path).metadata
    except (pa.ArrowException, OSError) as err:
        raise error(f"fil '{path.name}': kan inte läsas som Parquet-fil ({err}). "
                    "Åtgärd: spara tabellen igen som .parquet eller .csv.") from None
    validate_table_shape(meta.num_rows, meta.num_columns, limits, path.name)
    unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    limits.check("max_decoded_bytes", unpacked, path.name)
    validate_ratio(unpacked, size, limits, path.name)
    schema = meta.schema.to_arrow_schema()
    nested = [f.name for f in schema if pa.types.is_nested(_value_type(f.type))]
    if nested:
        raise error([Problem("kolumner med listor eller strukturer i stället för ett värde per "
                             "cell.", path.name, values=nested,
                             expected="en platt tabell med tal och text",
                             fix="spara tabellen med en kolumn per värde")])
    text = [f.name for f in schema if _is_text(_value_type(f.type))]
    decoded = sum(meta.num_rows * _width(_value_type(f.type)) for f in schema
                  if f.name not in text)
    limits.check("max_decoded_bytes", decoded, path.name)
    if text:
        reader = pq.ParquetFile(path, read_dictionary=text)
        for batch in reader.iter_batches(batch_size=_BATCH_ROWS, columns=text):
            decoded += sum(_expanded_bytes(column) for column in batch.columns)
            limits.check("max_decoded_bytes", decoded, path.name)


def _value_type(kind: pa.DataType) -> pa.DataType:
    import pyarrow as pa

    return kind.value_type if pa.types.is_dictionary(kind) else kind


def _width(kind: pa.DataType) -> int:
    """Bytes per value of a fixed-width type (1 for booleans and the null type)."""
    try:
        return max(kind.bit_width // 8, 1)
    except ValueError:
        return 1


def _is_text(kind: pa.DataType) -> bool:
    import pyarrow as pa

    return (pa.types.is_string(kind) or pa.types.is_large_string(kind)
            or pa.types.is_binary(kind) or pa.types.is_large_binary(kind)
            or pa.types.is_string_view(kind) or pa.types.is_binary_view(kind))


def _expanded_bytes(column: pa.Array) -> int:
    """Bytes of a text column once every reference to its dictionary is expanded (values
    plus an 8-byte offset per row), computed from the value lengths alone."""
    import pyarrow as pa
    import pyarrow.compute as pc

    offsets = 8 * len(column)
    if isinstance(column, pa.DictionaryArray):
        lengths = pc.take(pc.binary_length(column.dictionary), column.indices)
        return offsets + int(pc.sum(lengths).as_py() or 0)
    return offsets + column.nbytes
