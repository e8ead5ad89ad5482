"""The jobs behind `/ackmigrate list` and `/ackmigrate precheck`: what the user is told, privately."""

from __future__ import annotations

from typing import Any

from sandbox.slack_render import render_message_text
from tests.workers.runbook_harness import CHANNEL, make_context
from workers import requests
from workers.domain.records import Kind, Record, State, new_record_id

ALICE = "U0ALICE"


def _private_to_alice(sandbox: Any) -> str:
    messages = sandbox.control.slack_ephemeral(channel=CHANNEL, user=ALICE)
    assert messages, "Alice was told nothing"
    return render_message_text(messages[-1])


def test_list_says_ready_only_when_the_checks_pass_and_names_the_blocking_check(
    sandbox: Any, sandbox_env: dict[str, str]
) -> None:
    ctx = make_context(sandbox_env)
    sandbox.control.create_cluster(name="prod-hz-ready")
    sandbox.control.create_cluster(name="prod-hz-old", current_version="1.14.8-aliyun.1")
    sandbox.control.create_cluster(name="prod-hz-broken", state="failed")
    sandbox.control.create_cluster(name="prod-hz-shared-slb", slb_spec="shared")
    sandbox.control.create_cluster(name="prod-hz-no-assistant", cloud_assistant=[True, False, True])
    sandbox.control.create_cluster(name="prod-hz-busy-masters", pods_on_masters=["default/nginx-1"])
    sandbox.control.create_cluster(name="prod-hz-pro", cluster_type="ManagedKubernetes", cluster_spec="ack.pro.small")
    busy = sandbox.control.create_cluster(name="prod-hz-busy")
    ctx.store.create(Record(id=new_record_id(Kind.MIGRATION), kind=Kind.MIGRATION, cluster_id=busy["cluster_id"],
                            cluster_name="prod-hz-busy", region="cn-hangzhou", requester=ALICE, channel=CHANNEL,
                            state=State.AWAITING_APPROVAL))

    requests.list_clusters_for_user(ctx, user=ALICE, channel=CHANNEL, response_url=None)

    text = _private_to_alice(sandbox)
    words = {line.split("*")[1]: line.rsplit("·", 1)[1].strip() for line in text.splitlines() if line.startswith("•")}
    assert words == {"prod-hz-ready": "ready", "prod-hz-old": "blocked: k8s-version",
                     "prod-hz-broken": "blocked: cluster-state", "prod-hz-shared-slb": "blocked: slb-spec",
                     "prod-hz-no-assistant": "blocked: cloud-assistant", "prod-hz-busy-masters": "blocked: master-pods",
                     "prod-hz-busy": "awaiting-approval"}
    assert "1 managed or other clusters are not listed" in text
    assert "`ready`: every check that needs no bucket passes" in text


def test_precheck_answers_privately_with_the_failures_and_their_fix(sandbox: Any, sandbox_env: dict[str, str]) -> None:
    ctx = make_context(sandbox_env)
    sandbox.control.create_cluster(name="prod-hz-old", current_version="1.14.8-aliyun.1")

    requests.precheck_for_user(ctx, cluster_ref="prod-hz-old", bucket=None, user=ALICE, channel=CHANNEL,
                               response_url=None)

    text = _private_to_alice(sandbox)
    assert "❌ *Kubernetes version*" in text and "Upgrade the cluster" in text
    assert sandbox.control.slack_messages(CHANNEL) == [], "a precheck is private: nothing in the channel"


def test_precheck_of_an_unknown_cluster_names_the_clusters_that_exist(sandbox: Any,
                                                                      sandbox_env: dict[str, str]) -> None:
    ctx = make_context(sandbox_env)
    sandbox.control.create_cluster(name="prod-hz-1")

    requests.precheck_for_user(ctx, cluster_ref="prod-hz-9", bucket=None, user=ALICE, channel=CHANNEL,
                               response_url=None)

    assert _private_to_alice(sandbox) == "No cluster named prod-hz-9 in cn-hangzhou; found: prod-hz-1."
