"""Reading tabular files (CSV in UTF-8/UTF-8-BOM/GBK/GB18030, XLSX) into header + numbered rows.

Pure I/O at the edge: yields ``(line, {header: value})`` with the 1-based line of the row in the
file (header = line 1 for CSV; the sheet's row number for Excel), whatever the encoding,
delimiter, or the sheet and row the header stands on.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from kg.errors import InputError

__all__ = ["Table", "open_table", "detect_encoding"]

EXCEL = {".xlsx", ".xlsm"}
_DELIMS = [",", "\t", ";", "|", "，"]


@dataclass
class Table:
    path: Path
    header: list[str]
    rows: Iterator[tuple[int, list]]  # (line, values aligned with header)
    encoding: str | None
    sheet: str | None = None
    total: int | None = None  # number of data rows when known (for the progress bar)


def detect_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK and GB2312), else a guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is None:
        raise InputError("cannot tell the file's text encoding (tried UTF-8, GBK/GB18030): save it as UTF-8")
    return best.encoding


def open_table(path: str | Path, header_matches: Callable[[list[str]], int]) -> Table:
    """Open a CSV or XLSX file. ``header_matches(cells)`` scores a candidate header row (how many
    known columns it names); the best row among the first ten, and the best sheet, is the header."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file")
    if path.suffix.lower() in EXCEL:
        return _open_excel(path, header_matches)
    if path.suffix.lower() == ".xls":
        raise InputError(f"{path}: old Excel .xls files are not supported; save it as .xlsx or CSV")
    return _open_csv(path, header_matches)


def _first_line(text: str) -> str:
    """``text.splitlines()[0]`` (or "") without splitting a whole big file into lines."""
    n = 4096
    while True:
        lines = text[:n].splitlines()
        if not lines:
            return ""
        if len(lines) > 1 or n >= len(text):
            return lines[0]
        n *= 4


def _open_csv(path: Path, header_matches) -> Table:
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError(f"{path}: the file is empty")
    if raw[:4] == b"PK\x03\x04":
        raise InputError(f"{path}: this is an Excel/zip file; name it .xlsx")
    enc = detect_encoding(raw)
    try:
        text = raw.decode(enc)
    except UnicodeDecodeError as exc:  # charset-normalizer guessed wrong
        raise InputError(f"{path}: cannot decode as {enc}: {exc}") from None
    first = _first_line(text)
    # choose the delimiter that makes the header name the most known columns
    best = max(_DELIMS, key=lambda d: (header_matches([c.strip() for c in first.split(d)]), first.count(d)))
    delim = best
    if header_matches([c.strip() for c in first.split(delim)]) == 0 and first.count(delim) == 0:
        delim = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError(f"{path}: the file is empty") from None
    total = max(text.count("\n") - 1, 0)

    def rows():
        while True:
            start = reader.line_num + 1  # a record may span lines: name the line it starts on
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InputError(f"{path}, line {start}: {exc}; "
                                 "nothing was loaded") from None
            if not any(v.strip() for v in values):
                continue
            yield start, values

    return Table(path, header, rows(), enc, None, total)


def _open_excel(path: Path, header_matches) -> Table:
    try:
        import openpyxl
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise InputError(f"{path}: not a readable Excel file ({type(exc).__name__}: {exc})") from None
    best = None  # (score, sheet, header row index, header)
    for ws in wb.worksheets:
        for i, row in enumerate(ws.iter_rows(min_row=1, max_row=10, values_only=True), start=1):
            cells = ["" if v is None else str(v).strip() for v in row]
            score = header_matches(cells)
            if score and (best is None or score > best[0]):
                best = (score, ws, i, cells)
    if best is None:
        sheets = ", ".join(ws.title for ws in wb.worksheets)
        wb.close()
        raise InputError(f"{path}: no sheet has a header row with the deal columns (sheets: {sheets})")
    _, ws, hrow, header = best
    # merged header cells: carry a name across the blanks to its right is not wanted; blanks stay blank
    total = (ws.max_row or 0) - hrow if ws.max_row else None

    def rows():
        for n, row in enumerate(ws.iter_rows(min_row=hrow + 1, values_only=True), start=hrow + 1):
            values = ["" if v is None else v for v in row]
            if not any(str(v).strip() for v in values):
                continue
            yield n, values
        wb.close()

    return Table(path, header, rows(), None, ws.title, total)
