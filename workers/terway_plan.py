"""Whether the terway steps around a migration will run (pure).

Kept apart from `workers.terway_steps` (which does them) so the request message can say "will also: …"
without importing the job code that posts to Slack; the words are `workers.ui.request_message`'s.
"""

from __future__ import annotations

from workers.checks.model import PrecheckReport
from workers.config import Settings
from workers.ui.request_message import TERWAY_PLANNED

TERWAY = "terway-controlplane"


def applies(settings: Settings, report: PrecheckReport | None) -> bool:
    """On when ACKMIGRATE_AUTOMATE_TERWAY is and the prechecks found terway-controlplane in the cluster."""
    return settings.automate_terway and report is not None and TERWAY in report.addons


def planned(settings: Settings, report: PrecheckReport | None) -> list[str]:
    """What the request message announces under "will also" (empty when nothing will be done)."""
    return [TERWAY_PLANNED] if applies(settings, report) else []
