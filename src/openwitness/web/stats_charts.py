"""The /stats pages' charts (openwitness.stats.charts), built once per question and kept.

A page needs each chart's alt text and the chart route its SVG, so both come from one Chart
kept in a small cache keyed by the store's generation (an import makes every entry stale)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from openwitness.core.cache import LruCache
from openwitness.stats import charts
from openwitness.stats.charts import WIDTH_IN
from openwitness.stats.service import PoliceStats
from openwitness.web.stats_view import Column, Period, Table, month_name

#: chart name -> (how to draw it for a force and period, the caption beside it)
PERIOD_CHARTS: dict[str, tuple[Callable[[PoliceStats, Period], charts.Chart], str]] = {
    "searches": (
        lambda s, p: charts.searches_over_time(s.monthly(p.force, p.start, p.end, p.ethnicity)),
        "Searches each month; a month with no published file is hatched, not drawn as zero.",
    ),
    "ratio": (
        lambda s, p: charts.ratio_over_time(s.monthly(p.force, p.start, p.end, p.ethnicity)),
        "The Black to White ratio per resident each month, with its 95% interval; 1 would mean "
        "the same rate.",
    ),
    "section-60": (
        lambda s, p: charts.section_60_over_time(s.breakdowns(p.force, p.start, p.end)),
        "Section 60 searches (no suspicion needed) each month.",
    ),
    "age": (
        lambda s, p: charts.category_bars(s.breakdowns(p.force, p.start, p.end), "age_range"),
        "Searches by age range; not recorded is its own bar.",
    ),
    "gender": (
        lambda s, p: charts.category_bars(s.breakdowns(p.force, p.start, p.end), "gender"),
        "Searches by gender; not recorded is its own bar.",
    ),
    "map": (
        lambda s, p: charts.search_map(
            s.points(p.force, p.start, p.end), p.force,
            f"{month_name(p.start)} to {month_name(p.end)}",
        ),
        "Where searches were recorded (the published, anonymised points), counted in hexagons "
        "on a plain grid: no map tiles are fetched from anyone.",
    ),
}  # fmt: skip
LEAGUE_CAPTION = "Forces ranked by the Black to White ratio, with 95% intervals."


@dataclass
class Drawn:
    """A chart as the pages use it: its words, its rows, and its SVG once asked for."""

    name: str
    chart: charts.Chart
    caption: str
    _svg: bytes | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def title(self) -> str:
        return self.chart.title

    @property
    def alt(self) -> str:
        return self.chart.alt_text

    @property
    def size(self) -> tuple[int, int]:
        """Its width and height as shown: 360 px wide, the width its text sizes are set for."""
        width, height = WIDTH_IN, self.chart.height_in
        return 360, round(360 * height / width)

    @property
    def table(self) -> str:
        return f"chart-{self.name}"

    def svg(self) -> bytes:
        with self._lock:
            if self._svg is None:
                self._svg = self.chart.render("svg")
            return self._svg

    def rows(self) -> Table:
        rows = self.chart.data_rows
        columns = [Column(key, key) for key in (rows[0] if rows else {})]
        return Table(self.table, self.title, self.alt, columns, rows, None)


#: the last few charts drawn, by (generation, name, question)
CACHE: LruCache[Drawn] = LruCache(48)


def period_chart(stats: PoliceStats, name: str, period: Period) -> Drawn:
    draw, caption = PERIOD_CHARTS[name]
    key = (stats.store.generation(), name, *period.params().values())
    return CACHE.get(key, lambda: Drawn(name, draw(stats, period), caption))


def period_charts(stats: PoliceStats, period: Period) -> list[Drawn]:
    return [period_chart(stats, name, period) for name in PERIOD_CHARTS]


def league_chart(stats: PoliceStats, month: str, ethnicity: str) -> Drawn:
    key = (stats.store.generation(), "league", month, ethnicity)
    return CACHE.get(
        key,
        lambda: Drawn("league", charts.league_table(stats.by_force(month, ethnicity)),
                      LEAGUE_CAPTION),
    )  # fmt: skip
