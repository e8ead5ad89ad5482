"""What a requester reads when `wave create` made nothing: each reason worded with what to change."""

from __future__ import annotations

import pytest

from workers.domain.wave_problems import (
    AllBlocked,
    CanaryTooLarge,
    FleetUnlisted,
    NameTaken,
    NoBucketFor,
    PatternsUnresolved,
    TooManyClusters,
    WaveProblem,
)
from workers.ui.wave_answers import not_opened


@pytest.mark.parametrize(("problem", "told"), [
    (PatternsUnresolved("'db-*' matches no cluster in the fleet"),
     ":warning: 'db-*' matches no cluster in the fleet"),
    (TooManyClusters(612, 500), ":warning: the patterns name 612 clusters; a wave holds at most 500: split it into "
                                "several waves"),
    (NoBucketFor(("cn-beijing", "cn-shanghai")),
     ":warning: no bucket for regions cn-beijing, cn-shanghai in --bucket-map: add REGION=BUCKET for each, e.g. "
     "--bucket-map cn-beijing=my-bucket-cn-beijing,cn-shanghai=my-bucket-cn-shanghai"),
    (AllBlocked(7), ":warning: every one of the 7 clusters is blocked: run `/ackmigrate plan` to see what blocks each"),
    (CanaryTooLarge(3, 2), ":warning: --canary 3 is more than the 2 clusters ready to migrate"),
    (FleetUnlisted("b/cn-beijing: Throttling"), ":warning: the fleet could not be listed: b/cn-beijing: Throttling"),
    (NameTaken("hz-1"), "A wave named `hz-1` already exists, and wave names are kept for good: choose another name."),
])
def test_each_reason_a_wave_was_not_opened_is_told_with_what_to_change(problem: WaveProblem, told: str) -> None:
    assert not_opened(problem) == told


def test_what_the_requester_typed_cannot_become_slack_markup() -> None:
    assert not_opened(PatternsUnresolved("'<!channel>' matches no cluster")) == (
        ":warning: '&lt;!channel&gt;' matches no cluster")
