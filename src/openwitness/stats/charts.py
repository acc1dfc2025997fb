"""Charts of the public figures, drawn server-side with matplotlib.

Built on ``matplotlib.figure.Figure`` with the Agg canvas, never pyplot: pyplot keeps global
figure state and the server renders in threads. Each builder takes the plain-dict answers of
:class:`openwitness.stats.service.PoliceStats` and returns a :class:`Chart`: the figure, a title,
an alt text saying what the chart shows in words, and the rows behind it (the CSV download).
A month with no file is drawn as "no file", never as a zero bar. Colours are the Okabe-Ito
palette (distinguishable with the common colour-vision deficiencies); sizes are chosen so the SVG
stays readable scaled to 360 px wide.
"""

from __future__ import annotations

import csv
import html
import io
import math
import re
import textwrap
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# Okabe & Ito (2008), "Color Universal Design".
BLUE = "#0072B2"
VERMILLION = "#D55E00"
ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
GREY = "#777777"
LIGHT = "#DDDDDD"
INK = "#222222"

WIDTH_IN = 5.0  # 360 pt: an SVG shown 360 px wide keeps its 9-11 pt text at 9-11 px
HEIGHT_IN = 3.4
FORMATS = ("svg", "png", "pdf")
_RENDER_LOCK = threading.RLock()
_BOX = {"facecolor": "white", "edgecolor": "none", "pad": 1}
_RC: dict[str, Any] = {
    "svg.hashsalt": "openwitness-stats",
    "svg.fonttype": "none",
    "pdf.compression": 6,
}


class Chart:
    """A chart's words and rows, and how to draw it: a page needs the alt text at once but the
    figure only when its image is asked for, so the figure is drawn on first use. A chart whose
    rows come out of the drawing (the map's hexagons) says so with ``rows_from_drawing``."""

    def __init__(
        self, draw: Callable[[], Figure], title: str, alt_text: str,
        data_rows: list[dict[str, Any]] | None = None, height_in: float = HEIGHT_IN,
        rows_from_drawing: bool = False,
    ) -> None:  # fmt: skip
        self.draw, self.title, self.alt_text, self.height_in = draw, title, alt_text, height_in
        self._rows = data_rows if data_rows is not None else []
        self._rows_from_drawing = rows_from_drawing

    @cached_property
    def figure(self) -> Figure:
        return self.draw()

    @property
    def data_rows(self) -> list[dict[str, Any]]:
        if self._rows_from_drawing:
            self.figure  # noqa: B018 (drawing fills the rows)
        return self._rows

    def render(self, fmt: str) -> bytes:
        return render(self.figure, fmt)

    def inline_svg(self, id_prefix: str) -> str:
        """The SVG to put inside an HTML page: no XML prologue or metadata, its ids prefixed
        (several charts on one page must not share ids) and the alt text as its label."""
        svg = self.render("svg").decode()
        svg = svg[svg.index("<svg") :]
        svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.DOTALL)
        svg = re.sub(r'id="([^"]+)"', rf'id="{id_prefix}\1"', svg)
        svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{id_prefix}\1)", svg)
        svg = re.sub(r'href="#([^"]+)"', rf'href="#{id_prefix}\1"', svg)
        label = html.escape(self.alt_text, quote=True)
        return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)

    def csv(self) -> str:
        """The rows behind the chart as CSV (empty cells for no value)."""
        if not self.data_rows:
            return ""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(self.data_rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in self.data_rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
        return out.getvalue()


def render(figure: Figure, fmt: str) -> bytes:
    """SVG, PNG or PDF bytes; the same figure gives the same bytes (no dates, fixed ids).

    The SVG keeps its text as text (searchable, selectable, and testable). rcParams are global,
    so the few render settings are applied under a lock rather than changed for the process."""
    if fmt not in FORMATS:
        raise ValueError(f"format is one of {', '.join(FORMATS)}, not '{fmt}'")
    metadata: dict[str, Any] = {
        "svg": {"Date": None},
        "pdf": {"CreationDate": None},
        "png": {"Software": None},
    }[fmt]
    out = io.BytesIO()
    with render_settings():
        figure.savefig(out, format=fmt, dpi=150 if fmt == "png" else 72, metadata=metadata)
    return out.getvalue()


@contextmanager
def render_settings(extra: dict[str, Any] | None = None) -> Iterator[None]:
    """The render settings (and ``extra`` rcParams), under one lock: rcParams are process-wide,
    so they are set only while saving, and one save at a time."""
    settings = {**_RC, **(extra or {})}
    with _RENDER_LOCK, mpl.rc_context(settings):  # type: ignore[arg-type]
        yield


def force_name(slug: str) -> str:
    """'avon-and-somerset' -> 'Avon and Somerset' (file slugs as people read them)."""
    small = {"and", "of", "the"}
    words = slug.replace("-", " ").split()
    return " ".join(w if w in small and i else w.capitalize() for i, w in enumerate(words))


def _figure(height: float = HEIGHT_IN) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(WIDTH_IN, height), layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=9, colors=INK)
    return figure, ax


#: a blank chart in the house style, for other capabilities' charts (the early-warning report)
new_figure = _figure


def _title(figure: Figure, title: str, subtitle: str = "") -> None:
    text = "\n".join(textwrap.wrap(title, 52))
    if subtitle:
        text += "\n" + "\n".join(textwrap.wrap(subtitle, 70))
    figure.suptitle(text, fontsize=11, color=INK, x=0.02, ha="left")


def _note(figure: Figure, text: str) -> None:
    """A footnote under the x-axis label, inside the layout (so nothing overlaps it)."""
    if not text:
        return
    ax = figure.axes[0]
    ax.annotate(
        "\n".join(textwrap.wrap(text, 72)), xy=(0, 0), xycoords=("axes fraction", ax.xaxis.label),
        xytext=(0, -4), textcoords="offset points", va="top", ha="left", fontsize=8, color=INK,
    )  # fmt: skip


def _month_axis(ax: Axes, months: Sequence[str]) -> None:
    step = max(1, math.ceil(len(months) / 12))
    ticks = list(range(0, len(months), step))
    ax.set_xticks(ticks, [months[i] for i in ticks], rotation=90 if len(months) > 4 else 0)
    ax.set_xlim(-0.6, len(months) - 0.4)
    ax.set_xlabel("Month (file month)", fontsize=10)


def _mark_missing(ax: Axes, months: Sequence[str], labels: dict[str, str]) -> None:
    """Hatched columns labelled for months with no figure: a gap must not read as zero."""
    top = ax.get_ylim()[1]
    for i, month in enumerate(months):
        if month in labels:
            ax.bar(i, top, width=0.8, color="white", edgecolor=GREY, hatch="///", linewidth=0.6,
                   zorder=0.5)  # fmt: skip
            ax.text(i, top * 0.5, labels[month], rotation=90, ha="center", va="center",
                    fontsize=8, color=INK, bbox=_BOX)  # fmt: skip
    ax.set_ylim(0, top)


def _months_phrase(months: Sequence[str]) -> str:
    return (
        ", ".join(months)
        if len(months) <= 6
        else f"{len(months)} months ({months[0]} … {months[-1]})"
    )


def searches_over_time(monthly_answers: Sequence[dict[str, Any]]) -> Chart:
    """Searches per file month; months with no file are hatched and labelled "no file"."""
    months = [a["from"] for a in monthly_answers]
    force = monthly_answers[0]["force"] if monthly_answers else ""
    values = {a["from"]: a["searches"] for a in monthly_answers if a.get("searches") is not None}
    missing = [m for m in months if m not in values]
    title = f"Stop and search in {force_name(force)}: searches per month"

    def draw() -> Figure:
        figure, ax = _figure()
        present = [i for i, m in enumerate(months) if m in values]
        ax.bar(present, [values[months[i]] for i in present], width=0.8, color=BLUE)
        ax.set_ylim(0, max(values.values(), default=0) * 1.12 or 1)
        _mark_missing(ax, months, dict.fromkeys(missing, "no file"))
        _month_axis(ax, months)
        ax.set_ylabel("Searches", fontsize=10)
        ax.yaxis.set_major_formatter("{x:,.0f}")
        _title(figure, title, f"{months[0]} to {months[-1]}" if months else "")
        _note(figure, f"Hatched: no file published for {_months_phrase(missing)} (missing, not "
              "zero)." if missing else "")  # fmt: skip
        return figure

    alt = f"Bar chart of stop-and-search searches per month in {force_name(force)}"
    if values:
        high = max(values, key=lambda m: values[m])
        low = min(values, key=lambda m: values[m])
        alt += (f", {months[0]} to {months[-1]}: {sum(values.values()):,} searches in "
                f"{len(values)} month(s); most in {high} ({values[high]:,}), fewest in {low} "
                f"({values[low]:,}).")  # fmt: skip
    else:
        alt += ": no month in the period has a file."
    if missing:
        alt += f" No file for {_months_phrase(missing)}; those months are missing, not zero."
    rows = [{"month": m, "searches": values.get(m), "file": "yes" if m in values else "no file"}
            for m in months]  # fmt: skip
    return Chart(draw, title, alt, rows)


def _ratio_of(answer: dict[str, Any], group: str) -> dict[str, Any]:
    return dict((answer.get("rate_ratios") or {}).get(group) or {})


def ratio_over_time(monthly_answers: Sequence[dict[str, Any]], group: str = "Black") -> Chart:
    """The group's search rate over White's per month, with 95% interval bars and a line at 1."""
    months = [a["from"] for a in monthly_answers]
    force = monthly_answers[0]["force"] if monthly_answers else ""
    ethnicity = next((a["ethnicity"] for a in monthly_answers if a.get("ethnicity")), "officer")
    rows: list[dict[str, Any]] = []
    xs, ys, lows, highs, gaps = [], [], [], [], {}
    for i, answer in enumerate(monthly_answers):
        ratio = _ratio_of(answer, group)
        ci = ratio.get("ci95") or [None, None]
        bounds = ratio.get("bounds") or [None, None]
        if answer.get("searches") is None:
            why = "no file"
        else:
            why = "" if ratio.get("ratio") is not None else ratio.get("reason") or "no ratio"
        rows.append({"month": answer["from"], "group": group, "ratio": ratio.get("ratio"),
                     "ci95_low": ci[0], "ci95_high": ci[1], "bound_low": bounds[0],
                     "bound_high": bounds[1], "note": why})  # fmt: skip
        if why:
            gaps[answer["from"]] = why
        else:
            xs.append(i)
            ys.append(ratio["ratio"])
            lows.append(ratio["ratio"] - ci[0])
            highs.append(ci[1] - ratio["ratio"])
    title = f"{group} people searched per resident, relative to White: {force_name(force)}"

    def draw() -> Figure:
        figure, ax = _figure()
        ax.axhline(1, color=GREY, linestyle="--", linewidth=1)
        ax.errorbar(xs, ys, yerr=[lows, highs], fmt="o", color=BLUE, ecolor=INK, capsize=3,
                    markersize=4, linewidth=1)  # fmt: skip
        top = max([y + h for y, h in zip(ys, highs, strict=True)] + [1.0]) * 1.15
        ax.set_ylim(0, top)
        _mark_missing(ax, months, {m: "no file" if why == "no file" else "no ratio"
                                   for m, why in gaps.items()})  # fmt: skip
        ax.text(len(months) - 0.45, 1, "equal rates", fontsize=8, va="bottom", ha="right",
                color=INK, bbox=_BOX)  # fmt: skip
        _month_axis(ax, months)
        ax.set_ylabel("Rate ratio (1 = same rate)", fontsize=10)
        _title(figure, title, f"{ethnicity}-defined ethnicity; bars: 95% interval (Katz)")
        reasons = sorted({why for why in gaps.values() if why != "no file"})
        _note(figure, ("No ratio: " + "; ".join(reasons)) if reasons else "")
        return figure

    alt = (f"Chart of the {group}/White stop-and-search rate ratio per month in "
           f"{force_name(force)} ({ethnicity}-defined ethnicity), with 95% intervals.")  # fmt: skip
    if ys:
        alt += (f" It ranges from {min(ys):.2f} to {max(ys):.2f} over {len(ys)} month(s); "
                "1 would mean the same rate as White people.")  # fmt: skip
    if gaps:
        alt += " No ratio for " + "; ".join(f"{m} ({why})" for m, why in gaps.items()) + "."
    return Chart(draw, title, alt, rows)


def league_table(by_force_answers: Sequence[dict[str, Any]], group: str = "Black") -> Chart:
    """Forces ranked by the group/White ratio with interval bars; forces with no ratio are left
    out of the drawing and named in a note (the rows say why)."""
    month = by_force_answers[0]["from"] if by_force_answers else ""
    ethnicity = by_force_answers[0].get("ethnicity", "officer") if by_force_answers else "officer"
    rows: list[dict[str, Any]] = []
    ranked: list[tuple[str, float, float, float]] = []
    without: list[str] = []
    for answer in by_force_answers:
        ratio = _ratio_of(answer, group)
        ci = ratio.get("ci95") or [None, None]
        why = "" if ratio.get("ratio") is not None else ratio.get("reason", "")
        rows.append({"force": answer["force"], "month": answer["from"], "group": group,
                     "ratio": ratio.get("ratio"), "ci95_low": ci[0], "ci95_high": ci[1],
                     "searches": answer.get("searches"),
                     "note": why})  # fmt: skip
        if ratio.get("ratio") is None:
            without.append(answer["force"])
        else:
            ranked.append((answer["force"], ratio["ratio"], ci[0], ci[1]))
    ranked.sort(key=lambda r: r[1])
    rows.sort(key=lambda r: (r["ratio"] is None, -(r["ratio"] or 0), r["force"]))
    title = f"{group}/White search rate ratio by force, {month}"
    height = max(HEIGHT_IN, 1.4 + 0.22 * len(ranked))

    def draw() -> Figure:
        figure, ax = _figure(height)
        ys = list(range(len(ranked)))
        ax.errorbar([r[1] for r in ranked], ys,
                    xerr=[[r[1] - r[2] for r in ranked], [r[3] - r[1] for r in ranked]],
                    fmt="o", color=BLUE, ecolor=INK, capsize=2, markersize=4,
                    linewidth=1)  # fmt: skip
        ax.axvline(1, color=GREY, linestyle="--", linewidth=1)
        ax.set_yticks(ys, [force_name(r[0]) for r in ranked], fontsize=8)
        ax.set_ylim(-0.7, max(len(ranked), 1) - 0.3)
        ax.set_xlim(0, max([r[3] for r in ranked] + [1.0]) * 1.08)
        ax.set_xlabel("Rate ratio (1 = same rate as White people)", fontsize=10)
        ax.set_ylabel("Force", fontsize=10)
        if not ranked:
            ax.text(0.5, 0.5, "no force has a ratio this month", transform=ax.transAxes,
                    ha="center", fontsize=10)  # fmt: skip
        _title(figure, title, f"{ethnicity}-defined ethnicity; bars: 95% interval (Katz)")
        _note(figure, f"Not shown, no ratio: {', '.join(force_name(f) for f in without)} "
              "(the table gives each reason)." if without else "")  # fmt: skip
        return figure

    alt = (f"Chart ranking {len(ranked)} forces by the {group}/White stop-and-search rate ratio "
           f"in {month} ({ethnicity}-defined ethnicity), with 95% intervals.")  # fmt: skip
    if ranked:
        alt += (f" Highest: {force_name(ranked[-1][0])} ({ranked[-1][1]:.2f}); lowest: "
                f"{force_name(ranked[0][0])} ({ranked[0][1]:.2f}).")  # fmt: skip
    if without:
        alt += f" No ratio for {', '.join(force_name(f) for f in without)}."
    return Chart(draw, title, alt, rows, height)


def section_60_over_time(breakdowns: dict[str, Any]) -> Chart:
    """Section 60 (no suspicion needed) searches per month; months with no file marked."""
    months = sorted([*breakdowns["months"], *breakdowns["missing_months"]])
    per_month = {r["month"]: r for r in breakdowns["section_60_by_month"]}
    missing = [m for m in months if m not in per_month]
    force = breakdowns["force"]
    title = f"Section 60 searches per month: {force_name(force)}"
    present = [i for i, m in enumerate(months) if m in per_month]
    counts = [per_month[m]["section_60"] for m in months if m in per_month]

    def draw() -> Figure:
        figure, ax = _figure()
        ax.bar(present, counts, width=0.8, color=VERMILLION)
        ax.set_ylim(0, max(counts, default=0) * 1.15 or 1)
        _mark_missing(ax, months, dict.fromkeys(missing, "no file"))
        _month_axis(ax, months)
        ax.set_ylabel("Section 60 searches", fontsize=10)
        ax.yaxis.set_major_formatter("{x:,.0f}")
        _title(figure, title, "Criminal Justice and Public Order Act 1994, s.60 (no suspicion "
               "needed)")  # fmt: skip
        _note(figure, f"Hatched: no file for {_months_phrase(missing)} (missing, not zero)."
              if missing else "")  # fmt: skip
        return figure

    total = sum(counts)
    searches = sum(per_month[m]["searches"] for m in per_month)
    alt = (f"Bar chart of section 60 searches per month in {force_name(force)}: {total:,} of "
           f"{searches:,} searches in {len(per_month)} month(s).")  # fmt: skip
    if counts and total:
        high = max(per_month, key=lambda m: per_month[m]["section_60"])
        alt += f" Most in {high} ({per_month[high]['section_60']:,})."
    if missing:
        alt += f" No file for {_months_phrase(missing)}."
    rows = [{"month": m, "searches": per_month[m]["searches"] if m in per_month else None,
             "section_60": per_month[m]["section_60"] if m in per_month else None,
             "file": "yes" if m in per_month else "no file"} for m in months]  # fmt: skip
    return Chart(draw, title, alt, rows)


def category_bars(breakdowns: dict[str, Any], key: str) -> Chart:
    """Searches by age range or gender; "not recorded" is its own bar, not dropped."""
    order = {"age_range": ("under 10", "10-17", "18-24", "25-34", "over 34"),
             "gender": ("Male", "Female", "Other")}[key]  # fmt: skip
    what = {"age_range": "age range", "gender": "gender"}[key]
    counts: dict[str, int] = breakdowns[key]
    labels = [c for c in order if c in counts] + sorted(
        c for c in counts if c not in order and c != "missing"
    )
    labels.append("missing")
    values = [counts.get(c, 0) for c in labels]
    total = sum(values)
    shown = ["not recorded" if c == "missing" else c for c in labels]
    title = f"Searches by {what}: {force_name(breakdowns['force'])}"
    height = max(2.6, 1.4 + 0.3 * len(labels))

    def draw() -> Figure:
        figure, ax = _figure(height)
        colours = [GREY if c == "missing" else SKY for c in labels]
        ax.barh(range(len(labels)), values, color=colours)
        ax.set_yticks(range(len(labels)), shown)
        ax.invert_yaxis()
        ax.set_xlabel("Searches", fontsize=10)
        ax.set_ylabel(what.capitalize(), fontsize=10)
        ax.xaxis.set_major_formatter("{x:,.0f}")
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.set_xlim(0, max(values, default=0) * 1.3 or 1)
        for i, value in enumerate(values):
            share = f" ({value / total:.0%})" if total else ""
            ax.text(value, i, f" {value:,}{share}", va="center", fontsize=8, color=INK)
        _title(figure, title, f"{breakdowns['from']} to {breakdowns['to']}; of {total:,} "
               "searches")  # fmt: skip
        return figure

    alt = (
        f"Bar chart of {total:,} searches in {force_name(breakdowns['force'])} by {what}: "
        + "; ".join(f"{s} {v:,}" for s, v in zip(shown, values, strict=True))
        + "."
    )
    column = what.replace(" ", "_")
    rows = [{column: s, "searches": v, "share": round(v / total, 4) if total else None}
            for s, v in zip(shown, values, strict=True)]  # fmt: skip
    return Chart(draw, title, alt, rows, height)


def search_map(
    points: Sequence[tuple[float, float]], force: str = "", period: str = "", gridsize: int = 30
) -> Chart:
    """Published search locations counted in hexagons on a plain grid: no tiles, no basemap.

    Longitude is scaled by cos(latitude) (the axes' aspect) so a hexagon covers about the same
    ground everywhere on the map. The published points are already snapped to anonymised map
    points; a few far-off points would shrink the rest to a dot, so the drawing keeps the
    central 99% of each axis and says how many it leaves out. The hexagons' counts (the rows)
    come out of the drawing."""
    where = force_name(force) if force else "the area"
    title = f"Where searches were recorded: {where}"
    if not points:

        def draw_empty() -> Figure:
            figure, ax = _figure(4.2)
            _title(figure, title, period)
            ax.text(0.5, 0.5, "no mapped searches", transform=ax.transAxes, ha="center",
                    va="center", fontsize=11, color=INK)  # fmt: skip
            ax.set_xticks([])
            ax.set_yticks([])
            return figure

        alt = f"Map of {where}: no search in the period has a location."
        return Chart(draw_empty, title, alt, [], 4.2)
    lons, lats = np.asarray(points, dtype=float).T
    cut = len(points) // 200  # 0.5% each side
    x0, x1 = np.sort(lons)[[cut, -1 - cut]]
    y0, y1 = np.sort(lats)[[cut, -1 - cut]]
    pad_x, pad_y = max((x1 - x0) * 0.03, 0.005), max((y1 - y0) * 0.03, 0.005)
    x0, x1, y0, y1 = float(x0 - pad_x), float(x1 + pad_x), float(y0 - pad_y), float(y1 + pad_y)
    inside = (lons >= x0) & (lons <= x1) & (lats >= y0) & (lats <= y1)
    left_out = int(len(points) - inside.sum())
    middle = (y0 + y1) / 2
    rows: list[dict[str, Any]] = []

    def draw() -> Figure:
        figure, ax = _figure(4.2)
        ax.set_xlabel("Longitude (°)", fontsize=10)
        ax.set_ylabel("Latitude (°)", fontsize=10)
        _title(figure, title, period)
        cells = ax.hexbin(lons[inside], lats[inside], gridsize=gridsize,
                          extent=(x0, x1, y0, y1), mincnt=1, cmap="cividis",
                          linewidths=0.2)  # fmt: skip
        ax.set_aspect(1 / math.cos(math.radians(middle)))
        ax.grid(True, color=LIGHT, linewidth=0.5)
        ax.set_axisbelow(True)
        bar = figure.colorbar(cells, ax=ax, shrink=0.8)
        bar.set_label("Searches per hexagon", fontsize=9)
        bar.ax.tick_params(labelsize=8)
        _note(figure, f"{left_out:,} outlying point(s) not drawn." if left_out else "")
        centres = np.asarray(cells.get_offsets(), dtype=float)
        counts = np.asarray(cells.get_array(), dtype=float)
        rows.clear()
        rows.extend({"longitude": round(float(c[0]), 5), "latitude": round(float(c[1]), 5),
                     "searches": int(n)} for c, n in zip(centres, counts, strict=True))  # fmt: skip
        rows.sort(key=lambda r: -r["searches"])
        return figure

    km = (x1 - x0) / gridsize * 111.32 * math.cos(math.radians(middle))
    alt = (
        f"Map of {len(points):,} search locations in {where}{' ' + period if period else ''}, "
        f"counted in hexagons about {km:.1f} km across on a plain longitude/latitude grid, "
        f"from latitude {y0:.2f} to {y1:.2f} and longitude {x0:.2f} to {x1:.2f}; the table of "
        "hexagon counts gives the busiest places."
    )
    if left_out:
        alt += f" {left_out:,} outlying points are not drawn."
    return Chart(draw, title, alt, rows, 4.2, rows_from_drawing=True)
