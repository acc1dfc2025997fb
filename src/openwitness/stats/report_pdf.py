"""The report as a PDF, composed page by page with matplotlib's PdfPages.

No browser and no system library: matplotlib (a pip dependency already) lays out A4 pages of
text, tables and the charts. Text flows down the page and onto the next; a table row or a chart
never splits across pages. Fonts are embedded as TrueType so the text can be searched and copied.
"""

from __future__ import annotations

import io
import re
import textwrap
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.lines import Line2D

from openwitness.stats.charts import Chart, render_settings
from openwitness.stats.report import Content, Table

PAGE_W, PAGE_H = 8.27, 11.69  # A4, inches
MARGIN = 0.7
WIDTH = PAGE_W - 2 * MARGIN
TOP, BOTTOM = PAGE_H - MARGIN, MARGIN + 0.3
INK = "#1a1a1a"
_NUMERIC = re.compile(r"^[-—0-9.,% ]+$|^\d[\d.,]* to \d[\d.,]*$|^no file$")
_CHAR_WIDTH = 0.55  # DejaVu Sans: average glyph width in ems


def _chars(width_in: float, size: float) -> int:
    return max(4, int(width_in * 72 / (size * _CHAR_WIDTH)))


class Pages:
    """A cursor down A4 pages: each item asks for its height and gets a new page if needed."""

    def __init__(self, pdf: PdfPages, footer: str) -> None:
        self.pdf = pdf
        self.footer = footer
        self.figure: Figure | None = None
        self.number = 0
        self.y = TOP

    def page(self) -> Figure:
        if self.figure is None:
            self.new_page()
        assert self.figure is not None
        return self.figure

    def _text(self, x: float, y: float, text: str, size: float, **style: Any) -> None:
        style = {"color": INK, "va": "top", **style}
        self.page().text(x / PAGE_W, y / PAGE_H, text, fontsize=size, parse_math=False, **style)

    def new_page(self) -> None:
        self.finish()
        self.figure = Figure(figsize=(PAGE_W, PAGE_H))
        self.number += 1
        self.y = TOP
        footer = f"{self.footer} · page {self.number}"
        self._text(MARGIN, MARGIN - 0.1, footer, 7, color="#555", va="bottom")

    def need(self, height: float) -> None:
        if self.figure is None or self.y - height < BOTTOM:
            self.new_page()

    def finish(self) -> None:
        if self.figure is not None:
            self.pdf.savefig(self.figure)  # type: ignore[no-untyped-call]
            self.figure = None

    def text(self, text: str, size: float = 9.5, weight: str = "normal", after: float = 0.08,
             indent: float = 0.0) -> None:  # fmt: skip
        line = size * 1.35 / 72
        for part in textwrap.wrap(text, _chars(WIDTH - indent, size)) or [""]:
            self.need(line)
            self._text(MARGIN + indent, self.y, part, size, fontweight=weight)
            self.y -= line
        self.y -= after

    def heading(self, text: str, size: float = 13) -> None:
        self.need(1.6)  # a heading never ends a page on its own
        self.y -= 0.1
        self.text(text, size, "bold", after=0.1)

    def table(self, table: Table, size: float = 7.5) -> None:
        self.heading(table.title, 10)
        widths = _widths(table)
        line = size * 1.3 / 72
        right = [
            i > 0 and all(_NUMERIC.match(r[i]) for r in table.rows if r[i])
            for i in range(len(table.columns))
        ]
        self.need(4 * line + 0.3)
        self._row(_wrap(table.columns, widths, size * 1.15), widths, right, line, size, "bold")
        rule = (self.y + 0.03) / PAGE_H
        edges = [MARGIN / PAGE_W, (MARGIN + WIDTH) / PAGE_W]
        self.page().add_artist(Line2D(edges, [rule, rule], color=INK, linewidth=0.8))
        for row in table.rows:
            self._row(_wrap(row, widths, size), widths, right, line, size, "normal")
        self.y -= 0.1
        for note in table.notes:
            self.text(note, 8.5)

    def _row(self, cells: list[list[str]], widths: list[float], right: list[bool], line: float,
             size: float, weight: str) -> None:  # fmt: skip
        height = max(len(c) for c in cells) * line + 0.04
        self.need(height)
        x = MARGIN
        for lines, width, numeric in zip(cells, widths, right, strict=True):
            self._text(x + width - 0.08 if numeric else x, self.y, "\n".join(lines), size,
                       fontweight=weight, ha="right" if numeric else "left",
                       multialignment="right" if numeric else "left",
                       linespacing=1.15)  # fmt: skip
            x += width
        self.y -= height

    def chart(self, chart: Chart, width: float = 5.6) -> None:
        png = imread(io.BytesIO(chart.render("png")), format="png")
        height = width * png.shape[0] / png.shape[1]
        caption = textwrap.wrap(chart.alt_text, _chars(WIDTH, 8))
        self.need(height + 0.25 + len(caption) * 8 * 1.35 / 72)
        left = MARGIN + (WIDTH - width) / 2
        ax = self.page().add_axes((left / PAGE_W, (self.y - height) / PAGE_H, width / PAGE_W,
                                   height / PAGE_H))  # fmt: skip
        ax.imshow(png, interpolation="lanczos")
        ax.set_axis_off()
        self.y -= height + 0.1
        self.text(chart.alt_text, 8, after=0.3)


def _wrap(cells: list[str], widths: list[float], size: float) -> list[list[str]]:
    return [textwrap.wrap(c, _chars(w, size)) or [""] for c, w in zip(cells, widths, strict=True)]


def _widths(table: Table) -> list[float]:
    """Column widths in inches: in proportion to their longest cell (capped), filling WIDTH."""
    natural = []
    for i, column in enumerate(table.columns):
        longest = max([len(w) for w in column.split()] + [len(r[i]) for r in table.rows])
        natural.append(min(max(longest, 6), 34 if i == 0 else 26) + 3)
    total = sum(natural)
    return [WIDTH * n / total for n in natural]


def write_pdf(content: Content, path: Path) -> None:
    """The report's pages: title, summary and tables; charts; coverage, warnings, definitions
    and sources."""
    metadata = {"Title": content.title, "Creator": "OpenWitness", "CreationDate": None}
    with render_settings({"pdf.fonttype": 42}), PdfPages(path, metadata=metadata) as pdf:
        pages = Pages(pdf, content.title)
        pages.text(content.title, 16, "bold", after=0.05)
        pages.text(content.subtitle, 9)
        pages.text(f"Generated {content.generated} by OpenWitness from the data.police.uk open "
                   "data.", 9, after=0.2)  # fmt: skip
        for line in content.summary:
            pages.text(line, 10.5, after=0.1)
        pages.heading("Disproportionality")
        for table in content.ratio_tables:
            pages.table(table)
        pages.heading("Outcomes and other breakdowns")
        for table in content.breakdown_tables:
            pages.table(table)
        pages.new_page()
        pages.heading("Charts")
        for chart in content.charts:
            pages.chart(chart)
        pages.new_page()
        pages.heading("Coverage: the files this rests on")
        for line in content.coverage_lines:
            pages.text(line)
        pages.table(content.coverage_table)
        pages.heading("Warnings about the data")
        for warning in content.warnings or ["None."]:
            pages.text("• " + warning, indent=0.1)
        pages.heading("Definitions")
        for term, text in content.definitions:
            pages.text(term, 9.5, "bold", after=0.0)
            pages.text(text, 9, indent=0.2)
        pages.heading("Sources")
        for source in content.sources:
            url = f" ({source['url']})" if source["url"] else ""
            pages.text("• " + source["text"] + url, 9, indent=0.1)
        pages.text(content.footer, 8)
        pages.finish()
