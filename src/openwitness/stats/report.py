"""A force's stop-and-search report for a period: one self-contained HTML file and a PDF.

For a council meeting or a court: the figures, their uncertainty, the gaps in the data, the
definitions and the sources, in a file that opens anywhere with nothing fetched from elsewhere
(inline CSS, inline SVG charts). The PDF carries the same content and is drawn by matplotlib
(:mod:`openwitness.stats.report_pdf`), so a machine with only pip installs can write it: no
browser, no system libraries. Both are built from one :class:`Content` so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from openwitness.core.files import replace_atomically
from openwitness.stats import charts
from openwitness.stats.charts import Chart, force_name
from openwitness.stats.service import PoliceStats
from openwitness.stats.vocabulary import GROUPS, NOT_STATED

TEMPLATES = Path(__file__).parent / "templates"
_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=False
)
_ETHNICITY = {
    "officer": "Officer-defined ethnicity (the officer's perception; police grouping)",
    "self": "Self-defined ethnicity (the person's own answer; ONS 2011 grouping)",
}


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)


@dataclass
class Content:
    """Everything the report says, as text: the HTML and the PDF both lay out this."""

    title: str
    subtitle: str
    generated: str
    summary: list[str]
    ratio_tables: list[Table]
    breakdown_tables: list[Table]
    charts: list[Chart]
    coverage_lines: list[str]
    coverage_table: Table
    warnings: list[str]
    definitions: list[tuple[str, str]]
    sources: list[dict[str, str]]
    footer: str


def write_report(
    stats: PoliceStats,
    force: str,
    start: str,
    end: str,
    output_dir: Path,
    ethnicity: str = "officer",
    now: datetime | None = None,
) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.pdf`` into ``output_dir``; each appears whole or not
    at all. Raises UnknownPeriodError for a force or period with no data."""
    from openwitness.stats.report_pdf import write_pdf

    content = build_content(stats, force, start, end, ethnicity, now or datetime.now(UTC))
    output_dir.mkdir(parents=True, exist_ok=True)
    stem = f"openwitness-{force}-{start}-{end}-{ethnicity}"
    html_path = output_dir / f"{stem}.html"
    pdf_path = output_dir / f"{stem}.pdf"
    # 0644: mkstemp's 0600 would keep a report meant for others unreadable
    html = render_html(content)
    replace_atomically(html_path, lambda tmp: tmp.write_text(html, encoding="utf-8"), 0o644)
    replace_atomically(pdf_path, lambda tmp: write_pdf(content, tmp), 0o644)
    return html_path, pdf_path


def render_html(content: Content) -> str:
    figures = [
        {"svg": Markup(chart.inline_svg(f"c{i}-")), "alt": chart.alt_text}  # noqa: S704 (our SVG, its text escaped by matplotlib)
        for i, chart in enumerate(content.charts, 1)
    ]
    values = {k: getattr(content, k) for k in Content.__dataclass_fields__ if k != "charts"}
    return _ENV.get_template("report.html").render(**values, charts=figures)


# -- content -------------------------------------------------------------------------------


def _n(value: Any, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _share(part: dict[str, Any]) -> str:
    return "—" if part["share"] is None else f"{part['share']:.1%}"


def _range(pair: list[float] | None) -> str:
    return "—" if not pair or pair[0] is None else f"{pair[0]:.2f} to {pair[1]:.2f}"


def ratio_table(answer: dict[str, Any]) -> Table:
    """The disproportionality answer as a table: one row per group, then the unknowns."""
    months = answer["rate_period_months"]
    per = "per 1,000 residents" + (" a year" if months == 12 else f" over {months} month(s)")
    table = Table(
        _ETHNICITY[answer["ethnicity"]],
        ["Group", "Searches", "Residents (2011)", f"Rate {per}", "Ratio to White", "95% CI",
         "Bounds (missing ethnicity)", "Note"],
        [],
    )  # fmt: skip
    for group in GROUPS:
        row = answer["groups"][group]
        ratio = answer["rate_ratios"].get(group, {})
        note = ratio.get("reason", "") if group != "White" else "comparison group (1 by definition)"
        table.rows.append([
            group, _n(row["searches"]), _n(row["population"]), _n(row["rate_per_1000"], 2),
            _n(ratio.get("ratio"), 2) if group != "White" else "1",
            _range(ratio.get("ci95")), _range(ratio.get("bounds")), note or "",
        ])  # fmt: skip
    if NOT_STATED in answer["groups"]:
        stated = answer["groups"][NOT_STATED]["searches"]
        table.rows.append([NOT_STATED, _n(stated), "", "", "", "", "", "declined to say"])
    blank = answer["groups"]["missing"]["searches"]
    table.rows.append(["Not recorded", _n(blank), "", "", "", "", "", "ethnicity left blank"])
    table.rows.append(["All searches", _n(answer["searches"]), "", "", "", "", "", ""])
    if answer.get("no_rate_reason"):
        table.notes.append(f"No per-resident rate for this force: {answer['no_rate_reason']}.")
    return table


def _count_table(title: str, label: str, counts: dict[str, int], order: tuple[str, ...]) -> Table:
    total = sum(counts.values())
    keys = [k for k in order if k in counts] + sorted(
        k for k in counts if k not in order and k != "missing"
    )
    if "missing" in counts:
        keys.append("missing")
    rows = [
        ["not recorded" if k == "missing" else k, _n(counts[k]),
         f"{counts[k] / total:.1%}" if total else "—"]
        for k in keys
    ]  # fmt: skip
    return Table(title, [label, "Searches", f"Share of {total:,}"], rows)


def breakdown_tables(b: dict[str, Any]) -> list[Table]:
    measures = Table(
        "Outcomes and searches (each share out of the searches with it recorded)",
        ["Measure", "Searches", "Out of (recorded)", "Share"],
        [
            ["No further action", _n(b["no_further_action"]["searches"]),
             _n(b["no_further_action"]["denominator"]), _share(b["no_further_action"])],
            ["Find rate (outcome linked to the object of the search)",
             _n(b["find_rate"]["linked"]), _n(b["find_rate"]["denominator"]),
             _share(b["find_rate"])],
            ["More than outer clothing removed",
             _n(b["more_than_outer_clothing"]["searches"]),
             _n(b["more_than_outer_clothing"]["denominator"]),
             _share(b["more_than_outer_clothing"])],
        ],
        ["A share shown as — has no searches with that column recorded: the column is blank "
         "at source (see the warnings), which is not the same as none."],
    )  # fmt: skip
    s60 = Table(
        "Section 60 searches by month (Criminal Justice and Public Order Act 1994)",
        ["Month", "Searches", "Under section 60", "Share"],
        [
            [r["month"], _n(r["searches"]), _n(r["section_60"]),
             f"{r['section_60'] / r['searches']:.1%}" if r["searches"] else "—"]
            for r in b["section_60_by_month"]
        ] + [[m, "no file", "—", "—"] for m in b["missing_months"]],
    )  # fmt: skip
    s60.rows.sort(key=lambda r: r[0])
    legislation = _count_table("Searches by legislation", "Legislation", b["legislation"], ())
    outcomes = _count_table("Searches by outcome", "Outcome", b["outcomes"], ())
    age = _count_table("Searches by age range", "Age range", b["age_range"],
                       ("under 10", "10-17", "18-24", "25-34", "over 34"))  # fmt: skip
    gender = _count_table("Searches by gender", "Gender", b["gender"], ("Male", "Female", "Other"))
    return [measures, outcomes, legislation, s60, age, gender]


def _summary(answer: dict[str, Any], b: dict[str, Any], name: str) -> list[str]:
    lines = [
        f"{name} recorded {answer['searches']:,} stop-and-search searches in "
        f"{len(answer['months'])} month(s) with a published file between {answer['from']} and "
        f"{answer['to']}."
    ]
    if answer["missing_months"]:
        lines.append(
            f"No file was published for {len(answer['missing_months'])} month(s) "
            f"({', '.join(answer['missing_months'])}): they are missing, not zero, and every "
            "figure here leaves them out."
        )
    black = answer["rate_ratios"].get("Black", {})
    if black.get("ratio") is not None:
        lines.append(
            f"Black people were searched {black['ratio']:.2f} times as often per resident as "
            f"White people ({answer['ethnicity']}-defined ethnicity; 95% interval "
            f"{_range(black['ci95'])}; between {_range(black['bounds'])} whatever the ethnicity "
            "of the searches with none recorded)."
        )
    elif black:
        lines.append(f"No Black/White rate ratio: {black.get('reason', 'undefined')}.")
    nfa = b["no_further_action"]
    if nfa["share"] is not None:
        lines.append(
            f"{nfa['share']:.1%} of the {nfa['denominator']:,} searches with an outcome recorded "
            "ended with no further action."
        )
    return lines


def _coverage(stats: PoliceStats, answer: dict[str, Any]) -> tuple[list[str], Table]:
    cells = stats.coverage()["forces"].get(answer["force"], {}).get("months", {})
    months = sorted([*answer["months"], *answer["missing_months"]])
    table = Table(
        "Files by month",
        ["Month", "File", "Rows imported", "Rows refused", "Columns blank at source"],
        [],
    )
    for month in months:
        cell = cells.get(month)
        if cell is None:
            table.rows.append([month, "no file (missing)", "—", "—", ""])
        else:
            table.rows.append([month, cell["source"], _n(cell["rows"]), _n(cell["rows_refused"]),
                               ", ".join(cell["blank_columns"])])  # fmt: skip
    lines = [
        f"Months used ({len(answer['months'])}): {', '.join(answer['months']) or 'none'}.",
        f"Months missing ({len(answer['missing_months'])}): "
        f"{', '.join(answer['missing_months']) or 'none'}.",
    ]
    return lines, table


def _definitions(population_source: str | None) -> list[tuple[str, str]]:
    return [
        ("Search", "One row of the published file. Identical rows are separate people searched "
         "together and are all counted."),
        ("Month", "The month in the file's name, never the Date column (dates are UTC, so the "
         "first local hour of a summer month falls on the previous day)."),
        ("Missing month", "A month with no file for the force. It is missing, not zero, and "
         "is left out of every figure."),
        ("Officer-defined ethnicity", "The officer's perception, as published (White, Black, "
         "Asian, Mixed, Other). Rates use the police convention for residents: Chinese people "
         "are counted in Other, not Asian. Blank is 'not recorded'."),
        ("Self-defined ethnicity", "The person's own answer, mapped to the five ONS 2011 "
         "top-level groups (Chinese in Asian). 'Not stated' (declined) and blank (not "
         "recorded) are kept apart and both count as unknown."),
        ("Rate per 1,000", "Searches of the group divided by its residents at the 2011 Census, "
         "times 1,000, over the months covered (a yearly rate when 12 months are covered)."),
        ("Rate ratio", "The group's rate divided by White people's rate: 1 means the same "
         "rate. Undefined, with the reason, when a count is zero or there is no population."),
        ("95% confidence interval", "Katz's log method: ratio × exp(±1.96 × √(1/a − 1/n₁ + "  # noqa: RUF001
         "1/b − 1/n₂)), with a and b the searches and n₁ and n₂ the residents of the group and "  # noqa: RUF001
         "of White people."),
        ("Bounds", "The ratio if every search with no ethnicity recorded had been of White "
         "people (lower) or of the group (upper): how far the gaps could move it."),
        ("No further action", "Outcome 'A no further action disposal' (older files: 'Nothing "
         "found - no further action'), out of searches with an outcome recorded."),
        ("Find rate", "'Outcome linked to object of search' true, out of searches where it is "
         "recorded true or false."),
        ("Section 60", "Searches under section 60 of the Criminal Justice and Public Order Act "
         "1994, which need no suspicion of the person searched."),
        ("Population table", population_source or "none for this force (see the notes)"),
    ]  # fmt: skip


SOURCES = [
    {"text": "Stop and search data: data.police.uk, published by the Home Office and the "
     "police forces of England and Wales; contains public sector information licensed under "
     "the Open Government Licence v3.0",
     "url": "data.police.uk; nationalarchives.gov.uk/doc/open-government-licence/version/3/"},
    {"text": "Population: Office for National Statistics, 2011 Census table QS201EW (ethnic "
     "group, usual residents) by local authority, summed to police force areas with the ONS "
     "local authority to police force area lookup (December 2016) as derived by Resistance "
     "Lab (resistancelab_data); Open Government Licence v3.0",
     "url": "nomisweb.co.uk/census/2011/qs201ew"},
    {"text": "Katz D, Baptista J, Azen SP, Pike MC (1978). Obtaining confidence intervals for "
     "the risk ratio in cohort studies. Biometrics 34(3):469-474", "url": ""},
    {"text": "Method and definitions: OpenWitness docs/statistics.md", "url": ""},
]  # fmt: skip


def build_content(
    stats: PoliceStats, force: str, start: str, end: str, ethnicity: str, now: datetime
) -> Content:
    answer = stats.disproportionality(force, start, end, ethnicity)
    other = "self" if ethnicity == "officer" else "officer"
    second = stats.disproportionality(force, start, end, other)
    b = stats.breakdowns(force, start, end)
    monthly = stats.monthly(force, start, end, ethnicity)
    name = force_name(force)
    period = start if start == end else f"{start} to {end}"
    figures = [
        charts.searches_over_time(monthly),
        charts.ratio_over_time(monthly, "Black"),
        charts.ratio_over_time(monthly, "Asian"),
        charts.section_60_over_time(b),
        charts.category_bars(b, "age_range"),
        charts.category_bars(b, "gender"),
        charts.search_map(stats.points(force, start, end), force, period),
    ]
    warnings = list(dict.fromkeys([*answer["warnings"], *second["warnings"], *b["warnings"]]))
    coverage_lines, coverage_table = _coverage(stats, answer)
    return Content(
        title=f"Stop and search in {name}, {period}",
        subtitle=f"Force: {force}. Main ethnicity definition: {ethnicity}-defined; the other "
        "definition is shown beside it.",
        generated=now.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        summary=_summary(answer, b, name),
        ratio_tables=[ratio_table(answer), ratio_table(second)],
        breakdown_tables=breakdown_tables(b),
        charts=figures,
        coverage_lines=coverage_lines,
        coverage_table=coverage_table,
        warnings=warnings,
        definitions=_definitions(answer.get("population_source")),
        sources=SOURCES,
        footer="OpenWitness: figures recomputed from the published files; check them with "
        f"'witness stats disproportionality --force {force} --from {start} --to {end} --json'.",
    )
