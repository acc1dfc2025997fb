"""The evaluation as a self-contained HTML page (`witness patterns evaluate --report DIR`): the
pooled and yearly tables, a precision-recall chart with the threshold rules marked on it, a
calibration chart, the features that mattered and who was flagged; ``evaluation.json`` beside
it holds the same figures as ``--json``.

The charts are matplotlib figures drawn as inline SVG by :mod:`openwitness.stats.charts`, so the
page makes no request anywhere."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve

from openwitness.core.files import write_atomically
from openwitness.patterns.evaluate import Evaluation, calibration_bins
from openwitness.stats.charts import Chart, new_figure

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
    "color:#1a1a1a;line-height:1.45}table{border-collapse:collapse;margin:1rem 0}"
    "td,th{border:1px solid #bbb;padding:.25rem .5rem;text-align:right}th{background:#eee}"
    "td:first-child,th:first-child{text-align:left}svg{max-width:100%;height:auto}"
)


def _pooled_scores(evaluation: Evaluation) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    scores = np.concatenate([s for s, _ in evaluation.scored])
    labels = np.concatenate([y for _, y in evaluation.scored])
    return scores, labels


def pr_chart(evaluation: Evaluation) -> Chart:
    scores, labels = _pooled_scores(evaluation)
    positives = int(labels.sum())

    def draw() -> Figure:
        figure, ax = new_figure()
        precision, recall, _ = precision_recall_curve(labels, scores)
        ax.plot(recall, precision, color="#1f4e79", label="model (all test years)")
        for (name, pooled), marker in zip(evaluation.pooled["rules"].items(), "os", strict=False):
            rule_at = (pooled["rule_hits"] / positives, pooled["rule_precision"])
            model_at = (pooled["model_hits"] / positives, pooled["model_precision"])
            ax.plot(*rule_at, marker, color="#b22222", label=name)
            ax.plot(*model_at, marker, color="#1f4e79", fillstyle="none",
                    label=f"model at {name}'s budget")  # fmt: skip
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.legend(fontsize=8)
        return figure

    return Chart(
        draw, "Precision and recall",
        f"Precision against recall of the model over all test years ({evaluation.label} label), "
        "with each threshold rule and the model at that rule's budget marked.",
    )  # fmt: skip


def calibration_chart(evaluation: Evaluation) -> Chart:
    scores, labels = _pooled_scores(evaluation)
    rows = calibration_bins(labels, scores)

    def draw() -> Figure:
        figure, ax = new_figure()
        ax.plot([0, 1], [0, 1], color="#999", linestyle="--", label="perfect")
        ax.plot([r["predicted"] for r in rows], [r["observed"] for r in rows], "o-",
                color="#1f4e79", label="model")  # fmt: skip
        ax.set_xlabel("predicted chance")
        ax.set_ylabel("share that happened")
        ax.legend(fontsize=8)
        return figure

    return Chart(
        draw, "Calibration",
        "Mean predicted chance against the share of officers it happened to, in ten bins, over "
        "all test years.", rows,
    )  # fmt: skip


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_report(evaluation: Evaluation, folder: Path) -> Path:
    """Write ``index.html`` and ``evaluation.json`` into ``folder``; returns the page's path."""
    folder.mkdir(parents=True, exist_ok=True)
    result = evaluation.to_dict()
    pooled = _table(
        ["rule", "budget", "rule hits", "model hits", "rule precision", "model precision",
         "hits difference", "95% interval"],
        [[name, p["budget"], p["rule_hits"], p["model_hits"], p["rule_precision"],
          p["model_precision"], f"{p['hits_difference_pct']:+.1f}%",
          f"{p['hits_difference_ci95'][0]:+.1f}% to {p['hits_difference_ci95'][1]:+.1f}%"]
         for name, p in result["rules"].items()],
    )  # fmt: skip
    yearly = _table(
        ["year", "officers", "with label", "AUC-PR", "top 1%", "top 5%", "rule", "budget",
         "rule precision", "model precision"],
        [[y["year"], y["officers"], y["positives"], y["average_precision"],
          y["precision_top_1pct"], y["precision_top_5pct"], name, r["budget"],
          r["rule_precision"], r["model_precision"]]
         for y in result["years"] for name, r in y["rules"].items()],
    )  # fmt: skip
    features = _table(["feature", "weight"], [[f, w] for f, w in evaluation.importance[:12]])
    charts = "".join(
        f"<h2>{html.escape(chart.title)}</h2>{chart.inline_svg(f'c{i}-')}"
        for i, chart in enumerate((pr_chart(evaluation), calibration_chart(evaluation)))
    )
    label = html.escape(evaluation.label)
    page = (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>Early warning: {label}"
        f"</title><style>{_STYLE}</style><h1>Early warning evaluation: {label} allegation in "
        "the next 12 months</h1><p>Each test year's model was trained on earlier years only "
        "and flagged as many officers as each threshold rule. Hits: flagged officers who got "
        "the label. The interval is a paired bootstrap over officers.</p><h2>Pooled over the "
        f"test years</h2>{pooled}{charts}<h2>The features that mattered</h2><p>Permutation "
        "importance, summed over the test years (reported, never used to choose).</p>"
        f"{features}<h2>Each year</h2>{yearly}</html>"
    )
    write_atomically(folder / "evaluation.json", json.dumps(result, indent=1) + "\n")
    write_atomically(folder / "index.html", page)
    return folder / "index.html"
