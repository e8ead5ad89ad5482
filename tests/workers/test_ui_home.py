"""The App Home tab as a person reads it: what it says, and that Slack accepts it whatever the fleet's size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.slack_blocks import MAX_BLOCKS_VIEW, validate_view
from workers.domain.fleet_summary import (
    Failure,
    FleetSummary,
    Sighting,
    Standing,
    WavePhase,
    WaveProgress,
    count_places,
)
from workers.domain.freeze import Freeze
from workers.domain.waves import PauseCause, PauseReason
from workers.ui.home import SHOWN_FAILURES, SHOWN_PLACES, SHOWN_WAVES, home_view

NOW = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)
ACCOUNTS = ("prod", "staging")
REGIONS = ("cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "ap-southeast-1")
# Moments as Slack's date token (day and time in each reader's zone), UTC where the token cannot render.
AT_06_10 = "<!date^1796278200^{date_short_pretty} {time}|Thu 2026-12-03 06:10 UTC>"
AT_06_30 = "<!date^1796279400^{date_short_pretty} {time}|Thu 2026-12-03 06:30 UTC>"
AT_08_30 = "<!date^1796286600^{date_short_pretty} {time}|Thu 2026-12-03 08:30 UTC>"
AT_09_30 = "<!date^1796290200^{date_short_pretty} {time}|Thu 2026-12-03 09:30 UTC>"
SAT_02_00 = "<!date^1796436000^{date_short_pretty} {time}|Sat 2026-12-05 02:00 UTC>"


def texts(view: dict[str, Any]) -> str:
    """Everything written in the view, one block per line, as a person would read it top to bottom."""
    lines = []
    for block in view["blocks"]:
        if "text" in block:
            lines.append(block["text"]["text"])
        for element in block.get("elements", []):
            lines.append(element.get("text", ""))
    return "\n".join(lines)


def fleet(clusters: int = 500, waves: int = 20, failures: int = 12, *, frozen: bool = True) -> FleetSummary:
    """500 clusters in 10 account/region places, 20 waves in flight, a freeze and a dozen failures."""
    places = [(a, r) for a in ACCOUNTS for r in REGIONS]
    sightings = []
    for n in range(clusters):
        account, region = places[n % len(places)]
        standing = (Standing.MIGRATED if n % 5 < 2 else Standing.MIGRATING if n % 50 == 2
                    else Standing.FAILED if n % 50 == 3 else Standing.WAITING)
        sightings.append(Sighting(f"c{n}", account, region, standing))
    return FleetSummary(
        as_of=NOW,
        places=count_places(sightings),
        waves=tuple(
            WaveProgress(name=f"wave-{n:02d}", phase=WavePhase.RUNNING if n % 2 else WavePhase.WAITING_FOR_WINDOW,
                         total=25, succeeded=n, failed=n % 3, running=tuple(f"prod-{n}-{i}" for i in range(n % 5)),
                         next_window=NOW + timedelta(hours=3, days=n))
            for n in range(waves)
        ),
        freeze=Freeze(by="U0BOB", at=NOW - timedelta(minutes=20), until=NOW + timedelta(hours=2),
                      reason="Double 12 sale") if frozen else None,
        failures=tuple(Failure(cluster=f"prod-hz-{n}", account="prod", region="cn-hangzhou",
                               at=NOW - timedelta(minutes=n), stage="MigrateControlPlane", wave="wave-01")
                       for n in range(failures)),
    )


# --- the limit ----------------------------------------------------------------------------------------------


def test_500_clusters_in_10_places_with_20_waves_fit_the_home_tabs_100_blocks_and_slack_accepts_them() -> None:
    view = home_view(fleet())

    assert len(view["blocks"]) <= MAX_BLOCKS_VIEW
    assert validate_view(view)["type"] == "home"  # the stand-in's Block Kit check: what Slack would refuse


def test_past_the_caps_the_rest_is_counted_and_the_plan_command_named() -> None:
    places = count_places(Sighting(f"c{n}", f"acct-{n}", "cn-hangzhou", Standing.WAITING)
                          for n in range(SHOWN_PLACES + 7))
    summary = FleetSummary(as_of=NOW, places=places, waves=fleet(waves=SHOWN_WAVES + 4).waves,
                           failures=fleet(failures=SHOWN_FAILURES + 3).failures)

    view = home_view(summary)
    shown = texts(view)

    assert len(view["blocks"]) <= MAX_BLOCKS_VIEW
    assert "…and 7 more places with 7 clusters remaining: `/ackmigrate plan` lists them all." in shown
    assert "…and 4 more waves" in shown and "`/ackmigrate wave status NAME`" in shown
    assert "…and 3 earlier." in shown
    assert shown.count("❌ *prod-hz-") == SHOWN_FAILURES


def test_the_largest_summary_the_caps_allow_still_fits() -> None:
    """Every part at its cap, every wave with every line it can have: the worst case, not a typical one."""
    places = count_places(Sighting(f"c{n}-{s}", f"a{n}", f"r{n}", s) for n in range(200) for s in Standing)
    budget = PauseReason(cause=PauseCause.FAILURE_BUDGET, failures=40, budget=0, failed=tuple("x" * 60 for _ in range(40)))
    waves = tuple(WaveProgress(name="w" * 60 + str(n), phase=WavePhase.PAUSED, total=500, succeeded=1, failed=1,
                               running=tuple(f"c{i}" for i in range(40)), pause=budget, next_window=NOW)
                  for n in range(200))
    summary = FleetSummary(as_of=NOW, places=places, waves=waves, freeze=fleet().freeze, failures=fleet(failures=200).failures)

    view = home_view(summary)

    assert len(view["blocks"]) <= MAX_BLOCKS_VIEW
    validate_view(view)


# --- the wording --------------------------------------------------------------------------------------------


def test_the_overall_line_counts_migrated_remaining_migrating_and_failed() -> None:
    shown = texts(home_view(fleet()))

    # 2 of every 5 migrated; cluster 2 and 3 of every 50 migrating and failed
    assert "*200 of 500 dedicated clusters migrated to ACK Pro (40 %)*" in shown
    assert "300 remaining · 10 migrating now · 10 failed migrations to look at" in shown


def test_each_place_shows_its_own_progress_most_remaining_first() -> None:
    summary = FleetSummary(as_of=NOW, places=count_places([
        Sighting("c1", "prod", "cn-hangzhou", Standing.MIGRATED), Sighting("c2", "prod", "cn-hangzhou", Standing.WAITING),
        Sighting("c3", "staging", "cn-beijing", Standing.WAITING), Sighting("c4", "staging", "cn-beijing", Standing.FAILED),
        Sighting("c5", "staging", "cn-beijing", Standing.MIGRATING),
    ]))

    lines = [line for line in texts(home_view(summary)).splitlines() if "migrated ·" in line]

    assert lines[0].startswith("*staging · cn-beijing*")
    assert lines[0].endswith("0/3 migrated · 3 remaining · 1 migrating · 1 failed")
    assert lines[1].startswith("*prod · cn-hangzhou*")
    assert lines[1].endswith("1/2 migrated · 1 remaining")


def test_a_freeze_says_who_until_when_why_and_what_it_holds() -> None:
    shown = texts(home_view(fleet()))

    assert ("🧊 *Frozen* by <@U0BOB> since "
            f"{AT_06_10} until {AT_08_30} "
            "— “Double 12 sale”") in shown
    assert "Nothing new starts" in shown and "`/ackmigrate unfreeze` needs an approver." in shown


def test_a_wave_line_shows_its_phase_progress_current_clusters_and_window() -> None:
    paused = WaveProgress(name="prod-east", phase=WavePhase.PAUSED, total=8, succeeded=3, failed=1,
                          running=("prod-hz-4", "prod-hz-5", "prod-hz-6", "prod-hz-7"),
                          next_window=datetime(2026, 12, 5, 2, tzinfo=UTC),
                          pause=PauseReason(cause=PauseCause.FAILURE_BUDGET, failures=1, budget=0, failed=("prod-hz-3",)))
    by_hand = WaveProgress(name="prod-west", phase=WavePhase.PAUSED, total=2,
                           pause=PauseReason(cause=PauseCause.OPERATOR, by="U0CAROL"))

    shown = texts(home_view(FleetSummary(as_of=NOW, waves=(paused, by_hand))))

    assert "⏸️ *prod-east* — paused  ▓▓▓▓▓░░░░░  3/8 migrated · 1 failed" in shown
    assert ("Paused: 1 failure (prod-hz-3), over its failure budget of 0. `/ackmigrate wave resume prod-east` "
            "continues it.") in shown
    assert "Paused: paused by <@U0CAROL>. `/ackmigrate wave resume prod-west` continues it." in shown
    assert "Now: prod-hz-4, prod-hz-5, prod-hz-6 and 1 more" in shown
    assert f"Next window opens {SAT_02_00}" in shown
    assert f"🕰️ Next window opens {SAT_02_00}, for wave prod-east" in shown


def test_the_soonest_window_of_all_waves_is_the_next_window() -> None:
    shown = texts(home_view(fleet()))

    assert f"🕰️ Next window opens {AT_09_30}, for wave wave-00" in shown


def test_a_failure_names_the_cluster_place_wave_stage_and_time() -> None:
    alone = Failure(cluster="stg-bj-3", account="default", region="cn-beijing", at=NOW)

    shown = texts(home_view(FleetSummary(as_of=NOW, failures=(*fleet(failures=1).failures, alone))))

    assert ("❌ *prod-hz-0* (prod · cn-hangzhou) (wave wave-01) failed at MigrateControlPlane, "
            f"{AT_06_30}") in shown
    assert f"❌ *stg-bj-3* (default · cn-beijing) failed before the migration started, {AT_06_30}" in shown


def test_names_people_typed_cannot_mention_anyone_or_break_formatting() -> None:
    summary = FleetSummary(
        as_of=NOW,
        places=count_places([Sighting("c1", "<!channel>", "cn-hangzhou", Standing.WAITING)]),
        waves=(WaveProgress(name="<!here>", phase=WavePhase.RUNNING, total=1),),
        freeze=Freeze(by="U0BOB", at=NOW, reason="<@U0ALICE> said so"),
    )

    shown = texts(home_view(summary))

    assert "<!channel>" not in shown and "<!here>" not in shown and "<@U0ALICE>" not in shown
    assert "&lt;!channel&gt;" in shown and "&lt;!here&gt;" in shown


# --- an empty fleet -----------------------------------------------------------------------------------------


def test_an_empty_fleet_says_nothing_was_migrated_yet_and_how_to_plan() -> None:
    view = home_view(FleetSummary(as_of=NOW))
    shown = texts(view)

    assert view["type"] == "home"
    validate_view(view)
    assert "*No migrations yet.*" in shown and "`/ackmigrate plan` discovers the dedicated clusters" in shown
    assert "No wave in flight." in shown
    assert "Frozen" not in shown and "Recent failures" not in shown and "By account and region" not in shown
    assert "until someone unfreezes" in texts(home_view(FleetSummary(as_of=NOW, freeze=Freeze(by="U0BOB", reason="",
                                                                                               at=NOW))))
