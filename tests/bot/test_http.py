"""The HTTP surface itself: Slack's signature check, /healthz and /metrics, and garbage never hurting."""

from __future__ import annotations

import re
import time
import urllib.parse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bot.harness import RunningBot, StartBot
from workers.audit import AuditLog

MIGRATE = urllib.parse.urlencode({
    "command": "/ackmigrate", "text": "migrate prod-hz-1 --bucket ack-migrate-hz", "user_id": "U0ALICE",
    "channel_id": "C0PLATFORM", "team_id": "T0SANDBOX", "response_url": "http://127.0.0.1:9/response/x",
    "trigger_id": "1.2.3",
})


def _nothing_recorded(bot: RunningBot) -> None:
    assert bot.jobs() == []
    assert bot.store.in_flight() == [] and bot.store.recent() == []
    assert len(AuditLog(bot.redis)) == 0


def test_correctly_signed_command_is_accepted(bot: RunningBot) -> None:
    status, _ = bot.post_signed(MIGRATE)
    assert status == 200
    assert bot.job_names() == ["workers.jobs.open_migration_request"]


def test_bad_signature_is_401_and_changes_nothing(bot: RunningBot) -> None:
    status, _ = bot.post_signed(MIGRATE, secret="not-the-signing-secret")
    assert status == 401
    _nothing_recorded(bot)


def test_signature_older_than_five_minutes_is_401_and_changes_nothing(bot: RunningBot) -> None:
    status, _ = bot.post_signed(MIGRATE, timestamp=int(time.time()) - 6 * 60)
    assert status == 401
    _nothing_recorded(bot)


def test_unsigned_request_is_401(bot: RunningBot) -> None:
    status, _ = bot.post("/slack/events", MIGRATE.encode(), {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 401
    _nothing_recorded(bot)


def test_healthz_is_200_when_redis_answers(bot: RunningBot) -> None:
    assert bot.get("/healthz") == (200, '{"ok": true, "redis": "ok"}')


def test_healthz_is_503_when_redis_is_unreachable(start_bot: StartBot) -> None:
    bot = start_bot(REDIS_URL="redis://127.0.0.1:9/0")
    status, body = bot.get("/healthz")
    assert status == 503
    assert '"ok": false' in body and "ConnectionError" in body


def test_metrics_count_commands_refusals_and_ack_latency(bot: RunningBot) -> None:
    before = _metrics(bot)
    bot.control.slash("U0ALICE", "C0PLATFORM", "help")
    bot.control.slash("U0ALICE", "C0PLATFORM", "bogus")
    bot.control.slash("U0DAVE", "C0PLATFORM", "cancel prod-hz-1")
    after = _metrics(bot)
    assert _delta(before, after, 'ackmigrate_commands_total{subcommand="help"}') == 1
    assert _delta(before, after, 'ackmigrate_commands_total{subcommand="usage_error"}') == 1
    assert _delta(before, after, 'ackmigrate_refusals_total{reason="nothing_to_cancel"}') == 1
    assert _delta(before, after, 'ackmigrate_ack_latency_seconds_count{kind="command"}') == 3


def test_unknown_path_is_404(bot: RunningBot) -> None:
    assert bot.get("/nope")[0] == 404


_header_names = st.sampled_from(["Content-Type", "X-Slack-Request-Timestamp", "X-Slack-Signature", "X-Other"])
_header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=2000), headers=st.dictionaries(_header_names, _header_values, max_size=4))
def test_random_requests_never_get_a_5xx_or_enqueue(bot: RunningBot, body: bytes, headers: dict[str, str]) -> None:
    status, _ = bot.post("/slack/events", body, headers)
    assert status < 500
    assert bot.jobs() == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.dictionaries(st.sampled_from(["payload", "command", "text", "type", "user_id", "channel_id", "ssl_check"]),
                            st.text(max_size=200), max_size=5))
def test_signed_garbage_never_gets_a_5xx_or_enqueues(bot: RunningBot, form: dict[str, str]) -> None:
    if "text" in form:
        form.setdefault("command", "/ackmigrate")  # reach the slash command listener with random text
    status, _ = bot.post_signed(urllib.parse.urlencode(form))
    assert status < 500
    queued = bot.jobs()
    # Only read-only jobs: `list`, or the modal's picker refresh when the text is empty.
    read_only = ("workers.jobs.list_clusters_for_user", "workers.jobs.refresh_pickers")
    assert queued == [] or all(name in read_only for name, _, _ in queued)


def _metrics(bot: RunningBot) -> dict[str, float]:
    status, text = bot.get("/metrics")
    assert status == 200
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"^(\S+) ([0-9.e+-]+)$", text, re.MULTILINE)}


def _delta(before: dict[str, float], after: dict[str, float], name: str) -> float:
    return after.get(name, 0.0) - before.get(name, 0.0)
