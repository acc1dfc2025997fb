"""The screening report of one export: an HTML file and a PDF, tied to the exact file.

It opens with the export's SHA-256, its log entry and the signed checkpoint that includes it,
so anyone holding the file can check the report is about that file and no other (`sha256sum`
and `witness verify`). Then who sent what share of the flagged messages, flags by month as a
chart, the flagged messages with their categories and reviewers' decisions, the decision
history, and how the scoring was done. Names appear only for those who may see them
(``screening.access``). The PDF is laid out by the statistics report's page helper (matplotlib
only: no browser, no system library).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from openwitness.cases.access import Viewer
from openwitness.core.files import replace_atomically
from openwitness.ledger.store import TransparencyLog
from openwitness.screening.review import Review
from openwitness.stats.charts import Chart
from openwitness.stats.report import Table

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    auto_reload=False,
)
#: flagged messages listed in the report, highest score first
MAX_LISTED = 500


def write_screening_report(
    review: Review, log: TransparencyLog, export_id: int, viewer: Viewer, output_dir: Path
) -> tuple[Path, Path]:
    """Write ``openwitness-screening-N.html`` and ``.pdf`` into ``output_dir``; each appears
    whole or not at all."""
    content = build_content(review, log, export_id, viewer)
    output_dir.mkdir(parents=True, exist_ok=True)
    html_path = output_dir / f"openwitness-screening-{export_id}.html"
    pdf_path = output_dir / f"openwitness-screening-{export_id}.pdf"
    html = render_html(content)
    replace_atomically(html_path, lambda tmp: tmp.write_text(html, encoding="utf-8"), 0o600)
    replace_atomically(pdf_path, lambda tmp: write_pdf(content, tmp), 0o600)
    return html_path, pdf_path


def build_content(
    review: Review, log: TransparencyLog, export_id: int, viewer: Viewer
) -> dict[str, Any]:
    export = review.export(export_id, viewer)
    ranked = review.ranked(export_id, viewer, top=MAX_LISTED)
    history = review.history(export_id, viewer)
    log_index = review.log_index(export["sha256"])
    checkpoint = log.receipt(log_index).checkpoint.splitlines()
    flagged = [m for m in ranked if m["flagged"] and "hateful" in m["flagged"]]
    people = Table(
        "Who sent the flagged messages",
        ["Participant", "Messages", "Flagged", "Share of flagged"],
        [
            [
                p["name"] or "",
                f"{p['messages']:,}",
                f"{p['flagged']:,}",
                f"{p['share_of_flagged']:.0%}",
            ]
            for p in sorted(export["participants"], key=lambda p: -p["flagged"])
        ],
    )
    messages = Table(
        "Flagged messages, highest score first",
        ["Time", "Participant", "Message", "Categories", "Score", "Decision"],
        [
            [
                m["time"].replace("T", " "),
                m["author"] or "",
                m["text"],
                ", ".join(c for c in m["flagged"] if c != "hateful") or "hateful",
                f"{m['score']:.2f}" + (" (with context)" if m["by_context"] else ""),
                _decision(m["decision"]),
            ]
            for m in flagged
        ],
        [] if len(flagged) < MAX_LISTED else [f"The first {MAX_LISTED} flagged messages."],
    )
    decisions = Table(
        "Decision history",
        ["When", "Message", "Decision", "Note", "By"],
        [
            [
                d["decided_at"][:19].replace("T", " "),
                str(d["position"]),
                d["decision"],
                d["note"] or "",
                d["decided_by"],
            ]
            for d in history
        ],
    )
    months = export["flagged_by_month"]
    size, root = (checkpoint[1], checkpoint[2]) if len(checkpoint) > 2 else ("", "")
    scored = sum(p["messages"] for p in export["participants"])
    reviewed = [m["decision"]["decision"] for m in flagged if m["decision"]]
    return {
        "title": f"Screening report: {export.get('file_name', f'export {export_id}')}",
        "subtitle": f"Export {export_id}, lodged {export['lodged_at'][:10]}; report generated "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC by OpenWitness.",
        "identity": [
            f"SHA-256 of the export file: {export['sha256']}",
            f"Entry {log_index} of the transparency log {checkpoint[0] if checkpoint else ''}, "
            f"included in the signed checkpoint of size {size} and root hash {root}.",
            "To check this report is about your copy: its SHA-256 (sha256sum FILE) must be the "
            "one above, and 'witness verify --receipt FILE.tlog-proof FILE' must succeed.",
        ],
        "summary": [
            f"{export['messages']:,} lines in the export; {scored:,} messages written by "
            f"{len(export['participants']):,} participants were scored; {export['flagged']:,} "
            "flagged as hateful.",
            f"Reviewed so far: {len(reviewed):,} of the flagged messages "
            f"({reviewed.count('confirmed'):,} confirmed, {reviewed.count('dismissed'):,} "
            "dismissed).",
        ],
        "tables": [people, messages, decisions],
        "charts": [months_chart(months)] if months else [],
        "method": [
            "Each message a person wrote was scored offline by OpenWitness's classifier "
            "(TF-IDF word and character n-grams, logistic regression; trained on published "
            "labelled corpora, measured in docs/screening.md), alone and with the two messages "
            "before it. A flag is a place to look first, never a finding: every flag needs a "
            "person's decision.",
            f"Model file SHA-256 {export['model'].get('file_sha256', '')}; thresholds "
            + ", ".join(f"{k} {v:.3f}" for k, v in export["model"].get("thresholds", {}).items())
            + ".",
        ],
        "footer": f"OpenWitness screening report, export {export_id}, SHA-256 {export['sha256']}.",
    }


def _decision(decision: dict[str, Any] | None) -> str:
    if not decision:
        return "not reviewed"
    note = f": {decision['note']}" if decision["note"] else ""
    return f"{decision['decision']}{note}"


def months_chart(months: dict[str, int]) -> Chart:
    labels, counts = list(months), list(months.values())

    def draw() -> Any:
        from matplotlib.figure import Figure

        figure = Figure(figsize=(7.5, 2.8))
        axes = figure.add_subplot()
        axes.bar(range(len(labels)), counts, color="#0072B2")
        axes.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
        axes.set_ylabel("Flagged messages")
        axes.spines[["top", "right"]].set_visible(False)
        figure.tight_layout()
        return figure

    busiest = max(months, key=lambda m: months[m])
    alt = (
        f"Flagged messages by month, {labels[0]} to {labels[-1]}: {sum(counts):,} in all, "
        f"most in {busiest} ({months[busiest]:,})."
    )
    rows = [{"month": m, "flagged": n} for m, n in months.items()]
    return Chart(draw, "Flagged messages by month", alt, rows)


def render_html(content: dict[str, Any]) -> str:
    charts = [
        {"svg": Markup(chart.inline_svg(f"c{i}-")), "alt": chart.alt_text}  # noqa: S704 (matplotlib escapes its text)
        for i, chart in enumerate(content["charts"], 1)
    ]
    return _ENV.get_template("report.html").render(**{**content, "charts": charts})


def write_pdf(content: dict[str, Any], path: Path | BinaryIO) -> None:
    from matplotlib.backends.backend_pdf import PdfPages

    from openwitness.stats.charts import render_settings
    from openwitness.stats.report_pdf import Pages

    metadata = {"Title": content["title"], "Creator": "OpenWitness", "CreationDate": None}
    with render_settings({"pdf.fonttype": 42}), PdfPages(path, metadata=metadata) as pdf:
        pages = Pages(pdf, content["title"])
        pages.text(content["title"], 16, "bold", after=0.05)
        pages.text(content["subtitle"], 9, after=0.2)
        pages.heading("The file this report is about")
        for line in content["identity"]:
            pages.text(line, 9)
        pages.heading("Summary")
        for line in content["summary"]:
            pages.text(line, 10.5, after=0.1)
        for table in content["tables"]:
            pages.table(table)
        for chart in content["charts"]:
            pages.chart(chart)
        pages.heading("How the messages were scored")
        for line in content["method"]:
            pages.text(line, 9)
        pages.text(content["footer"], 8)
        pages.finish()
