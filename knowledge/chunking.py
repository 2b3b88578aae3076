"""Split documents into citable chunks that respect their structure.

A document is first cut into sections by its headings (Markdown ``#``, HTML
``<h1>``–``<h6>``, and the numbered headings of Chinese documents: 一、 / （一）/
第一章); each section is then split by sentences, Chinese punctuation
included, into chunks with a small overlap. Every chunk keeps its heading
path, so a citation can say *where* in the document it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from langchain_text_splitters import RecursiveCharacterTextSplitter

from knowledge.documents import KnowledgeUnit, UnitKind
from text.language import detect_language, has_cjk

CHUNK_CHARS = 360
OVERLAP_CHARS = 60
_SENTENCE_SEPARATORS = [
    "\n\n",
    "\n",
    "。",
    "！",
    "？",
    "；",
    "! ",
    "? ",
    ". ",
    "; ",
    "，",
    ", ",
    " ",
    "",
]

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_ZH_HEADINGS = (
    (re.compile(r"^第[一二三四五六七八九十百\d]+[章部分篇]\s*\S.{0,40}$"), 2),
    (re.compile(r"^[一二三四五六七八九十]+、\s*\S.{0,40}$"), 2),
    (re.compile(r"^[（(][一二三四五六七八九十]+[）)]\s*\S.{0,40}$"), 3),
)
_SENTENCE_END = ("。", "！", "？", "；", ".", "!", "?", ";", "：", ":", "，", ",")


@dataclass
class Section:
    heading_path: list[str]
    text: str = ""
    lines: list[str] = field(default_factory=list, repr=False)


def _join_wrapped(lines: list[str]) -> str:
    """Join lines broken by layout (PDF, hard-wrapped text); blank lines end paragraphs."""
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        line = line.strip()
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
            continue
        if not current:
            current = line
        elif has_cjk(current[-1:]) or has_cjk(line[:1]):
            current += line
        else:
            current += " " + line
    if current:
        paragraphs.append(current)
    return "\n\n".join(paragraphs)


def _heading_level(line: str, markdown: bool) -> tuple[int, str] | None:
    stripped = line.strip()
    if markdown:
        match = _MD_HEADING.match(stripped)
        if match:
            return len(match.group(1)), match.group(2).strip()
    for pattern, level in _ZH_HEADINGS:
        if pattern.match(stripped) and not stripped.endswith(_SENTENCE_END):
            return level, stripped
    return None


def sections_from_lines(lines: Iterable[str], *, markdown: bool) -> list[Section]:
    """Group lines under their headings; in plain text a short first line is the title."""
    lines = list(lines)
    first = next((line.strip() for line in lines if line.strip()), "")
    path: list[tuple[int, str]] = []
    sections = [Section([])]
    started = False
    for line in lines:
        heading = _heading_level(line, markdown)
        if (
            heading is None
            and not started
            and not markdown
            and line.strip() == first
            and len(first) <= 40
            and not first.endswith(_SENTENCE_END)
        ):
            heading = (1, first)
        if line.strip():
            started = True
        if heading is None:
            sections[-1].lines.append(line)
            continue
        level, title = heading
        path = [(lvl, t) for lvl, t in path if lvl < level] + [(level, title)]
        sections.append(Section([t for _, t in path]))
    for section in sections:
        section.text = (
            _join_wrapped(section.lines) if not markdown else "\n".join(section.lines).strip()
        )
    return [s for s in sections if s.text]


def chunk_sections(
    sections: list[Section], source_id: str, *, first_position: int = 0
) -> list[KnowledgeUnit]:
    """Split each section into overlapping chunks; positions number chunks within the source."""
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=CHUNK_CHARS,
        chunk_overlap=OVERLAP_CHARS,
        separators=_SENTENCE_SEPARATORS,
        keep_separator="end",
        strip_whitespace=True,
    )
    units: list[KnowledgeUnit] = []
    for section in sections:
        title = " > ".join(section.heading_path) or source_id.rsplit("/", 1)[-1]
        for piece in splitter.split_text(section.text):
            if not piece.strip():
                continue
            position = first_position + len(units)
            units.append(
                KnowledgeUnit(
                    id=f"{source_id}#{position}",
                    kind=UnitKind.CHUNK,
                    source=source_id,
                    title=title,
                    text=piece.strip(),
                    lang=detect_language(piece),
                    heading_path=section.heading_path,
                    position=position,
                )
            )
    return units
