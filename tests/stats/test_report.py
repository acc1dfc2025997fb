"""`witness stats report`: the HTML report's figures against counts made here with `csv`, no
outside resources, and the PDF rendered to images by poppler's pdftoppm."""

from __future__ import annotations

import csv
import html.parser
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image
from scipy.stats.contingency import relative_risk
from typer.testing import CliRunner

from openwitness.cli.main import app
from openwitness.stats.service import PoliceStats
from tests.support import SHARED, require_shared

POLICE = SHARED / "data" / "police-uk"
MONTHS = ("2018-01", "2018-02", "2018-03")
POPULATION = "census-2011-ethnic-group-by-police-force-area.csv"
NFA = {"A no further action disposal", "Nothing found - no further action"}
SECTION_60 = "Criminal Justice and Public Order Act 1994 (section 60)"


class Tables(html.parser.HTMLParser):
    """Every table of a page: its caption and rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: str | None = None
        self._rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._caption, self._rows = "", []
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr":
            self._rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None:
            self._rows[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self.tables[self._caption or ""] = self._rows

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self._caption = (self._caption or "") + data
        elif self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    require_shared(POLICE)
    home = tmp_path_factory.mktemp("home")
    files = [POLICE / m / f"{m}-metropolitan-stop-and-search.csv" for m in MONTHS]
    reports = PoliceStats(home / "stats").import_paths([*files, POLICE / "population"])
    assert sum(r.status == "imported" for r in reports) == 3
    out = home / "out"
    result = CliRunner().invoke(
        app,
        ["stats", "report", "--force", "metropolitan", "--from", MONTHS[0], "--to", MONTHS[-1],
         "--output", str(out)],
        env={"OPENWITNESS_HOME": str(home), "COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    html_file = next(out.glob("*.html"))
    pdf_file = next(out.glob("*.pdf"))
    assert str(html_file.name) in result.output and str(pdf_file.name) in result.output
    return {"home": home, "html": html_file, "pdf": pdf_file}


def read_rows() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for month in MONTHS:
        path = POLICE / month / f"{month}-metropolitan-stop-and-search.csv"
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows.extend({**row, "month": month} for row in csv.DictReader(handle))
    return rows


def residents() -> dict[str, int]:
    """Metropolitan residents by group, police convention (Chinese counted in Other)."""
    with (POLICE / "population" / POPULATION).open(newline="", encoding="utf-8-sig") as handle:
        row = next(r for r in csv.DictReader(handle) if r["PFA16NM"] == "Metropolitan")

    def value(name: str) -> int:
        return int(row[f"Ethnic Group: {name}; measures: Value"])

    chinese = value("Asian/Asian British: Chinese")
    return {"White": value("White"), "Black": value("Black"), "Mixed": value("Mixed"),
            "Asian": value("Asian") - chinese, "Other": value("Other") + chinese}  # fmt: skip


def page_tables(path: Path) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tables


def test_html_report_figures_match_counts_made_from_the_files(report: dict[str, Path]) -> None:
    rows = read_rows()
    people = residents()
    by_group = Counter(r["Officer-defined ethnicity"] or "missing" for r in rows)
    tables = page_tables(report["html"])
    officer = {r[0]: r for r in tables["Officer-defined ethnicity (the officer's perception; "
                                      "police grouping)"][1:]}  # fmt: skip
    assert officer["All searches"][1] == f"{len(rows):,}"
    assert officer["Not recorded"][1] == f"{by_group['missing']:,}"
    for group in ("White", "Black", "Asian", "Other"):
        assert officer[group][1] == f"{by_group[group]:,}"
        assert officer[group][2] == f"{people[group]:,}"
        assert officer[group][3] == f"{1000 * by_group[group] / people[group]:,.2f}"
    for group in ("Black", "Asian", "Other"):
        rr = relative_risk(by_group[group], people[group], by_group["White"], people["White"])
        ci = rr.confidence_interval(0.95)
        assert officer[group][4] == f"{rr.relative_risk:.2f}"
        assert officer[group][5] == f"{ci.low:.2f} to {ci.high:.2f}"
        unknown = by_group["missing"]
        low = (by_group[group] / people[group]) / ((by_group["White"] + unknown) / people["White"])
        high = ((by_group[group] + unknown) / people[group]) / (by_group["White"] / people["White"])
        assert officer[group][6] == f"{low:.2f} to {high:.2f}"
    assert by_group["Mixed"] == 0 and "no searches of Mixed people" in officer["Mixed"][7]
    selfdef = next(t for c, t in tables.items() if c.startswith("Self-defined ethnicity"))
    assert selfdef[-1][:2] == ["All searches", f"{len(rows):,}"]

    outcomes = {r[0]: r for r in tables["Outcomes and searches (each share out of the searches "
                                        "with it recorded)"][1:]}  # fmt: skip
    recorded = [r for r in rows if r["Outcome"]]
    nfa = sum(r["Outcome"] in NFA for r in recorded)
    assert outcomes["No further action"][1:] == [
        f"{nfa:,}", f"{len(recorded):,}", f"{nfa / len(recorded):.1%}"
    ]  # fmt: skip
    s60 = {r[0]: r for r in tables["Section 60 searches by month (Criminal Justice and Public "
                                   "Order Act 1994)"][1:]}  # fmt: skip
    for month in MONTHS:
        these = [r for r in rows if r["month"] == month]
        count = sum(r["Legislation"] == SECTION_60 for r in these)
        assert s60[month][1:3] == [f"{len(these):,}", f"{count:,}"]
    ages = {r[0]: r[1] for r in tables["Searches by age range"][1:]}
    assert ages["not recorded"] == f"{sum(not r['Age range'] for r in rows):,}"
    genders = {r[0]: r[1] for r in tables["Searches by gender"][1:]}
    assert genders["Female"] == f"{sum(r['Gender'] == 'Female' for r in rows):,}"


def test_html_report_is_self_contained_and_complete(report: dict[str, Path]) -> None:
    page = report["html"].read_text(encoding="utf-8")
    for tag in ("<script", "<link", "<img", "<iframe", "<object", "<embed", "@import"):
        assert tag not in page.lower()
    references = re.findall(r'\b(?:src|href|xlink:href|srcset|action)\s*=\s*"([^"]*)"', page)
    # in-page references, and the map colour bar drawn as an inline data: image
    assert references and all(ref.startswith(("#", "data:image/png;base64,")) for ref in references)
    assert all(u.startswith("#") for u in re.findall(r"url\(\s*['\"]?([^)'\"]*)", page))
    assert page.count("<svg") == 7 and page.count('role="img" aria-label="') == 7
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    for words in ("Open Government Licence v3.0", "QS201EW", "Katz", "Bounds",
                  "Months used (3): 2018-01, 2018-02, 2018-03", "Months missing (0): none",
                  "Generated ", "Self-defined ethnicity", "is blank at source"):  # fmt: skip
        assert words in page


def test_pdf_report_renders_to_non_blank_pages(report: dict[str, Path]) -> None:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        if os.environ.get("OPENWITNESS_REQUIRE_PDFTOPPM") == "1":
            pytest.fail("OPENWITNESS_REQUIRE_PDFTOPPM=1 but pdftoppm (poppler-utils) is missing")
        pytest.skip("pdftoppm (Debian poppler-utils) is missing: the PDF is not rendered")
    out = report["pdf"].parent / "pages"
    out.mkdir(exist_ok=True)
    subprocess.run([pdftoppm, "-r", "40", "-png", str(report["pdf"]), str(out / "page")],
                   check=True, timeout=120)  # fmt: skip
    pages = sorted(out.glob("page-*.png"))
    # title, tables and breakdowns; 7 charts at most 2 a page; coverage, definitions, sources
    assert 6 <= len(pages) <= 14
    declared = re.findall(rb"/Type\s*/Page\b", report["pdf"].read_bytes())
    assert len(declared) == len(pages)
    for page in pages:
        with Image.open(page) as image:
            grey = image.convert("L")
            width, height = grey.size
            assert height > width  # A4 portrait
            dark = sum(grey.histogram()[:200])
            assert dark > 0.002 * width * height, f"{page.name} looks blank"
    if pdftotext := shutil.which("pdftotext"):
        text = subprocess.run([pdftotext, "-layout", str(report["pdf"]), "-"], check=True,
                              capture_output=True, text=True, timeout=60).stdout  # fmt: skip
        rows = read_rows()
        black = sum(r["Officer-defined ethnicity"] == "Black" for r in rows)
        assert f"{black:,}" in text and f"{len(rows):,}" in text
        assert "Open Government Licence v3.0" in " ".join(text.split())


def test_report_refuses_an_unknown_force_or_period(report: dict[str, Path]) -> None:
    env = {"OPENWITNESS_HOME": str(report["home"]), "COLUMNS": "200"}
    for args, message in (
        (["--force", "nowhere", "--from", "2018-01", "--to", "2018-01"], "no stop-and-search data"),
        (["--force", "metropolitan", "--from", "2030-01", "--to", "2030-02"], "every month"),
        (["--force", "metropolitan", "--from", "2018-13", "--to", "2018-12"], "not a month"),
    ):
        result = CliRunner().invoke(app, ["stats", "report", *args], env=env)
        assert result.exit_code == 1 and message in result.output
        assert "Traceback" not in result.output


def test_report_default_folder(
    report: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"OPENWITNESS_HOME": str(report["home"]), "COLUMNS": "200"}
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app, ["stats", "report", "--force", "metropolitan", "--from", "2018-02", "--to",
              "2018-02", "--ethnicity", "self"], env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    folder = tmp_path / "openwitness-report-metropolitan-2018-02-2018-02"
    made = sorted(p.name for p in folder.iterdir())
    assert made == ["openwitness-metropolitan-2018-02-2018-02-self.html",
                    "openwitness-metropolitan-2018-02-2018-02-self.pdf"]  # fmt: skip
