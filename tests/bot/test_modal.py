"""The modal's pure parts: options from the cached lists, and a submission read into a command or field errors."""

from __future__ import annotations

from typing import Any

import pytest

from bot.grammar import Migrate, Precheck
from bot.modal import read_submission
from sandbox.slack_blocks import validate_view
from workers.picker_cache import CachedList, PickerItem
from workers.ui.modals import NOT_A_CHOICE, FormContext, migration_form, picker_options

CLUSTER = "c" + "a" * 32


def _submitted(cluster: str | None, bucket: str | None, what: str | None, *, metadata: str | None = None) -> dict[str, Any]:
    def chosen(value: str | None) -> dict[str, Any]:
        return {"type": "external_select", "selected_option": {"value": value} if value else None}

    return {"private_metadata": FormContext("C0PLATFORM").to_metadata() if metadata is None else metadata,
            "state": {"values": {"cluster": {"cluster_select": chosen(cluster)},
                                 "bucket": {"bucket_select": chosen(bucket)},
                                 "what": {"what_choice": chosen(what)}}}}


def test_the_form_is_a_modal_slack_accepts() -> None:
    view = migration_form(channel="C0PLATFORM", region="cn-hangzhou")
    validate_view(view)  # raises on anything Slack's views.open would refuse
    assert (view["type"], view["callback_id"]) == ("modal", "ackmigrate_form")
    assert [block.get("block_id") for block in view["blocks"]][:3] == ["cluster", "bucket", "what"]


@pytest.mark.parametrize(("cluster", "bucket", "what", "command"), [
    (CLUSTER, None, "precheck", Precheck(CLUSTER)),
    (CLUSTER, "ack-migrate-hz", "precheck", Precheck(CLUSTER, "ack-migrate-hz")),
    (CLUSTER, "ack-migrate-hz", "migrate", Migrate(CLUSTER, "ack-migrate-hz")),
])
def test_a_complete_form_is_the_command_it_stands_for(cluster: str, bucket: str | None, what: str,
                                                      command: Precheck | Migrate) -> None:
    submitted = read_submission(_submitted(cluster, bucket, what))
    assert (submitted.command, submitted.errors, submitted.context) == (command, {}, FormContext("C0PLATFORM"))


@pytest.mark.parametrize(("cluster", "bucket", "what", "fields"), [
    (None, None, "precheck", {"cluster"}),
    (NOT_A_CHOICE, None, "precheck", {"cluster"}),  # "Loading…" picked
    ("<!channel>", None, "precheck", {"cluster"}),
    (CLUSTER, None, "migrate", {"bucket"}),
    (CLUSTER, "Bad_Bucket", "precheck", {"bucket"}),
    (CLUSTER, NOT_A_CHOICE, "migrate", {"bucket"}),
    (CLUSTER, "ack-migrate-hz", None, {"what"}),
    (CLUSTER, "ack-migrate-hz", "release-ecs", {"what"}),
])
def test_what_the_form_lacks_is_shown_on_its_field_and_no_command_comes_of_it(
    cluster: str | None, bucket: str | None, what: str | None, fields: set[str]
) -> None:
    submitted = read_submission(_submitted(cluster, bucket, what))
    assert submitted.command is None and set(submitted.errors) == fields


@pytest.mark.parametrize("metadata", ["", "[1]", '{"channel": ["C1"]}', '{"channel": "C1 <!here>"}', "{"])
def test_metadata_the_form_never_carries_is_refused(metadata: str) -> None:
    submitted = read_submission(_submitted(CLUSTER, None, "precheck", metadata=metadata))
    assert submitted.command is None and set(submitted.errors) == {"cluster"}


def test_options_match_the_query_in_name_or_id_cut_to_slacks_limits() -> None:
    items = tuple(PickerItem(f"c{i:032x}", f"prod-hz-{i} " + "x" * 80, f"prod-hz-{i} c{i:032x}") for i in range(150))
    cached = CachedList(fetched_at=0.0, items=items)

    everything = picker_options(cached, "", kind="clusters", region="cn-hangzhou", error=None)
    assert len(everything) == 100 and all(len(o["text"]["text"]) <= 75 for o in everything)
    assert [o["value"] for o in picker_options(cached, "PROD-HZ-149", kind="clusters", region="cn-hangzhou",
                                                     error=None)] == [f"c{149:032x}"]
    assert [o["value"] for o in picker_options(cached, f"{7:032x}", kind="clusters", region="cn-hangzhou",
                                                     error=None)] == [f"c{7:032x}"]


def test_a_missing_list_says_it_is_loading_or_why_it_could_not_be_listed() -> None:
    (loading,) = picker_options(None, "", kind="buckets", region="cn-hangzhou", error=None)
    assert (loading["value"], loading["text"]["text"]) == (
        NOT_A_CHOICE, "Loading the buckets in cn-hangzhou… open this again in a moment")
    (failed,) = picker_options(None, "", kind="buckets", region="cn-hangzhou", error="oss ListBuckets: AccessDenied")
    assert failed["value"] == NOT_A_CHOICE
    assert failed["text"]["text"].startswith("Could not list the buckets in cn-hangzhou: oss")
