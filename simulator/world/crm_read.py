"""Reading CRM exports defensively, and writing CSV files a spreadsheet cannot be tricked by.

Reading accepts a regular file only (a folder, a device or an unreadable file is refused with the reason), refuses
binary content (NUL bytes near the start, e.g. an Excel workbook) without echoing it, and decodes:

- UTF-16 when the file starts with a UTF-16 byte-order mark;
- UTF-8, with or without BOM. A file that starts with the UTF-8 BOM, or holds more valid UTF-8 multi-byte
  characters than undecodable bytes, is UTF-8: a row holding an undecodable byte is rejected with its line and the
  byte, and the rest imports (an undecodable header is an error naming the line and the byte offset);
- otherwise Windows-1252.

The delimiter is the one among ``, ; TAB |`` that splits the header into the most columns (ties go to
csv.Sniffer, then to that order). A field may hold up to MAX_FIELD_CHARS characters (1 MiB of text); a row with a
larger field is rejected with its line number instead of stopping the import. Every record is numbered by the line
where it starts, also when a quoted field spans several lines.

Writing (export-crm's file, rejects.csv) goes through atomic_write and neutralises CSV injection (OWASP): a text
cell starting with ``= + - @``, TAB or CR is prefixed with a single quote (a plain number such as -87.6 is not).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from simulator.io import atomic_write

MAX_FIELD_CHARS = 1_048_576  # the largest field imported; csv's own default limit is 131,072
DELIMITERS = ",;\t|"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BINARY_PROBE_BYTES = 8_192  # NUL bytes this early mean the file is not text
SNIFF_CHARS = 16_384  # how much of the header line the delimiter guess looks at
REJECT_CELL_CHARS = 1_000  # a rejected row's cells are cut to this length in rejects.csv
ZIP_MAGIC = b"PK\x03\x04"
BAD_BYTE = re.compile("[\udc80-\udcff]")  # an undecodable byte, kept by the surrogateescape error handler
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")  # '-87.6' is a number, not a formula

Row = tuple[int, list[str], str | None]  # (line where the record starts, cells, why it cannot be imported or None)

MAX_EXPORT_BYTES = 2 * 2**30  # an export is read whole: 2 GiB is about 10 million accounts


class CrmError(Exception):
    """An import or export that cannot start or finish (a missing or unreadable file, a missing column, ...)."""


def read_export(path: Path) -> tuple[list[str], list[Row]]:
    """Header and rows of a CSV export; each row is (start line, cells, problem or None). Blank lines are skipped.

    Raises:
        CrmError: when the file is missing, not a regular readable file, binary, empty, or unreadable as CSV.
    """
    text = decode(path, read_bytes(path))
    stream = io.StringIO(text, newline="")
    delimiter = sniff_delimiter(stream.readline()[:SNIFF_CHARS])
    stream.seek(0)
    reader = csv.reader(stream, delimiter=delimiter)
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))  # never fail mid-file; over-long fields are rejected per row
    records, previous = [], 0
    try:
        for cells in reader:
            records.append((previous + 1, cells))
            previous = reader.line_num
    except csv.Error as exc:
        raise CrmError(f"{path}: line {reader.line_num + 1}: not readable as CSV ({exc})") from exc
    finally:
        csv.field_size_limit(limit)
    records = [(line, cells) for line, cells in records if any(cell.strip() for cell in cells)]
    if not records:
        raise CrmError(f"{path}: empty file; expected a header row")
    header_line, header = records[0]
    _check_header(path, header_line, header)
    header = [cell.strip() for cell in header]
    return header, [(line, cells, row_problem(cells, header)) for line, cells in records[1:]]


def read_bytes(path: Path) -> bytes:
    """The bytes of a regular, readable file.

    Raises:
        CrmError: naming the file and what is wrong with it.
    """
    if not path.exists():
        raise CrmError(f"{path}: file not found")
    if path.is_dir():
        raise CrmError(f"{path}: is a folder; expected a CSV file")
    if not path.is_file():
        raise CrmError(f"{path}: is not a regular file; expected a CSV file")
    try:
        size = path.stat().st_size
        if size > MAX_EXPORT_BYTES:
            raise CrmError(f"{path}: {size / 2**30:,.1f} GiB; expected an export of at most "
                           f"{MAX_EXPORT_BYTES / 2**30:,.0f} GiB (split it, or import fewer columns)")
        return path.read_bytes()
    except OSError as exc:
        raise CrmError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from exc


def decode(path: Path, raw: bytes) -> str:
    """Text of an export; undecodable bytes of a UTF-8 file are kept as surrogate escapes for row_problem.

    Raises:
        CrmError: for binary content or a file whose UTF-16 byte-order mark is followed by something else.
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise CrmError(f"{path}: starts with a UTF-16 byte-order mark but is not valid UTF-16 "
                           f"(at byte offset {exc.start:,})") from exc
    if b"\x00" in raw[:BINARY_PROBE_BYTES]:
        hint = " (a ZIP archive, e.g. an Excel workbook: export it as CSV)" if raw.startswith(ZIP_MAGIC) else ""
        raise CrmError(f"{path}: binary content (NUL bytes), not a CSV table{hint}")
    bom = raw.startswith(codecs.BOM_UTF8)
    body = raw[len(codecs.BOM_UTF8):] if bom else raw
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = body.decode("utf-8", errors="surrogateescape")
    undecodable = len(BAD_BYTE.findall(text))
    multibyte = len(re.findall("[^\x00-\x7f]", text)) - undecodable
    if bom or multibyte > undecodable:
        return text  # UTF-8 with a few damaged bytes: those rows are rejected
    return body.decode("cp1252", errors="replace")


def sniff_delimiter(header_line: str) -> str:
    """The delimiter among DELIMITERS that splits the header line into the most cells (',' when none does)."""
    counts = {d: len(next(csv.reader([header_line.rstrip("\r\n")], delimiter=d), [])) for d in DELIMITERS}
    best = max(counts.values())
    tied = [d for d in DELIMITERS if counts[d] == best]
    if best <= 1 or len(tied) == 1:
        return tied[0] if best > 1 else ","
    try:
        sniffed = csv.Sniffer().sniff(header_line, delimiters="".join(tied)).delimiter
    except csv.Error:
        return tied[0]
    return sniffed if sniffed in tied else tied[0]


def _check_header(path: Path, line: int, header: list[str]) -> None:
    """Refuse a first row that is not a header, without echoing it."""
    for index, cell in enumerate(header):
        if _has_bad_byte(cell):
            byte = next(ord(ch) - 0xDC00 for ch in cell if "\udc80" <= ch <= "\udcff")
            raise CrmError(f"{path}: line {line} (the header), column {index + 1}: byte 0x{byte:02X} is not valid "
                           f"UTF-8, though the file is UTF-8 otherwise; re-export it as UTF-8")
        if len(cell) > 1_000 or not _is_text(cell):
            what = f"{len(cell):,} characters" if len(cell) > 1_000 else "control characters"
            raise CrmError(f"{path}: line {line} is not a header row: column {index + 1} has {what}")


def _is_text(cell: str) -> bool:
    return not _has_bad_byte(cell) and all(ch >= " " or ch == "\t" for ch in cell)


def _has_bad_byte(cell: str) -> bool:
    return BAD_BYTE.search(cell) is not None


def describe_columns(header: Sequence[str], rows: Sequence[Row] = (), most: int = 40) -> str:
    """The header's column names for a message, or a description of it when the file does not look like a table.

    The names are echoed only when the header has at least two cells of at most 64 characters and most of the first
    rows have as many cells as it (so the first line of a file that is not a table, e.g. prose, is not repeated to
    the terminal); at most `most` names are listed.
    """
    sample = [len(cells) for _, cells, _ in rows[:100]]
    ragged = sum(width != len(header) for width in sample) > len(sample) / 2
    if len(header) < 2 or ragged or any(len(name) > 64 for name in header):
        longest = max((len(name) for name in header), default=0)
        return (f"none recognisable: the first line has {len(header)} cell(s), the longest {longest:,} characters"
                f"{', and most rows have another number of cells' if ragged else ''}; is this a CSV export?")
    names = [name if name.isprintable() else repr(name) for name in header[:most]]
    more = f", ... ({len(header) - most} more)" if len(header) > most else ""
    return ", ".join(names) + more


def row_problem(cells: list[str], header: list[str]) -> str | None:
    """Why a row cannot be imported whatever its values (an over-long field, an undecodable or NUL byte), or None."""
    for index, cell in enumerate(cells):
        column = repr(header[index]) if index < len(header) else f"{index + 1}"
        if len(cell) > MAX_FIELD_CHARS:
            return f"field longer than {MAX_FIELD_CHARS:,} characters in column {column}"
        if _has_bad_byte(cell):
            byte = next(ord(ch) - 0xDC00 for ch in cell if "\udc80" <= ch <= "\udcff")
            return f"byte 0x{byte:02X} in column {column} is not valid UTF-8 (the rest of the file is UTF-8)"
        if "\x00" in cell:
            return f"NUL byte in column {column} (binary data in a text export)"
    return None


def parse_number(text: str) -> float | None:
    """A number from a CRM cell: '1,234.5', '1.234,5', '1234,5', '$ 1 234' (the last separator is decimal)."""
    text = text.replace(" ", "").replace("\u00a0", "").replace("$", "").replace("\u20ac", "")
    if "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".") if text.rfind(",") > text.rfind(".") else text.replace(",", "")
    elif "," in text:
        parts = text.split(",")
        text = text.replace(",", ".") if len(parts) == 2 and len(parts[1]) != 3 else text.replace(",", "")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def formula_safe(value: object) -> object:
    """A text cell a spreadsheet will not run as a formula: prefixed with ' if it starts with = + - @ TAB or CR.

    A plain number ('-87.6', '+1e3') is left as it is: a spreadsheet reads it as a number, it cannot call anything.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def printable_row(cells: Iterable[str]) -> str:
    """A rejected row as one CSV line for rejects.csv: bad bytes as backslash-x escapes, cells cut and made safe."""
    shown = []
    for cell in cells:
        cell = cell.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace").replace("\x00", "\\x00")
        if len(cell) > REJECT_CELL_CHARS:
            cell = f"{cell[:REJECT_CELL_CHARS]}...[{len(cell) - REJECT_CELL_CHARS:,} more characters]"
        shown.append(formula_safe(cell))
    line = io.StringIO()
    csv.writer(line).writerow(shown)
    return line.getvalue().rstrip("\r\n")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    """Write a CSV file (UTF-8) atomically, every text cell made formula-safe; None is written as an empty cell.

    Raises:
        CrmError: when `path` is a folder or cannot be written.
    """
    if path.is_dir():
        raise CrmError(f"{path}: is a folder; expected a file name to write, e.g. {path / 'owners.csv'}")

    def write(temporary: Path) -> None:
        with open(temporary, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([formula_safe(cell) for cell in header])
            writer.writerows([formula_safe("" if cell is None else cell) for cell in row] for row in rows)

    try:
        return atomic_write(path, write)
    except OSError as exc:
        raise CrmError(f"{path}: cannot be written ({exc.strerror or type(exc).__name__})") from exc
