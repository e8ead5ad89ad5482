"""`make demo` keeps working: the narrated journey runs to the end and shows every step it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ACKMIGRATE = Path(sys.executable).with_name("ackmigrate")


def test_demo_plays_the_whole_journey_and_exits_zero(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ACKMIGRATE_", "SLACK_"))}
    shown = subprocess.run([str(ACKMIGRATE), "demo"], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=150)

    assert shown.returncode == 0, shown.stdout[-3000:] + shown.stderr[-3000:]
    out = shown.stdout
    for promised in (
        "❌ *Kubernetes version*",  # the blocked cluster's failure and its fix
        "Upgrade the cluster",
        "[ Approve ]  [ Reject ]",  # the request message
        "simulated time runs 6× faster",  # why "under a minute" sits next to "about 10-15 minutes"
        "You requested this migration, so someone else must approve it (two-person rule).",  # Alice, an approver
        "@bob approved. Queued.",
        "Stage 3/5",  # the thread fills with stages
        "Verification of prod-hz-ready",  # the verification reply, a checklist
        "Canary pod runs",
        "✅ Verified: the API server, the nodes, kube-system and a canary pod all work.",
        "✅ prod-hz-ready is now ACK Pro",  # the success broadcast
        "Cleanup request",
        "deleted 3 old master nodes",
        "exactly one MigrateCluster",
        "no call to an ACK API that Alibaba has decommissioned",
        "Every step happened. All processes stopped.",
    ):
        assert promised in out, f"the demo did not show {promised!r}"
    assert "Only @platform-leads can approve" not in out  # she is refused as the requester, not as a stranger
    # The last `kubectl get nodes` lists workers only.
    last_listing = out.rsplit("The old masters are gone from the cluster", 1)[1]
    assert "master" not in last_listing.split("The sandbox's call log")[0]
