"""The public statistics pages: /stats (one force and period), /stats/forces (every force in a
month), and the CSV and JSON behind each table and chart.

They only translate: the figures are PoliceStats' answers, read into tables by
:mod:`openwitness.web.stats_view`. Every answer is public and changes only when data is
imported, so it is cacheable with an ETag from the store's generation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from openwitness.api.caching import cached
from openwitness.api.deps import ServicesDep
from openwitness.core.errors import InvalidRequestError
from openwitness.services import Services
from openwitness.stats.service import PoliceStats
from openwitness.web import stats_charts
from openwitness.web import stats_view as view
from openwitness.web.templating import templates

router = APIRouter(include_in_schema=False)
templates.env.globals["shown"] = view.shown

DOWNLOAD = re.compile(r"^([a-z0-9-]{1,30})\.(csv|json)$")
CHART = re.compile(r"^([a-z0-9-]{1,30})\.svg$")
#: the query parameters the pages read, each cut to a bounded length before it is looked at
PARAMS = ("force", "from", "to", "ethnicity", "month")


def _params(request: Request) -> dict[str, str]:
    return {k: request.query_params.get(k, "")[:100] for k in PARAMS if k in request.query_params}


def _names(services: Services) -> dict[str, str]:
    return {force.id: force.name for force in services.forces.list("GB")}


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    # wide: the tables and the two columns of charts have the room on a desk
    return templates.TemplateResponse(
        request, name, {"wide": True, **context}, status_code=status_code
    )


def _cached_page(request: Request, stats: PoliceStats, build: Callable[[], Response]) -> Response:
    return cached(request, stats.store.generation(), build)


def _force_options(stats: PoliceStats, names: Mapping[str, str]) -> list[tuple[str, str]]:
    return sorted(((f, names.get(f, f)) for f in stats.forces()), key=lambda pair: pair[1])


@router.get("/stats", response_class=HTMLResponse)
def stats_page(request: Request, services: ServicesDep) -> Response:
    stats = services.police_stats

    def build() -> Response:
        if not stats.forces():
            return _page(request, "stats_empty.html")
        names = _names(services)
        params = _params(request)
        form = {"ethnicity": "officer", **params}
        options = _force_options(stats, names)
        try:
            period = view.period_of(stats, params)
            form = {**period.params()}
            context = _figures(stats, period, names)
        except InvalidRequestError as problem:
            return _page(request, "stats.html", 400, problem=view.sentence(str(problem)),
                         form=form, forces=options, figures=None)  # fmt: skip
        return _page(request, "stats.html", form=form, forces=options, figures=context,
                     problem=None)  # fmt: skip

    return _cached_page(request, stats, build)


def _figures(stats: PoliceStats, period: view.Period, names: Mapping[str, str]) -> dict[str, Any]:
    answer = stats.disproportionality(period.force, period.start, period.end, period.ethnicity)
    breakdowns = stats.breakdowns(period.force, period.start, period.end)
    series = stats.monthly(period.force, period.start, period.end, period.ethnicity)
    return {
        "period": period,
        "force_name": names.get(period.force, period.force),
        "answer": answer,
        "headline": view.headline(answer),
        "groups": view.groups_table(answer),
        "monthly": view.monthly_table(series),
        "breakdowns": view.breakdown_tables(breakdowns),
        "coverage": view.coverage_table(answer, stats.coverage()),
        "caveats": view.caveats(answer, breakdowns),
        "query": period.params(),
        "from_name": view.month_name(period.start),
        "to_name": view.month_name(period.end),
        "ethnicity_name": view.ETHNICITIES[period.ethnicity],
        "charts": stats_charts.period_charts(stats, period),
    }


@router.get("/stats/forces", response_class=HTMLResponse)
def league_page(request: Request, services: ServicesDep) -> Response:
    stats = services.police_stats

    def build() -> Response:
        if not stats.forces():
            return _page(request, "stats_empty.html")
        params = _params(request)
        form = {"month": params.get("month", ""), "ethnicity": params.get("ethnicity", "officer")}
        try:
            month = view.league_month(stats, params.get("month"))
            ethnicity = view.ethnicity_of(params.get("ethnicity"))
            form = {"month": month, "ethnicity": ethnicity}
            table = view.league_table(stats.by_force(month, ethnicity), _names(services))
            chart = stats_charts.league_chart(stats, month, ethnicity)
        except InvalidRequestError as problem:
            return _page(request, "stats_forces.html", 400, problem=view.sentence(str(problem)),
                         form=form, league=None)  # fmt: skip
        return _page(
            request, "stats_forces.html", form=form, league=table, problem=None,
            league_chart=chart, month_name=view.month_name(month),
            ethnicity_name=view.ETHNICITIES[ethnicity],
        )  # fmt: skip

    return _cached_page(request, stats, build)


def _table(stats: PoliceStats, name: str, params: Mapping[str, str], names: Mapping[str, str]
           ) -> tuple[view.Table, dict[str, str]]:  # fmt: skip
    drawn = name.removeprefix("chart-")
    if name.startswith("chart-"):
        if drawn != "league" and drawn not in stats_charts.PERIOD_CHARTS:
            raise HTTPException(404)
    elif name != "league" and name not in view.PERIOD_TABLES:
        raise HTTPException(404)
    if not stats.forces():
        raise view.StatsQueryError("no statistics have been imported on this site yet")
    if name == "chart-league":
        month, ethnicity = _league_query(stats, params)
        chart = stats_charts.league_chart(stats, month, ethnicity)
        return chart.rows(), {"month": month, "ethnicity": ethnicity}
    if name.startswith("chart-"):
        period = view.period_of(stats, params)
        return stats_charts.period_chart(stats, drawn, period).rows(), period.params()
    if name == "league":
        month, ethnicity = _league_query(stats, params)
        table = view.league_table(stats.by_force(month, ethnicity), names)
        return table, {"month": month, "ethnicity": ethnicity}
    period = view.period_of(stats, params)
    return view.PERIOD_TABLES[name](stats, period), period.params()


@router.get("/stats/download/{filename}")
def download(request: Request, services: ServicesDep, filename: str) -> Response:
    """A table as CSV (made with the csv module) or JSON, saved under a name that says what it
    holds."""
    found = DOWNLOAD.match(filename)
    if not found:
        raise HTTPException(404)
    name, kind = found.groups()
    stats = services.police_stats

    def build() -> Response:
        table, query = _table(stats, name, _params(request), _names(services))
        stem = "-".join(["openwitness", name, *query.values()])
        if kind == "csv":
            body, media = table.csv(), "text/csv; charset=utf-8"
        else:
            body, media = table.json(query), "application/json"
        disposition = f'attachment; filename="{stem}.{kind}"'
        return Response(body, media_type=media, headers={"Content-Disposition": disposition})

    return _cached_page(request, stats, build)


def _league_query(stats: PoliceStats, params: Mapping[str, str]) -> tuple[str, str]:
    return view.league_month(stats, params.get("month")), view.ethnicity_of(params.get("ethnicity"))


@router.get("/stats/chart/{filename}")
def chart(request: Request, services: ServicesDep, filename: str) -> Response:
    """A chart as SVG, drawn on this server (no third-party library, font or tile)."""
    found = CHART.match(filename)
    name = found.group(1) if found else ""
    if name != "league" and name not in stats_charts.PERIOD_CHARTS:
        raise HTTPException(404)
    stats = services.police_stats

    def build() -> Response:
        if not stats.forces():
            raise view.StatsQueryError("no statistics have been imported on this site yet")
        params = _params(request)
        if name == "league":
            drawn = stats_charts.league_chart(stats, *_league_query(stats, params))
        else:
            drawn = stats_charts.period_chart(stats, name, view.period_of(stats, params))
        return Response(drawn.svg(), media_type="image/svg+xml")

    return _cached_page(request, stats, build)
