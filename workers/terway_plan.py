"""Whether the terway steps around a migration will run, in words for the request message (pure).

Kept apart from `workers.terway_steps` (which does them) so the renderer of the request message can say
"will also: …" without importing the job code that posts to Slack.
"""

from __future__ import annotations

from typing import Any

from workers.config import Settings

PLANNED = (
    "scale terway-controlplane to 0 and back up and delete its mutating and validating webhook configurations "
    "before the migration (restored if it fails; the old Deployment is deleted after it succeeds, to be "
    "reinstalled from Add-ons)"
)


def applies(settings: Settings, precheck: dict[str, Any] | None) -> bool:
    """On when ACKMIGRATE_AUTOMATE_TERWAY is and the prechecks found terway-controlplane in the cluster."""
    return settings.automate_terway and "terway-controlplane" in ((precheck or {}).get("addons") or [])


def planned(settings: Settings, precheck: dict[str, Any] | None) -> list[str]:
    """What the request message announces under "will also" (empty when nothing will be done)."""
    return [PLANNED] if applies(settings, precheck) else []
