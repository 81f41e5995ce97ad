"""Lay out a document's blocks on A4 pages with fpdf2, the CJK font subset-embedded (pure reads).

A document is a list of blocks (built by documents.content): each a small dataclass this module
knows how to draw. Nothing here touches the database, so rendering is tested on worked examples.
"""

import datetime as dt
from dataclasses import dataclass, field

import segno
from fpdf import FPDF

from documents.fonts import FontFile, font_for

FAMILY = "desk"
INK = (33, 37, 41)
MUTED = (108, 117, 125)
ACCENT = (13, 110, 253)
RULE = (222, 226, 230)
WARN = (176, 42, 55)
QR_MASK = 0


@dataclass(frozen=True)
class Title:
    text: str
    subtitle: str = ""


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    muted: bool = False
    warning: bool = False


@dataclass(frozen=True)
class Facts:
    """Label / value pairs in two columns."""

    rows: list[tuple[str, str]]


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    # The columns shown right-aligned (amounts); the last row in bold-ish ink when ``total``.
    right: tuple[int, ...] = ()
    total: bool = False


@dataclass(frozen=True)
class QrCode:
    data: str
    caption: str


@dataclass
class Document:
    title: str
    language: str
    issued_at: dt.datetime
    blocks: list = field(default_factory=list)
    footer: str = ""

    def text(self) -> str:
        """Every character the blocks print (to choose a font that has them all)."""
        parts = [self.title, self.footer, "—"]  # the dash stands in for an empty value
        for block in self.blocks:
            if isinstance(block, Title):
                parts += [block.text, block.subtitle]
            elif isinstance(block, Heading | Paragraph):
                parts.append(block.text)
            elif isinstance(block, Facts):
                parts += [item for row in block.rows for item in row]
            elif isinstance(block, Table):
                parts += block.header + [cell for row in block.rows for cell in row]
            elif isinstance(block, QrCode):
                parts += [block.data, block.caption]
        return "".join(parts)


class _Page(FPDF):
    footer_text = ""
    # Chinese lines break between any two characters; English ones at spaces.
    wrap = "WORD"

    def footer(self):
        self.set_y(-12)
        self.set_font(FAMILY, size=7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.footer_text, align="L")
        self.cell(0, 5, f"{self.page_no()}/{{nb}}", align="R")


def render(document: Document, font: FontFile | None = None) -> bytes:
    """The PDF of ``document``, embedding a subset of ``font`` (default: documents.fonts.font_for
    its text; a batch passes the font it made for all its documents)."""
    font = font_for(document.text(), batch=font)
    pdf = _Page(format="A4", unit="mm")
    pdf.footer_text = document.footer
    pdf.wrap = "CHAR" if document.language.startswith("zh") else "WORD"
    # The issue time as the creation date: the same content and time give the same bytes.
    pdf.set_creation_date(document.issued_at)
    pdf.set_title(document.title)
    pdf.set_lang(document.language)
    pdf.set_creator("Renewal Desk")
    pdf.add_font(FAMILY, fname=font.path, collection_font_number=font.index)
    _keep_outlines_as_they_are(pdf)
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=17)
    pdf.add_page()
    for block in document.blocks:
        _DRAW[type(block)](pdf, block)
    return bytes(pdf.output())


def _keep_outlines_as_they_are(pdf: FPDF) -> None:
    """The prepared fonts' glyph boxes are already right (documents.fonts computed them), so the
    embedded subset copies each glyph's bytes instead of decoding and re-encoding its outline:
    the largest cost of a PDF otherwise. (fpdf2 keeps the fontTools font as ``ttfont``.)"""
    for font in getattr(pdf, "fonts", {}).values():
        ttfont = getattr(font, "ttfont", None)
        if ttfont is not None:
            ttfont.recalcBBoxes = False


def _title(pdf: "_Page", block: Title) -> None:
    pdf.set_font(FAMILY, size=18)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, 9, block.text, new_x="LMARGIN", new_y="NEXT", wrapmode=pdf.wrap)
    if block.subtitle:
        pdf.set_font(FAMILY, size=10)
        pdf.set_text_color(*MUTED)
        pdf.multi_cell(0, 5.5, block.subtitle, new_x="LMARGIN", new_y="NEXT", wrapmode=pdf.wrap)
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y() + 2, pdf.w - pdf.r_margin, pdf.get_y() + 2)
    pdf.ln(5)


def _heading(pdf: "_Page", block: Heading) -> None:
    if pdf.get_y() > pdf.h - 45:
        pdf.add_page()
    pdf.ln(1)
    pdf.set_font(FAMILY, size=12)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 6.5, block.text, new_x="LMARGIN", new_y="NEXT", wrapmode=pdf.wrap)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.3)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)


def _paragraph(pdf: "_Page", block: Paragraph) -> None:
    pdf.set_font(FAMILY, size=9 if block.muted else 10)
    pdf.set_text_color(*(WARN if block.warning else MUTED if block.muted else INK))
    for line in block.text.splitlines() or [""]:
        pdf.multi_cell(0, 5, line, align="L", new_x="LMARGIN", new_y="NEXT", wrapmode=pdf.wrap)
    pdf.ln(1.5)


def _facts(pdf: "_Page", block: Facts) -> None:
    label_width = 52
    for label, value in block.rows:
        if pdf.get_y() + 6 > pdf.page_break_trigger:
            pdf.add_page()  # a row never splits: label and value start on the same page
        pdf.set_font(FAMILY, size=9.5)
        pdf.set_text_color(*MUTED)
        y = pdf.get_y()
        pdf.multi_cell(label_width, 5, label, align="L", new_x="LMARGIN", new_y="NEXT", wrapmode=pdf.wrap)
        label_end = pdf.get_y()
        pdf.set_xy(pdf.l_margin + label_width, y)
        pdf.set_text_color(*INK)
        pdf.multi_cell(0, 5, value or "—", align="L", new_x="LMARGIN", new_y="NEXT", wrapmode=pdf.wrap)
        pdf.set_y(max(label_end, pdf.get_y()))
    pdf.ln(1.5)


def _table(pdf: "_Page", block: Table) -> None:
    columns = len(block.header)
    first = (pdf.w - pdf.l_margin - pdf.r_margin) * (0.5 if columns > 2 else 0.62)
    rest = (pdf.w - pdf.l_margin - pdf.r_margin - first) / max(columns - 1, 1)
    widths = [first] + [rest] * (columns - 1)
    pdf.set_font(FAMILY, size=9)
    pdf.set_text_color(*MUTED)
    for index, (title, width) in enumerate(zip(block.header, widths, strict=True)):
        pdf.cell(width, 6, title, border="B", align="R" if index in block.right else "L")
    pdf.ln(6)
    pdf.set_text_color(*INK)
    for row_index, row in enumerate(block.rows):
        last = block.total and row_index == len(block.rows) - 1
        pdf.set_font(FAMILY, size=10.5 if last else 9.5)
        for index, (value, width) in enumerate(zip(row, widths, strict=True)):
            pdf.cell(width, 6, value, border="T" if last else 0, align="R" if index in block.right else "L")
        pdf.ln(6)
    pdf.ln(2)


def _qr(pdf: "_Page", block: QrCode) -> None:
    """The QR code drawn as vector squares (crisp at any zoom, no image library needed)."""
    # A fixed mask: choosing the best of eight costs more than the rest of the page, and any
    # mask reads the same. Error correction "m" survives a crease in a printed letter.
    code = segno.make(block.data, error="m", mask=QR_MASK, boost_error=False)
    size = 30
    if pdf.get_y() + size > pdf.h - 24:
        pdf.add_page()
    matrix = [list(line) for line in code.matrix]
    modules = len(matrix) + 8  # a quiet zone of four modules on each side
    step = size / modules
    left, top = pdf.l_margin, pdf.get_y()
    pdf.set_fill_color(0, 0, 0)
    # Runs of dark modules, each merged with the same run in the rows below: one rectangle each.
    started: dict[tuple[int, int], int] = {}
    for row, line in enumerate([*matrix, []]):
        runs = set(_dark_runs(line))
        for run in [run for run in started if run not in runs]:
            first = started.pop(run)
            x, y = left + (run[0] + 4) * step, top + (first + 4) * step
            pdf.rect(x, y, (run[1] - run[0]) * step, (row - first) * step, style="F")
        for run in runs:
            started.setdefault(run, row)
    pdf.set_xy(left + size + 4, top + 6)
    pdf.set_font(FAMILY, size=9)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 5, block.caption, new_x="LMARGIN", new_y="NEXT", wrapmode=pdf.wrap)
    pdf.set_x(left + size + 4)
    pdf.set_font(FAMILY, size=7.5)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 4, block.data, new_x="LMARGIN", new_y="NEXT", wrapmode=pdf.wrap)
    pdf.set_y(top + size + 2)


def _dark_runs(line: list) -> list[tuple[int, int]]:
    """(start, end) of each run of dark modules in one row of the QR matrix."""
    runs, start = [], None
    for column, dark in enumerate([*line, 0]):
        if dark and start is None:
            start = column
        elif not dark and start is not None:
            runs.append((start, column))
            start = None
    return runs


_DRAW = {Title: _title, Heading: _heading, Paragraph: _paragraph, Facts: _facts, Table: _table, QrCode: _qr}
