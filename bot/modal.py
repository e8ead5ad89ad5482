"""The `/ackmigrate` modal, as small pure functions: the view, the pickers' options, and reading a submission.

The modal is another way to type `precheck CLUSTER [--bucket B]` or `migrate CLUSTER --bucket B`: a
submission becomes exactly that command (bot.grammar) and runs the same path as the typed one. Problems
a person can fix in the form are answered on the field (`response_action: errors`), before anything runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    RadioButtonsElement,
)
from slack_sdk.models.views import View

from bot.grammar import CLUSTER_NAME_RE, Migrate, Precheck
from workers.oss_names import is_bucket_name
from workers.picker_cache import CachedList

FORM_CALLBACK_ID = "ackmigrate_form"
CLUSTER_BLOCK, CLUSTER_ACTION = "cluster", "cluster_select"
BUCKET_BLOCK, BUCKET_ACTION = "bucket", "bucket_select"
WHAT_BLOCK, WHAT_ACTION = "what", "what_choice"
PRECHECK, MIGRATE = "precheck", "migrate"
NOT_A_CHOICE = "-"
"""The value of "loading…" and "could not list" lines: shown in the picker, refused if submitted."""

MAX_OPTIONS = 100
"""Slack shows at most 100 options per block_suggestion answer
(https://docs.slack.dev/reference/interaction-payloads/block_suggestion-payload)."""
MAX_OPTION_TEXT = 75
"""An option's text is at most 75 characters (https://docs.slack.dev/reference/block-kit/composition-objects)."""


@dataclass(frozen=True)
class FormContext:
    """What the modal carries to its submission: the channel it was opened in."""

    channel: str

    def to_metadata(self) -> str:
        return json.dumps({"channel": self.channel})

    @classmethod
    def from_metadata(cls, text: str) -> FormContext:
        """Raises ValueError for metadata this modal never carries (a crafted submission)."""
        try:
            channel = json.loads(text)["channel"]
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"not the modal's metadata ({type(error).__name__})") from None
        if not isinstance(channel, str) or not channel.isalnum() or len(channel) > 20:
            raise ValueError("not the modal's metadata (channel)")
        return cls(channel)


@dataclass(frozen=True)
class FormSubmission:
    """A submission read: the command it stands for, or the problems to show on its fields."""

    context: FormContext | None
    command: Precheck | Migrate | None
    errors: dict[str, str]


def migration_form(*, channel: str, region: str) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=FORM_CALLBACK_ID,
        title="ackmigrate",
        submit="Run",
        close="Cancel",
        private_metadata=FormContext(channel).to_metadata(),
        blocks=[
            InputBlock(
                block_id=CLUSTER_BLOCK, label="Cluster",
                hint=f"The dedicated clusters in {region}: type part of a name or id.",
                element=ExternalDataSelectElement(action_id=CLUSTER_ACTION, placeholder="Search by name or id",
                                                  min_query_length=0),
            ),
            InputBlock(
                block_id=BUCKET_BLOCK, label="OSS bucket", optional=True,
                hint="The bucket ACK backs the control plane up to, in the cluster's region. Needed to migrate.",
                element=ExternalDataSelectElement(action_id=BUCKET_ACTION, placeholder="Search by name",
                                                  min_query_length=0),
            ),
            InputBlock(
                block_id=WHAT_BLOCK, label="What to do",
                element=RadioButtonsElement(action_id=WHAT_ACTION, options=_what_options(),
                                            initial_option=_what_options()[0]),
            ),
            ContextBlock(elements=[MarkdownTextObject(
                text="A migration cannot be rolled back: a request is prechecked and posted in the channel, "
                     "and runs only after an approver's click.")]),
        ],
    )
    shown: dict[str, Any] = view.to_dict()
    return shown


def picker_options(cached: CachedList | None, query: str, *, what: str, error: str | None) -> list[dict[str, Any]]:
    """The options matching `query`; a single line saying why there are none when the list is not there."""
    if cached is None:
        note = f"Could not list the {what}: {error}" if error else f"Loading the {what}… open this again in a moment"
        return [_option(NOT_A_CHOICE, note)]
    matching = [item for item in cached.items if item.matches(query)]
    if not matching:
        return [_option(NOT_A_CHOICE, f"No {what} match “{query.strip()}”")]
    return [_option(item.value, item.label) for item in matching[:MAX_OPTIONS]]


def read_submission(view: dict[str, Any]) -> FormSubmission:
    """The command a submitted modal stands for, or what is wrong, keyed by the block to show it on."""
    try:
        context: FormContext | None = FormContext.from_metadata(str(view.get("private_metadata") or ""))
    except ValueError:
        return FormSubmission(None, None, {CLUSTER_BLOCK: "This form was not opened by ackmigrate: run /ackmigrate again."})
    values = (view.get("state") or {}).get("values") or {}
    cluster = _selected(values, CLUSTER_BLOCK, CLUSTER_ACTION)
    bucket = _selected(values, BUCKET_BLOCK, BUCKET_ACTION)
    what = _selected(values, WHAT_BLOCK, WHAT_ACTION)
    errors: dict[str, str] = {}
    if cluster in (None, NOT_A_CHOICE):
        errors[CLUSTER_BLOCK] = "Pick a cluster (if the list is still loading, open it again in a moment)."
    elif not CLUSTER_NAME_RE.match(cluster):
        errors[CLUSTER_BLOCK] = "That is not a cluster id or name: pick one from the list."
    if bucket == NOT_A_CHOICE or (bucket is not None and not is_bucket_name(bucket)):
        errors[BUCKET_BLOCK] = "Pick a bucket from the list (if it is still loading, open it again in a moment)."
    if what not in (PRECHECK, MIGRATE):
        errors[WHAT_BLOCK] = "Choose a precheck or a migration request."
    elif what == MIGRATE and bucket is None:
        errors[BUCKET_BLOCK] = "A migration needs a bucket in the cluster's region: pick one."
    if errors or cluster is None:
        return FormSubmission(context, None, errors)
    command = Migrate(cluster, str(bucket)) if what == MIGRATE else Precheck(cluster, bucket)
    return FormSubmission(context, command, {})


def _what_options() -> list[Option]:
    return [Option(value=PRECHECK, label="Precheck only (the results come to you privately)"),
            Option(value=MIGRATE, label="Request the migration (posted here for approval)")]


def _option(value: str, label: str) -> dict[str, Any]:
    text = label if len(label) <= MAX_OPTION_TEXT else label[: MAX_OPTION_TEXT - 1] + "…"
    option: dict[str, Any] = Option(value=value, label=text).to_dict()
    return option


def _selected(values: dict[str, Any], block: str, action: str) -> str | None:
    """A select's or radio group's chosen value; None when nothing was chosen."""
    state = (values.get(block) or {}).get(action) or {}
    option = state.get("selected_option") if isinstance(state, dict) else None
    value = option.get("value") if isinstance(option, dict) else None
    return str(value) if value else None
