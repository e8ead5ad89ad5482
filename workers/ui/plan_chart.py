"""The plan's chart: clusters per account/region, stacked by readiness, as a PNG for Slack.

matplotlib with the Agg backend (no display: workers run headless); a figure per call, closed after, so a
long-lived worker does not keep figures around.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # before pyplot: workers have no display

import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first

from workers.fleet.report import PlanReport  # noqa: E402

COLOURS = {"ready": "#2eb67d", "blocked": "#e01e5a", "pro": "#36c5f0"}


def readiness_chart(report: PlanReport) -> bytes:
    """One bar per account/region (in the report's order), ready / blocked / already Pro stacked."""
    labels = [f"{p.account}/{p.region}" for p in report.places]
    series = {
        "ready": [p.ready for p in report.places],
        "blocked": [p.blocked for p in report.places],
        "pro": [p.pro for p in report.places],
    }
    figure, axes = plt.subplots(figsize=(max(6.0, 1.1 * len(labels) + 2), 4.5), dpi=100)
    try:
        bottom = [0] * len(labels)
        for name, values in series.items():
            axes.bar(labels, values, bottom=bottom, label="already Pro" if name == "pro" else name,
                     color=COLOURS[name])
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        axes.set_ylabel("clusters")
        axes.set_title("Dedicated clusters by account and region")
        axes.legend(loc="upper right")
        axes.tick_params(axis="x", labelrotation=30)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(figure)
