"""Safe unpacking of a zipped Shapefile (an upload is not trusted).

:func:`extract_shapefile` checks the whole archive from its central directory before
anything is written, and refuses it if any entry

* points outside the archive: an absolute path, a drive letter or a ``..`` component,
  with ``/`` or ``\\`` as separator;
* is a symbolic link or another non-regular file (the Unix mode in ``external_attr``);
* is encrypted or compressed with a method ``zipfile`` cannot read;
* unpacks to more than ``max_ratio`` times its compressed size (entries under
  :data:`RATIO_MIN_SIZE` are exempt: a small file cannot be a bomb, and small
  Shapefile parts may compress well);

or if the archive has more than ``max_entries`` entries or unpacks to more than
``max_total`` bytes in all. It then looks for exactly one ``.shp`` (anywhere in the
archive, ``__MACOSX`` and ``._*`` files of macOS ignored) with its ``.shx`` and ``.dbf``
(and ``.prj``/``.cpg`` if present) in the same folder, matched case-insensitively, and
unpacks only those parts, flat under the ``.shp``'s name, into a fresh directory it
creates inside ``dest_dir``. Sizes declared in the archive are not trusted: every entry
is copied in chunks and the copy stops as soon as it passes the declared size, the
ratio or the total limit. Files are created new (``O_EXCL``, ``O_NOFOLLOW``), never
through a link. On any refusal the fresh directory is removed again.

Every refusal is an :class:`AreaFileError` in Swedish naming the zip file, the entry,
the limit and a fix.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from indicators.errors import AreaFileError, Problem, format_values
from indicators.swedish import format_bytes

MAX_TOTAL = 200_000_000
"""Default limit on the total unpacked size of all entries, in bytes (200 MB)."""
MAX_ENTRIES = 1_000
"""Default limit on the number of entries in the archive."""
MAX_RATIO = 200
"""Default limit on an entry's unpacked size divided by its compressed size."""
RATIO_MIN_SIZE = 1_000_000
"""Entries that unpack to at most this many bytes are not checked for their ratio."""
CHUNK = 64 * 1024

REQUIRED = (".shx", ".dbf")
OPTIONAL = (".prj", ".cpg")
READABLE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                    zipfile.ZIP_LZMA)
_DRIVE = re.compile(r"^[A-Za-z]:")
_SEPARATORS = re.compile(r"[/\\]")
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)


@dataclass(frozen=True)
class _Entry:
    info: zipfile.ZipInfo
    parts: tuple[str, ...]  # the path's components, checked and without "" or "."

    @property
    def name(self) -> str:
        return self.info.filename

    @property
    def folder(self) -> tuple[str, ...]:
        return self.parts[:-1]

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.parts[-1]).suffix.lower()

    @property
    def stem(self) -> str:
        return self.parts[-1][: len(self.parts[-1]) - len(self.suffix)]


def _refuse(zip_name: str, message: str, fix: str) -> AreaFileError:
    return AreaFileError([Problem(message, zip_name, fix=fix)])


def _unsafe_reason(name: str) -> str | None:
    """Why ``name`` points outside the archive, or None if it stays inside."""
    if name.startswith(("/", "\\")):
        return "absolut sökväg"
    if _DRIVE.match(name):
        return "sökvägen börjar med en enhetsbokstav"
    if ".." in _SEPARATORS.split(name):
        return "sökvägen går uppåt med '..'"
    return None


def _check_archive(infos: list[zipfile.ZipInfo], zip_name: str, *, max_total: int,
                   max_entries: int, max_ratio: float) -> list[_Entry]:
    """The archive's files, after checking every entry of the central directory."""
    if len(infos) > max_entries:
        raise _refuse(zip_name, f"arkivet har {len(infos)} poster, fler än gränsen "
                      f"{max_entries} (första posten över gränsen: "
                      f"'{infos[max_entries].filename}').",
                      "packa bara Shapefilens delar (.shp, .shx, .dbf, .prj) i zip-filen")
    entries: list[_Entry] = []
    seen: set[tuple[str, ...]] = set()
    total = 0
    for info in infos:
        name = info.filename
        reason = _unsafe_reason(name)
        if reason is not None:
            raise _refuse(zip_name, f"posten '{name}' pekar utanför arkivet ({reason}).",
                          "packa om filen utan sökvägar som går uppåt ('..') eller börjar "
                          "med '/', '\\' eller en enhetsbokstav")
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)
        if kind == stat.S_IFLNK:
            raise _refuse(zip_name, f"posten '{name}' är en symbolisk länk.",
                          "packa om filen med de riktiga filerna i stället för länkar")
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise _refuse(zip_name, f"posten '{name}' är ingen vanlig fil "
                          f"(filtyp {oct(kind)}).",
                          "packa om filen med bara vanliga filer")
        if info.flag_bits & 0x1:
            raise _refuse(zip_name, f"posten '{name}' är krypterad.",
                          "packa om filen utan lösenord")
        if info.compress_type not in READABLE_METHODS:
            raise _refuse(zip_name, f"posten '{name}' är komprimerad med en metod som inte "
                          f"stöds (metod {info.compress_type}).",
                          "packa om filen med vanlig zip-komprimering (Deflate)")
        size = info.file_size
        if size > RATIO_MIN_SIZE and size > max_ratio * info.compress_size:
            ratio = size / info.compress_size if info.compress_size else float("inf")
            raise _refuse(zip_name, f"posten '{name}' packas upp till {format_bytes(size)} från "
                          f"{format_bytes(info.compress_size)}, ett förhållande på {ratio:.0f}:1, "
                          f"mer än gränsen {max_ratio:g}:1 (filen kan vara en zip-bomb).",
                          "packa om filen med vanlig komprimering och bara Shapefilens delar")
        total += size
        if total > max_total:
            raise _refuse(zip_name, f"arkivet packas upp till mer än gränsen "
                          f"{format_bytes(max_total)} (gränsen passeras vid posten '{name}', "
                          f"totalt minst {format_bytes(total)}).",
                          "dela upp filen, förenkla geometrierna eller ta bara med de "
                          "områden som behövs")
        if info.is_dir() or name.endswith("\\") or kind == stat.S_IFDIR:
            continue
        parts = tuple(p for p in _SEPARATORS.split(name) if p not in ("", "."))
        if not parts:
            continue
        if parts in seen:
            raise _refuse(zip_name, f"posten '{name}' finns mer än en gång i arkivet.",
                          "packa om filen så att varje fil bara finns en gång")
        seen.add(parts)
        entries.append(_Entry(info, parts))
    return entries


def _is_macos_extra(entry: _Entry) -> bool:
    return (any(p.lower() == "__macosx" for p in entry.folder)
            or entry.parts[-1].startswith("._"))


def _locate(entries: list[_Entry], zip_name: str) -> tuple[_Entry, dict[str, _Entry]]:
    """The one .shp and its parts by suffix (.shx, .dbf and, if present, .prj, .cpg)."""
    files = [e for e in entries if not _is_macos_extra(e)]
    shps = [e for e in files if e.suffix == ".shp"]
    fix = ("zippa en Shapefile med alla dess delar (.shp, .shx, .dbf och .prj) med samma "
           "namn i samma mapp, eller ladda upp en GeoPackage eller GeoJSON")
    if not shps:
        found = format_values([e.name for e in files]) if files else "inga filer"
        raise _refuse(zip_name, f"arkivet innehåller ingen Shapefile (.shp). Innehåll: {found}.",
                      fix)
    if len(shps) > 1:
        raise _refuse(zip_name, f"arkivet innehåller {len(shps)} Shapefiler (.shp), men bara "
                      f"en kan läsas: {format_values([e.name for e in shps])}.",
                      "lägg varje Shapefile i en egen zip-fil")
    shp = shps[0]
    siblings = [e for e in files if e.folder == shp.folder and e is not shp
                and e.stem.lower() == shp.stem.lower()]
    parts: dict[str, _Entry] = {".shp": shp}
    for suffix in REQUIRED + OPTIONAL:
        matches = [e for e in siblings if e.suffix == suffix]
        if len(matches) > 1:
            raise _refuse(zip_name, f"Shapefilen '{shp.name}' har flera {suffix}-filer: "
                          f"{format_values([e.name for e in matches])}.",
                          "behåll en av dem och packa om filen")
        if matches:
            parts[suffix] = matches[0]
    missing = [s for s in REQUIRED if s not in parts]
    if missing:
        beside = [e.name for e in files if e.folder == shp.folder]
        raise _refuse(zip_name, f"Shapefilen '{shp.name}' saknar sin "
                      + " och ".join(f"{s}-fil ('{shp.stem}{s}')" for s in missing)
                      + f". Hittade i samma mapp: {format_values(beside)}.", fix)
    return shp, parts


def _copy(archive: zipfile.ZipFile, entry: _Entry, target: Path, zip_name: str, *,
          unpacked: int, max_total: int, max_ratio: float) -> int:
    """Copy ``entry`` to the new file ``target`` in chunks; return ``unpacked`` plus its size.

    Stops, before writing, at the first chunk that passes the entry's declared size, its
    ratio or the total limit.
    """
    info = entry.info
    ratio_cap = max(RATIO_MIN_SIZE, max_ratio * info.compress_size)
    written = 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_BINARY
    try:
        with archive.open(info) as src, os.fdopen(os.open(target, flags, 0o600), "wb") as dst:
            while chunk := src.read(CHUNK):
                written += len(chunk)
                if unpacked + written > max_total:
                    raise _refuse(zip_name, f"arkivet packas upp till mer än gränsen "
                                  f"{format_bytes(max_total)} (uppackningen avbröts i posten "
                                  f"'{entry.name}').",
                                  "dela upp filen, förenkla geometrierna eller ta bara med "
                                  "de områden som behövs")
                if written > info.file_size:
                    raise _refuse(zip_name, f"posten '{entry.name}' innehåller mer data än "
                                  f"arkivet anger ({format_bytes(info.file_size)}); uppackningen "
                                  "avbröts.", "skapa zip-filen på nytt")
                if written > ratio_cap:
                    raise _refuse(zip_name, f"posten '{entry.name}' packas upp till mer än "
                                  f"{max_ratio:g} gånger sin komprimerade storlek "
                                  f"({format_bytes(info.compress_size)}); uppackningen avbröts "
                                  "(filen kan vara en zip-bomb).",
                                  "packa om filen med vanlig komprimering")
                dst.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError,
            RuntimeError) as err:
        raise _refuse(zip_name, f"posten '{entry.name}' är skadad eller anger fel storlek "
                      f"och kunde inte packas upp ({err}).", "skapa zip-filen på nytt") from None
    except OSError as err:
        raise _refuse(zip_name, f"posten '{entry.name}' kunde inte packas upp "
                      f"({err.strerror or err}).",
                      "försök igen, eller packa om filen") from None
    return unpacked + written


def extract_shapefile(zip_path: str | Path, dest_dir: str | Path, *,
                      max_total: int = MAX_TOTAL, max_entries: int = MAX_ENTRIES,
                      max_ratio: float = MAX_RATIO) -> Path:
    """Check the zipped Shapefile ``zip_path`` and unpack its one Shapefile.

    The parts (.shp, .shx, .dbf and any .prj and .cpg) are written, under the .shp's
    name, into a new directory created inside ``dest_dir``; the caller removes
    ``dest_dir`` when done. Returns the path of the unpacked .shp.

    Raises :class:`AreaFileError` for an unsafe, too large or broken archive, or one
    without exactly one complete Shapefile; nothing is left behind in ``dest_dir`` then.
    """
    zip_path = Path(zip_path)
    zip_name = zip_path.name
    try:
        archive = zipfile.ZipFile(zip_path)
    except FileNotFoundError:
        raise AreaFileError(f"filen '{zip_path}' finns inte. Kontrollera sökvägen.") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise AreaFileError(f"fil '{zip_name}' kunde inte läsas som zippad Shapefile: filen "
                            f"är inte ett giltigt zip-arkiv ({err}). Åtgärd: spara om "
                            "Shapefilens delar i en ny zip-fil.") from None
    with archive:
        entries = _check_archive(archive.infolist(), zip_name, max_total=max_total,
                                 max_entries=max_entries, max_ratio=max_ratio)
        shp, parts = _locate(entries, zip_name)
        dest_dir = Path(dest_dir)
        dest_dir.mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(prefix="shapefile-", dir=dest_dir))
        try:
            unpacked = 0
            for suffix, entry in parts.items():
                target = root / f"{shp.stem}{suffix}"
                if target.parent != root:  # the stem has no separator; a guard all the same
                    raise _refuse(zip_name, f"posten '{entry.name}' pekar utanför arkivet.",
                                  "packa om filen utan sökvägar som går uppåt")
                unpacked = _copy(archive, entry, target, zip_name, unpacked=unpacked,
                                 max_total=max_total, max_ratio=max_ratio)
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
    return root / f"{shp.stem}.shp"
