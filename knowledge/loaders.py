"""Read source files into knowledge units.

One function per format turns a file into either FAQ entries (CSV, XLSX,
JSONL with question/answer) or a structured document (Markdown, text, HTML,
PDF, JSONL with text) that :mod:`knowledge.chunking` splits. Problems with a
whole file raise :class:`SourceError`; problems with one row are collected so
the rest of the file still ingests.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

from knowledge.chunking import Section, chunk_sections, sections_from_lines
from knowledge.documents import KnowledgeUnit, UnitKind
from knowledge.errors import SourceError
from text.language import detect_language

DEFAULT_MAX_BYTES = 50 * 1024 * 1024

_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "编号", "faq_id"),
    "question": ("question", "问题", "标准问题", "标准问"),
    "answer": ("answer", "答案", "回答", "标准答案"),
    "similar_questions": ("similar_questions", "相似问题", "相似问法", "similar"),
    "category": ("category", "分类", "类别"),
    "lang": ("lang", "language", "语言"),
    "updated_at": ("updated_at", "更新时间", "更新日期"),
    "product": ("product", "产品"),
    "review_by": ("review_by", "复核日期", "复核时间"),
    # The FAQ sheet's `source` is the rule an entry rests on; the unit's own `source` is its file.
    "basis": ("source", "basis", "依据"),
    "handoff": ("handoff", "转人工", "需人工"),
}
_YES = frozenset({"1", "true", "yes", "y", "是", "需要", "转人工", "√"})
_SIMILAR_SPLIT = re.compile(r"[|｜\n]+")


@dataclass
class LoadedSource:
    """The units read from one file, and the rows that could not be used."""

    source: str
    units: list[KnowledgeUnit] = field(default_factory=list)
    row_errors: list[SourceError] = field(default_factory=list)


def load_source(path: Path, source_id: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedSource:
    """Read one file. Raises :class:`SourceError` when nothing in it can be used."""
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        raise SourceError(source_id, f"unsupported file type {suffix or '(none)'}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SourceError(source_id, f"cannot read file: {exc.strerror or exc}") from exc
    if size == 0:
        raise SourceError(source_id, "empty file")
    if size > max_bytes:
        raise SourceError(
            source_id,
            f"file is {size / 1_048_576:.0f} MB, over the {max_bytes / 1_048_576:.0f} MB limit "
            "for one source; split it",
        )
    loaded = reader(path, source_id)
    if not loaded.units and not loaded.row_errors:
        raise SourceError(source_id, "no text found")
    if not loaded.units:
        first = loaded.row_errors[0]
        raise SourceError(
            source_id,
            f"no usable entry ({len(loaded.row_errors)} rows rejected; first: {first.message})",
        )
    return loaded


def read_text(path: Path, source_id: str) -> str:
    """Decode text: UTF-8 (BOM or not), then GB18030 (superset of GBK), then a guessed charset."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(source_id, f"cannot read file: {exc.strerror or exc}") from exc
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise SourceError(source_id, "cannot detect the text encoding (tried UTF-8, GBK/GB18030)")
    return str(best)


# FAQ sheets -----------------------------------------------------------------


def _canonical_headers(headers: Iterable[Any], source_id: str) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for index, header in enumerate(headers):
        name = str(header or "").strip().lower().lstrip("\ufeff")
        for canonical, aliases in _HEADER_ALIASES.items():
            if name in aliases:
                mapping[index] = canonical
    missing = {"question", "answer"} - set(mapping.values())
    if missing:
        raise SourceError(
            source_id,
            f"FAQ sheet has no {' or '.join(sorted(missing))} column "
            "(expected headers question,answer or 问题,答案)",
            row=1,
        )
    return mapping


def _parse_date(value: Any, column: str = "updated_at") -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y-%m-%d %H:%M:%S", "%Y年%m月%d日"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    if not text:
        return None
    raise ValueError(f"{column} {text!r} is not a date (use YYYY-MM-DD)")


def faq_unit(record: dict[str, Any], source_id: str, position: int) -> KnowledgeUnit:
    """Build one FAQ unit from a row already mapped to canonical column names."""
    question = str(record.get("question") or "").strip()
    answer = str(record.get("answer") or "").strip()
    if not question:
        raise ValueError("question is empty")
    if not answer:
        raise ValueError("answer is empty")
    similar_raw = record.get("similar_questions") or ""
    if isinstance(similar_raw, list):
        similar = [str(s).strip() for s in similar_raw]
    else:
        similar = [s.strip() for s in _SIMILAR_SPLIT.split(str(similar_raw))]
    questions = list(dict.fromkeys([question, *[s for s in similar if s]]))
    explicit_id = str(record.get("id") or "").strip()
    stem = Path(source_id).stem
    unit_id = explicit_id or f"{stem}-{hashlib.sha1(question.encode()).hexdigest()[:10]}"
    return KnowledgeUnit(
        id=unit_id,
        kind=UnitKind.FAQ,
        source=source_id,
        title=question,
        text=answer,
        questions=questions,
        category=str(record.get("category") or "").strip(),
        lang=str(record.get("lang") or "").strip() or detect_language(question),
        product=str(record.get("product") or "").strip(),
        updated_at=_parse_date(record.get("updated_at")),
        review_by=_parse_date(record.get("review_by"), "review_by"),
        basis=str(record.get("basis") or "").strip(),
        handoff=str(record.get("handoff") or "").strip().lower() in _YES,
        position=position,
    )


def _faq_from_rows(rows: Iterator[tuple[int, list[Any]]], source_id: str) -> LoadedSource:
    loaded = LoadedSource(source_id)
    try:
        _, header = next(rows)
    except StopIteration:
        raise SourceError(source_id, "empty sheet") from None
    columns = _canonical_headers(header, source_id)
    seen: dict[str, int] = {}
    for row_number, values in rows:
        if not any(str(v or "").strip() for v in values):
            continue
        record = {columns[i]: v for i, v in enumerate(values) if i in columns}
        try:
            unit = faq_unit(record, source_id, len(loaded.units))
        except ValueError as exc:
            loaded.row_errors.append(SourceError(source_id, str(exc), row=row_number))
            continue
        if unit.id in seen:
            loaded.row_errors.append(
                SourceError(
                    source_id,
                    f"duplicate id {unit.id!r} (first on row {seen[unit.id]})",
                    row=row_number,
                )
            )
            continue
        seen[unit.id] = row_number
        loaded.units.append(unit)
    return loaded


# A spreadsheet runs a cell that starts with one of these as a formula: a drafted FAQ
# answer "=HYPERLINK(...)" would become a live link (or worse) in the curator's Excel.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe_cell(value: str) -> str:
    """``value`` for a CSV cell a person may open in a spreadsheet: a cell that would start
    a formula is prefixed with ``'``, which spreadsheets show as text (OWASP's advice)."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _from_csv_cell(value: str) -> str:
    """The inverse of :func:`csv_safe_cell`, so a drafted row ingests as it was written."""
    if value.startswith("'") and value[1:].startswith(_FORMULA_STARTS):
        return value[1:]
    return value


def _read_csv(path: Path, source_id: str) -> LoadedSource:
    text = read_text(path, source_id)
    header = text.split("\n", 1)[0]
    # The delimiter is the one that makes the header name a question and an answer column.
    delimiter = ","
    for candidate in (",", "\t", ";"):
        try:
            _canonical_headers(next(csv.reader([header], delimiter=candidate)), source_id)
        except (SourceError, StopIteration):
            continue
        delimiter = candidate
        break
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        try:
            for row in reader:
                yield reader.line_num, [_from_csv_cell(cell) for cell in row]
        except csv.Error as exc:
            raise SourceError(source_id, f"malformed CSV: {exc}", row=reader.line_num) from exc

    return _faq_from_rows(numbered(), source_id)


def _read_xlsx(path: Path, source_id: str) -> LoadedSource:
    from zipfile import BadZipFile

    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError) as exc:
        raise SourceError(source_id, f"not a readable XLSX workbook ({exc})") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = ((i, list(r)) for i, r in enumerate(sheet.iter_rows(values_only=True), start=1))
        return _faq_from_rows(rows, source_id)
    finally:
        workbook.close()


def _read_jsonl(path: Path, source_id: str) -> LoadedSource:
    loaded = LoadedSource(source_id)
    doc_sections: list[Section] = []
    for line_number, line in enumerate(read_text(path, source_id).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            loaded.row_errors.append(
                SourceError(source_id, f"invalid JSON ({exc.msg})", row=line_number)
            )
            continue
        if not isinstance(record, dict):
            loaded.row_errors.append(
                SourceError(source_id, "line is not a JSON object", row=line_number)
            )
            continue
        if "question" in record or "answer" in record:
            mapped = {
                canonical: record[key]
                for canonical, aliases in _HEADER_ALIASES.items()
                for key in aliases
                if key in record
            }
            try:
                loaded.units.append(faq_unit(mapped, source_id, len(loaded.units)))
            except ValueError as exc:
                loaded.row_errors.append(SourceError(source_id, str(exc), row=line_number))
        elif str(record.get("text") or "").strip():
            title = str(record.get("title") or "").strip()
            doc_sections.append(Section([title] if title else [], str(record["text"]).strip()))
        else:
            loaded.row_errors.append(
                SourceError(source_id, "needs question/answer or text", row=line_number)
            )
    loaded.units.extend(chunk_sections(doc_sections, source_id, first_position=len(loaded.units)))
    return loaded


# Documents ------------------------------------------------------------------


def _document(sections: list[Section], source_id: str) -> LoadedSource:
    return LoadedSource(source_id, units=chunk_sections(sections, source_id))


def _read_markdown(path: Path, source_id: str) -> LoadedSource:
    return _document(
        sections_from_lines(read_text(path, source_id).splitlines(), markdown=True), source_id
    )


def _read_plain(path: Path, source_id: str) -> LoadedSource:
    return _document(
        sections_from_lines(read_text(path, source_id).splitlines(), markdown=False), source_id
    )


class _HtmlText(HTMLParser):
    """Collects headings and body text, skipping navigation, scripts and page furniture."""

    _SKIP: ClassVar[set[str]] = {
        *("script", "style", "nav", "footer", "header", "noscript", "template", "svg", "form")
    }
    _BLOCK: ClassVar[set[str]] = {
        *("p", "li", "tr", "div", "section", "article", "br", "table", "ul", "ol", "dd", "dt")
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._buffer: list[str] = []
        self._skip_depth = 0
        self._heading: int | None = None
        self.title = ""
        self._in_title = False

    def _flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self._buffer)).strip()
        self._buffer = []
        if text:
            self.lines.append("#" * self._heading + " " + text if self._heading else text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip_depth += 1
        elif tag == "title":
            self._in_title = True
        elif re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self._heading = int(tag[1])
        elif tag in self._BLOCK:
            self._flush()
        elif tag in {"td", "th"}:
            self._buffer.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag == "title":
            self._in_title = False
        elif re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self._heading = None
        elif tag in self._BLOCK:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data.strip()
        elif not self._skip_depth:
            self._buffer.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def _read_html(path: Path, source_id: str) -> LoadedSource:
    parser = _HtmlText()
    parser.feed(read_text(path, source_id))
    parser.close()
    lines = parser.lines
    if parser.title and not any(line.startswith("# ") for line in lines):
        lines = [f"# {parser.title}", *lines]
    return _document(sections_from_lines(lines, markdown=True), source_id)


def _read_pdf(path: Path, source_id: str) -> LoadedSource:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, OSError, ValueError, KeyError) as exc:
        raise SourceError(source_id, f"not a readable PDF ({exc})") from exc
    lines = [line for page in pages for line in page.splitlines()]
    return _document(sections_from_lines(lines, markdown=False), source_id)


_READERS: dict[str, Callable[[Path, str], LoadedSource]] = {
    ".md": _read_markdown,
    ".markdown": _read_markdown,
    ".txt": _read_plain,
    ".html": _read_html,
    ".htm": _read_html,
    ".pdf": _read_pdf,
    ".csv": _read_csv,
    ".xlsx": _read_xlsx,
    ".jsonl": _read_jsonl,
}
"""The loaders, by file suffix: a new one is a reader function and a line here."""

SUPPORTED_SUFFIXES = tuple(_READERS)
"""What folder ingestion picks up: exactly the suffixes a reader is registered for."""
