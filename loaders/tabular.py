"""Reading tabular files (CSV in UTF-8/UTF-8-BOM/GBK/GB18030, XLSX) into header + numbered rows.

Pure I/O at the edge: yields ``(line, values)`` with the 1-based line of the row in the file
(header = line 1 for CSV; the sheet's row number for Excel), whatever the encoding, delimiter, or
the sheet and row the header stands on.

What cannot be read as it is never turns into other data without a word:

- a CSV that mixes UTF-8 and GBK/GB18030 lines is decoded line by line, each line in its own
  encoding; a line in neither is an :class:`InputError` naming the file and the line;
- a workbook with deals on several sheets gives one :class:`Table` per sheet (:func:`open_tables`);
- a header written over two rows (merged cells over sub-columns) is an :class:`InputError`;
- a row holding a formula no spreadsheet program ever computed, or a quoted field left open (it
  would swallow the rest of the file), comes as a :class:`RowProblem` the caller rejects by line.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from kg.errors import InputError

__all__ = ["Table", "RowProblem", "open_table", "open_tables", "detect_encoding", "decode_text"]

EXCEL = {".xlsx", ".xlsm"}
_DELIMS = [",", "\t", ";", "|", "，"]
_BOM = b"\xef\xbb\xbf"


@dataclass
class Table:
    path: Path
    header: list[str]
    rows: Iterator[tuple[int, list]]  # (line, values aligned with header); values may be a RowProblem
    encoding: str | None
    sheet: str | None = None
    total: int | None = None  # number of data rows when known (for the progress bar)
    columns: "Columns | None" = None  # the same rows as columns, when the file allows it (see Columns)


@dataclass
class Columns:
    """The data rows of a plain CSV (no quote character, one record per line, every non-blank line
    with the header's number of fields) as Arrow: one string array per column, and ``lines``
    (each row's 1-based line). Blank rows are left out, as :attr:`Table.rows` leaves them. The
    values are exactly those :attr:`Table.rows` gives, without a Python object per cell; a file
    that is not this plain gets ``columns = None``."""

    cols: list   # pyarrow StringArray per column of the header
    lines: Any   # numpy int64

    def column(self, i: int):
        """Column ``i`` of every row (a pyarrow StringArray)."""
        return self.cols[i]

    def row(self, k: int) -> list[str]:
        """The values of row ``k`` (for a rejected row)."""
        return [c[k].as_py() for c in self.cols]


class RowProblem(list):
    """The values of a row that could not be read as they are, with what is wrong: ``reason`` for
    the whole row (a quote never closed), or ``cells``, column index -> what is wrong with that cell
    (a formula never computed; the caller decides whether the column matters)."""

    def __init__(self, values, reason: str | None = None, cells: dict[int, str] | None = None):
        super().__init__(values)
        self.reason = reason
        self.cells = cells or {}


# ---------------------------------------------------------------------------------------------- encodings
# What text in a deals file is made of. A GBK line can happen to be valid UTF-8 only by chance, and
# then it decodes to odd scripts (Greek, Cyrillic, Arabic, Indic, private use…): a line valid in both
# encodings is taken as UTF-8 only when its UTF-8 reading stays within these.
_PLAUSIBLE = re.compile(
    "[^\x00-\x7f\u00a0-\u024f\u1e00-\u1eff\u2000-\u2bff\u2e80-\u2fdf\u3000-\u33ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U0001f000-\U0001faff"
    "\U00020000-\U0003134f]")


def _line_number(data: bytes, offset: int) -> int:
    """1-based line of ``data[offset]``, counting line breaks as the CSV reader does (\\n, \\r\\n, \\r)."""
    head = data[:offset]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def decode_text(data: bytes, path: str | Path = "the file") -> tuple[str, str]:
    """``(text, encoding)``: UTF-8 (with or without BOM), UTF-16 with a BOM, GB18030 (a superset of
    GBK and GB2312), a file mixing UTF-8 and GB18030 lines (each line in its own encoding; encoding
    ``"utf-8+gb18030"``), else charset-normalizer's guess for a file in some other single encoding.

    Raises :class:`InputError` naming the file, and the line when one line is the trouble."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: starts as UTF-16 text but is not valid UTF-16 ({exc.reason} at byte "
                             f"{exc.start}): cannot tell the file's text encoding; save it as UTF-8") from None
    bom = data.startswith(_BOM)
    body = data[3:] if bom else data
    try:
        return body.decode("utf-8"), "utf-8-sig" if bom else "utf-8"  # the usual file: one pass, no per-line work
    except UnicodeDecodeError:
        pass
    if not bom:
        try:
            text = body.decode("gb18030")
        except UnicodeDecodeError:
            text = None
        if text is not None and not _utf8_lines(body):
            return text, "gb18030"  # a GBK/GB18030 file
    return _decode_lines(body, path, bom)


# a line of valid-looking UTF-8 with at least one multibyte sequence (a superset of valid UTF-8:
# each line found is then decoded for real); in GBK text such lines are rare, so finding them is fast
_U8 = rb"(?:[\x00-\x09\x0b-\x7f]|[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3})"
_UTF8_LINE = re.compile(rb"^[\x00-\x09\x0b-\x7f]*(?:[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|"
                        rb"[\xf0-\xf4][\x80-\xbf]{3})" + _U8 + rb"*$", re.MULTILINE)


def _utf8_lines(body: bytes) -> bool:
    """Whether a file that decodes as GB18030 has lines that are really UTF-8: valid UTF-8 with
    non-ASCII text that reads as Chinese or Latin (see ``_PLAUSIBLE``)."""
    for m in _UTF8_LINE.finditer(body):
        try:
            s = m.group().decode("utf-8")
        except UnicodeDecodeError:
            continue
        if not _PLAUSIBLE.search(s):
            return True
    return False


def _decode_lines(body: bytes, path, bom: bool) -> tuple[str, str]:
    """Decode line by line: UTF-8 where a line is UTF-8, GB18030 where it is not."""
    out: list[str] = []
    n_utf8 = n_gb = 0
    bad_at = None  # byte offset of the first line that is neither
    pos = 0
    for raw in body.split(b"\n"):
        start, pos = pos, pos + len(raw) + 1
        if raw.isascii():
            out.append(raw.decode("ascii"))
            continue
        try:
            s = raw.decode("utf-8")
        except UnicodeDecodeError:
            s = None
        if s is not None:
            if not _PLAUSIBLE.search(s):
                n_utf8 += 1
                out.append(s)
                continue
            try:  # valid UTF-8 but odd: GB18030 when it is valid GB18030 too
                out.append(raw.decode("gb18030"))
                n_gb += 1
            except UnicodeDecodeError:
                n_utf8 += 1
                out.append(s)
            continue
        try:
            out.append(raw.decode("gb18030"))
            n_gb += 1
        except UnicodeDecodeError:
            if bad_at is None:
                bad_at = start
            out.append("")
    if bad_at is not None:
        if n_utf8 == n_gb == 0 and not bom:  # no line is either: a file in one other encoding?
            return _guess(body, path, bad_at)
        where = f"{path}, line {_line_number(body, bad_at)}"
        raise InputError(f"{where}: this line's text encoding is neither UTF-8 nor GBK/GB18030, unlike the "
                         f"rest of the file (mixed or damaged encoding): save the file as UTF-8; nothing was loaded")
    if n_utf8 and n_gb:
        return "\n".join(out), "utf-8+gb18030"
    if n_gb:
        return "\n".join(out), "utf-8-sig+gb18030" if bom else "gb18030"
    return "\n".join(out), "utf-8-sig" if bom else "utf-8"  # pragma: no cover - the whole-file decode took it


def _guess(body: bytes, path, bad_at: int) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    best = from_bytes(body[:200_000]).best()
    if best is None:
        raise InputError(f"{path}: cannot tell the file's text encoding (tried UTF-8, GBK/GB18030): save it as UTF-8")
    try:
        return body.decode(best.encoding), best.encoding
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}, line {_line_number(body, min(bad_at, exc.start))}: cannot tell the file's text "
                         f"encoding (not UTF-8 nor GBK/GB18030, nor {best.encoding} throughout): save it as UTF-8"
                         ) from None


def detect_encoding(data: bytes) -> str:
    """The encoding :func:`decode_text` reads ``data`` with (``"utf-8+gb18030"`` for mixed lines)."""
    return decode_text(data)[1]


# ---------------------------------------------------------------------------------------------- opening
def open_tables(path: str | Path, header_matches: Callable[[list[str]], int]) -> list[Table]:
    """Open a CSV or XLSX file: one :class:`Table` for a CSV, one per sheet with deals for a workbook.
    ``header_matches(cells)`` scores a candidate header row (how many known columns it names, 0
    when it is not a header); the best row among the first ten of a sheet is its header."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file")
    if path.suffix.lower() in EXCEL:
        return _open_excel(path, header_matches)
    if path.suffix.lower() == ".xls":
        raise InputError(f"{path}: old Excel .xls files are not supported; save it as .xlsx or CSV")
    return [_open_csv(path, header_matches)]


def open_table(path: str | Path, header_matches: Callable[[list[str]], int]) -> Table:
    """The first table of :func:`open_tables` (the only one for a CSV)."""
    return open_tables(path, header_matches)[0]


def _two_row_header(header: list[str], below: list[str], header_matches) -> list[str] | None:
    """The sub-header cells when the row below the header continues it (the header written over
    two rows, or merged cells over sub-columns): one of its cells names a known column the header
    does not, and with its cells in place of the header's the header names as many columns or more.
    (A data row does not: its values are no column names, and in place of the header's they lose
    the company column.)"""
    if not any(below):
        return None
    width = max(len(header), len(below))
    header = header + [""] * (width - len(header))
    below = below + [""] * (width - len(below))
    before = header_matches(header)
    if not any(b and header_matches([*header, b]) > before for b in below):
        return None
    if header_matches([b or h for h, b in zip(header, below)]) >= before:
        return [b for b in below if b]
    return None


def _two_row_message(where: str, hrow: int, subs: list[str]) -> str:
    shown = ", ".join(subs[:6]) + (", …" if len(subs) > 6 else "")
    return (f"{where}: the header is written over two rows (rows {hrow} and {hrow + 1}, merged header cells over "
            f"{shown}): nothing was loaded. Make it one header row with one name per column (e.g. 领投方 and "
            f"投资方 instead of 投资方 over 领投/跟投), then load again")


# ---------------------------------------------------------------------------------------------- CSV
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


_EOL = re.compile(r"\r\n|\r|\n")


def _malformed(raw: str, delim: str) -> bool:
    """Whether the text of a record over several lines fails a strict reading: its quoted field
    runs to the end of the file, or is closed by a quote followed by more text. Either way a quote
    was left open on its first line and closed, if at all, by some other quote further down."""
    try:
        for _ in csv.reader(io.StringIO(raw, newline=""), delimiter=delim, strict=True):
            pass
    except csv.Error:
        return True
    return False


def _swallowed_rows(values: list[str], delim: str, width: int) -> int:
    """How many lines inside the record's fields look like rows of their own (as many delimiters as
    a row has): a quote left open swallowing the rows after it until a quote closes it cleanly."""
    need = max(width - 1, 2)
    n = 0
    for v in values:
        if "\n" in v:
            n += sum(1 for line in v.split("\n")[1:] if line.count(delim) >= need)
    return n


def _rows_again(path: Path, header_matches):
    """The rows of a file read as :class:`Columns`, one by one (read again only if asked for)."""
    yield from _open_csv(path, header_matches, plain=False).rows


def _open_csv(path: Path, header_matches, plain: bool = True) -> Table:
    raw = path.read_bytes()
    if not raw or raw.isspace():  # (not raw.strip(): no copy of a large file)
        raise InputError(f"{path}: the file is empty")
    if raw[:4] == b"PK\x03\x04":
        raise InputError(f"{path}: this is an Excel/zip file; name it .xlsx")
    text, enc = decode_text(raw, path)
    # a UTF-8 file's bytes are its text's: read as they are below, not encoded again
    utf8 = raw if enc == "utf-8" else raw[3:] if enc == "utf-8-sig" else None
    del raw
    text = text.removeprefix("\ufeff")  # a BOM the decoding left (UTF-16)
    first = _first_line(text)
    # choose the delimiter that makes the header name the most known columns
    best = max(_DELIMS, key=lambda d: (header_matches([c.strip() for c in first.split(d)]), first.count(d)))
    delim = best
    if header_matches([c.strip() for c in first.split(delim)]) == 0 and first.count(delim) == 0:
        delim = ","
    if plain and _is_plain(text):
        eol = _EOL.search(text)
        header = [h.strip() for h in (text[:eol.start()] if eol else text).split(delim)]
        total = max(text.count("\n") - 1, 0)
        columns = _plain_columns(text, eol.end() if eol else len(text), 2, delim, header, header_matches, path, utf8)
        if columns is not None:
            del text, utf8
            return Table(path, header, _rows_again(path, header_matches), enc, None, total, columns)
    del utf8
    sio = io.StringIO(text, newline="")
    reader = csv.reader(sio, delimiter=delim)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError(f"{path}: the file is empty") from None
    except csv.Error as exc:
        raise InputError(f"{path}, line 1: {exc} (is a quote in the header never closed?); nothing was loaded"
                         ) from None
    if reader.line_num > 1 and _malformed(text[:sio.tell()], delim):
        raise InputError(f"{path}, line 1: a quote opened in the header is not closed on that line (it runs to "
                         f"line {reader.line_num} or the end of the file): close it or remove it; nothing was loaded")
    width = len(header)
    total = max(text.count("\n") - 1, 0)

    def rows():
        nonlocal reader
        base = 0  # lines before the reader's first line (after a quote left open, reading starts again)
        pos = sio.tell()  # where the next record starts in the text
        first_record = True
        while True:
            start = base + reader.line_num + 1  # a record may span lines: name the line it starts on
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if "field larger than field limit" not in str(exc):
                    raise InputError(f"{path}, line {start}: {exc}; nothing was loaded") from None
                values, end = None, None  # a quote left open in a big file
            else:
                end = base + reader.line_num
            if end is None or end > start:  # over several lines: a quoted field with line breaks, or a quote left open
                here = sio.tell()
                if end is None or _malformed(text[pos:here], delim):
                    yield start, _open_quote(pos, start, None if end is None or here >= len(text) else end)
                    sio.seek(pos)  # read on from the line after the one the quote opens on
                    sio.readline()
                    pos, base = sio.tell(), start
                    reader = csv.reader(sio, delimiter=delim)
                    continue
                pos = here
                swallowed = _swallowed_rows(values, delim, width)
                if swallowed >= 2:
                    yield start, RowProblem(values, reason=(
                        f"quote: a quoted field opened on line {start} runs to line {end}, over {swallowed} lines "
                        f"that look like rows of their own: a quote is probably not closed; lines {start}-{end} "
                        f"are set aside"))
                    continue
            else:
                pos = sio.tell()
            if not any(v.strip() for v in values):
                continue
            if first_record:
                first_record = False
                subs = _two_row_header(header, [v.strip() for v in values], header_matches)
                if subs:
                    raise InputError(_two_row_message(str(path), 1, subs))
            yield start, values

    def _open_quote(pos: int, start: int, end: int | None) -> RowProblem:
        eol = _EOL.search(text, pos)
        line = text[pos:eol.start()] if eol else text[pos:]
        values = next(csv.reader([line], delimiter=delim), [])
        where = "to the end of the file" if end is None else f"to line {end}, where a quote followed by more text ends it"
        return RowProblem(values, reason=(
            f"quote: a quote opened on line {start} is not closed on that line (the field would run {where}): "
            f"this row is set aside and the lines after it are read as rows"))

    return Table(path, header, rows(), enc, None, total)


_PLAIN_MIN = 20_000  # characters: below that, the rows are read one by one (as fast, and fewer ways to differ)


def _is_plain(text: str) -> bool:
    """Large enough, no quote (so no quoted field, no quote left open), no NUL, and no line break
    but \\n and \\r\\n: then every line is one record, split on the delimiter."""
    if len(text) < _PLAIN_MIN or '"' in text or "\x00" in text:
        return False
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return False
    # line breaks of str.splitlines the csv module does not break on: keep one reader for them
    return not any(ch in text for ch in "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _plain_columns(text: str, pos: int, first_line: int, delim: str, header: list[str], header_matches,
                   path, utf8: bytes | None = None) -> Columns | None:
    """:class:`Columns` of the rows of a plain file (:func:`_is_plain`) after ``pos``; None when a
    row has more or fewer fields than the header (the row reader says what is wrong with it).
    ``utf8``: the text's UTF-8 bytes, when at hand (read as they are, not encoded again)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    width = len(header)
    if utf8 is None:
        body = pa.py_buffer(text[pos:].encode("utf-8"))
    else:  # (a str's searches are faster than its bytes': only the body is read from them)
        body = pa.py_buffer(memoryview(utf8)[len(text[:pos].encode("utf-8")):])
    blank_line = text.find("\n\n", pos) >= 0 or text.find("\n\r\n", pos) >= 0 or text[pos:pos + 1] in ("\n", "\r")
    cols = None if blank_line else _arrow_csv(body, delim, width)
    if cols is not None:
        line_no = np.arange(len(cols[0]) if cols else 0, dtype=np.int64) + first_line
    else:
        lines = pc.split_pattern(pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(
            np.array([0, body.size], np.int32).tobytes()), body]), "\n").flatten()
        del body
        if "\r" in text:
            lines = pc.replace_substring_regex(lines, "\r$", "")
        if len(lines) and lines[len(lines) - 1].as_py() == "":
            lines = lines.slice(0, len(lines) - 1)  # the line break that ends the file
        fields = pc.split_pattern(lines, delim)
        counts = pc.list_value_length(fields).to_numpy(zero_copy_only=False)
        odd = np.flatnonzero(counts != width)
        if len(odd):
            if any(v.strip() for v in lines.take(pa.array(odd)).to_pylist()):
                return None
            keep = np.flatnonzero(counts == width)
            fields = fields.take(pa.array(keep))
            line_no = keep.astype(np.int64) + first_line
        else:
            line_no = np.arange(len(lines), dtype=np.int64) + first_line
        del lines
        cols = [pc.list_element(fields, i) for i in range(width)]
        del fields
    # blank rows (every field empty or white space, as str.strip sees it) are left out
    blank = np.ones(len(line_no), dtype=bool)
    for col in cols:
        enc = col.dictionary_encode()
        empty = np.array([not v.strip() for v in enc.dictionary.to_pylist()] + [True])
        blank &= empty[enc.indices.to_numpy(zero_copy_only=False)]
        if not blank.any():
            break
    if blank.any():
        keep = pa.array(np.flatnonzero(~blank))
        cols, line_no = [c.take(keep) for c in cols], line_no[~blank]
    out = Columns(cols, line_no)
    if len(line_no):
        subs = _two_row_header(header, [v.strip() for v in out.row(0)], header_matches)
        if subs:
            raise InputError(_two_row_message(str(path), 1, subs))
    return out


def _arrow_csv(body, delim: str, width: int) -> list | None:
    """The columns of a plain body without blank lines (pyarrow's reader would skip them and so
    shift the line numbers) by pyarrow's CSV reader; None when it cannot say the same thing as the
    row reader (a row with another number of fields; a delimiter of more than one byte)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    if len(delim.encode("utf-8")) != 1 or body.size == 0:
        return None
    names = [f"c{i}" for i in range(width)]
    try:
        t = pcsv.read_csv(pa.BufferReader(body),
                          read_options=pcsv.ReadOptions(column_names=names, block_size=1 << 24),
                          parse_options=pcsv.ParseOptions(delimiter=delim, quote_char=False, escape_char=False,
                                                          newlines_in_values=False, ignore_empty_lines=False),
                          convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                              strings_can_be_null=False, check_utf8=True))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return [t.column(i).combine_chunks() for i in range(width)]


# ---------------------------------------------------------------------------------------------- Excel
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def _has_formulas(path: Path, member: str | None) -> bool:
    """Whether a sheet's XML holds any formula (streamed: a big sheet is never read whole)."""
    if not member:
        return True
    try:
        with zipfile.ZipFile(path) as zf, zf.open(member.lstrip("/")) as fh:
            tail = b""
            while True:
                chunk = fh.read(1 << 20)
                if not chunk:
                    return False
                if _FORMULA_TAG.search(tail + chunk):
                    return True
                tail = chunk[-32:]
    except (KeyError, OSError, zipfile.BadZipFile):
        return True


def _formula_text(v) -> str | None:
    if isinstance(v, str):
        return v if v.startswith("=") else None
    text = getattr(v, "text", None)  # ArrayFormula, DataTableFormula
    return text if isinstance(text, str) else None


def _open_excel(path: Path, header_matches) -> list[Table]:
    try:
        import openpyxl
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise InputError(f"{path}: not a readable Excel file ({type(exc).__name__}: {exc})") from None
    found = []  # (score, sheet, header row, header cells, the first rows as text)
    for ws in wb.worksheets:
        head = [["" if v is None else str(v).strip() for v in row]
                for row in ws.iter_rows(min_row=1, max_row=11, values_only=True)]
        best = None
        for i, cells in enumerate(head[:10], start=1):
            score = header_matches(cells)
            if score and (best is None or score > best[0]):
                best = (score, i, cells)
        if best:
            found.append((best[0], ws, best[1], best[2], head))
    if not found:
        sheets = ", ".join(ws.title for ws in wb.worksheets)
        wb.close()
        raise InputError(f"{path}: no sheet has a header row with the deal columns (sheets: {sheets})")
    # every sheet whose header names the company and another deal column (or, when no sheet does,
    # names the company as well as the best one): deals are often kept a sheet a year
    top = max(f[0] for f in found)
    chosen = [f for f in found if f[0] >= min(2, top)]
    for _, ws, hrow, header, head in chosen:
        subs = _two_row_header(header, head[hrow] if len(head) > hrow else [], header_matches)
        if subs:
            wb.close()
            raise InputError(_two_row_message(f"{path}, sheet {ws.title}", hrow, subs))
    books = [wb]  # and the same workbook with formulas as written, opened when a sheet has any
    left = [len(chosen)]  # tables not read to the end yet: the last one closes the books
    tables = []
    for _, ws, hrow, header, _head in chosen:
        ws_f = None
        if _has_formulas(path, getattr(ws, "_worksheet_path", None)):
            if len(books) == 1:
                books.append(openpyxl.load_workbook(path, read_only=True, data_only=False))
            ws_f = books[1][ws.title]
        total = (ws.max_row or 0) - hrow if ws.max_row else None
        tables.append(Table(path, header, _excel_rows(ws, ws_f, hrow, books, left), None, ws.title, total))
    return tables


def _excel_rows(ws, ws_f, hrow: int, books: list, left: list[int]):
    """The rows of a sheet; with ``ws_f`` (the sheet with formulas as written, read alongside) a
    row with a formula that was never computed (no value saved with it) comes as a RowProblem."""
    from openpyxl.utils import get_column_letter

    formulas = ws_f.iter_rows(min_row=hrow + 1, values_only=True) if ws_f is not None else None
    try:
        # with formulas, the cells: a formula whose result is "" is saved with an empty value of type
        # "str"; one never computed has no value and the default type "n"
        it = ws.iter_rows(min_row=hrow + 1, values_only=formulas is None)
        for n, row in enumerate(it, start=hrow + 1):
            if formulas is not None:
                types = [c.data_type for c in row]
                row = [c.value for c in row]
            values = ["" if v is None else v for v in row]
            if formulas is not None:
                frow = next(formulas, ())
                cells = {}
                for i, f in enumerate(frow):
                    if (i < len(row) and row[i] is None and types[i] == "n"
                            and (text := _formula_text(f)) is not None):
                        cells[i] = (f"formula {text} in cell {get_column_letter(i + 1)}{n} was never computed "
                                    f"(open and save the file in Excel or WPS, or type the value)")
                        values[i] = text
                if cells:
                    yield n, RowProblem(values, cells=cells)
                    continue
            if not any(str(v).strip() for v in values):
                continue
            yield n, values
    finally:
        left[0] -= 1
        if left[0] == 0:
            for book in books:
                book.close()
