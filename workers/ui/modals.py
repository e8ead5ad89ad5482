"""The views the bot opens — the `/ackmigrate` form and the reject dialogs (a request's, a wave's) — with their
words and options.

Pure: each function returns a validated view dict (slack_sdk's `View.to_dict()`). Reading a submission
back (what the form stands for, the reason typed) is the bot's (`bot.modal`, `bot.blocks`); the words
it answers with on a field are here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from slack_sdk.models.blocks import (
    ContextBlock,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from workers.domain.records import Kind, Record
from workers.domain.waves import ClusterState, Wave
from workers.mrkdwn import code, user
from workers.ui import ids
from workers.ui.kit import plural
from workers.ui.words import wording

PRECHECK, MIGRATE = "precheck", "migrate"
"""The form's "What to do" choices (the radio buttons' values)."""
NOT_A_CHOICE = "-"
"""The value of "loading…" and "could not list" lines: shown in the picker, refused if submitted."""

MAX_OPTIONS = 100
"""Slack shows at most 100 options per block_suggestion answer
(https://docs.slack.dev/reference/interaction-payloads/block_suggestion-payload)."""
MAX_OPTION_TEXT = 75
"""An option's text is at most 75 characters (https://docs.slack.dev/reference/block-kit/composition-objects)."""

PICKER_NOUNS = {"clusters": "dedicated clusters", "buckets": "buckets"}
"""What each picker lists, as its "loading…" and "no match" lines name it."""

# -- the form's answers on its fields (`response_action: errors`) ---------------------------------------------
FORM_NOT_OURS = "This form was not opened by ackmigrate: run /ackmigrate again."
PICK_A_CLUSTER = "Pick a cluster (if the list is still loading, open it again in a moment)."
NOT_A_CLUSTER = "That is not a cluster id or name: pick one from the list."
PICK_A_BUCKET = "Pick a bucket from the list (if it is still loading, open it again in a moment)."
CHOOSE_WHAT = "Choose a precheck or a migration request."
MIGRATION_NEEDS_BUCKET = "A migration needs a bucket in the cluster's region: pick one."

# -- the reject dialog's answers on its field -------------------------------------------------------------------
DIALOG_NOT_OURS = "This dialog was not opened by ackmigrate; click Reject on the request or wave again."


def reason_too_long(limit: int, length: int) -> str:
    return f"Keep the reason to {limit} characters (it has {length})."


# -- the form -----------------------------------------------------------------------------------------------------


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


def migration_form(*, channel: str, region: str) -> dict[str, Any]:
    """Another way to type `precheck CLUSTER [--bucket B]` or `migrate CLUSTER --bucket B`."""
    view = View(
        type="modal",
        callback_id=ids.FORM_CALLBACK_ID,
        title="ackmigrate",
        submit="Run",
        close="Cancel",
        private_metadata=FormContext(channel).to_metadata(),
        blocks=[
            InputBlock(
                block_id=ids.CLUSTER_BLOCK, label="Cluster",
                hint=f"The dedicated clusters in {region}: type part of a name or id.",
                element=ExternalDataSelectElement(action_id=ids.CLUSTER_ACTION, placeholder="Search by name or id",
                                                  min_query_length=0),
            ),
            InputBlock(
                block_id=ids.BUCKET_BLOCK, label="OSS bucket", optional=True,
                hint="The bucket ACK backs the control plane up to, in the cluster's region. Needed to migrate.",
                element=ExternalDataSelectElement(action_id=ids.BUCKET_ACTION, placeholder="Search by name",
                                                  min_query_length=0),
            ),
            InputBlock(
                block_id=ids.WHAT_BLOCK, label="What to do",
                element=RadioButtonsElement(action_id=ids.WHAT_ACTION, options=_what_options(),
                                            initial_option=_what_options()[0]),
            ),
            ContextBlock(elements=[MarkdownTextObject(
                text="A migration cannot be rolled back: a request is prechecked and posted in the channel, "
                     "and runs only after an approver's click.")]),
        ],
    )
    shown: dict[str, Any] = view.to_dict()
    return shown


def _what_options() -> list[Option]:
    return [Option(value=PRECHECK, label="Precheck only (the results come to you privately)"),
            Option(value=MIGRATE, label="Request the migration (posted here for approval)")]


class PickerItem(Protocol):
    """One choice of a picker (`workers.picker_cache.PickerItem`)."""

    @property
    def value(self) -> str: ...

    @property
    def label(self) -> str: ...

    def matches(self, query: str) -> bool: ...


class PickerList(Protocol):
    """A picker's cached list (`workers.picker_cache.CachedList`)."""

    @property
    def items(self) -> Sequence[PickerItem]: ...


def picker_options(cached: PickerList | None, query: str, *, kind: str, region: str,
                   error: str | None) -> list[dict[str, Any]]:
    """The options matching `query`; a single line saying why there are none when the list is not there.
    `kind` is a key of PICKER_NOUNS (workers.picker_cache's list kinds)."""
    what = f"{PICKER_NOUNS[kind]} in {region}"
    if cached is None:
        note = f"Could not list the {what}: {error}" if error else f"Loading the {what}… open this again in a moment"
        return [_option(NOT_A_CHOICE, note)]
    matching = [item for item in cached.items if item.matches(query)]
    if not matching:
        return [_option(NOT_A_CHOICE, f"No {what} match “{query.strip()}”")]
    return [_option(item.value, item.label) for item in matching[:MAX_OPTIONS]]


def _option(value: str, label: str) -> dict[str, Any]:
    text = label if len(label) <= MAX_OPTION_TEXT else label[: MAX_OPTION_TEXT - 1] + "…"
    option: dict[str, Any] = Option(value=value, label=text).to_dict()
    return option


# -- the reject dialog --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RejectContext:
    """What the dialog carries to its submission (Slack hands `private_metadata` back unchanged)."""

    record_id: str
    kind: Kind
    channel: str

    def to_metadata(self) -> str:
        return json.dumps({"record_id": self.record_id, "kind": str(self.kind), "channel": self.channel})

    @classmethod
    def from_metadata(cls, text: str) -> RejectContext:
        """Raises ValueError for metadata this dialog never carries (a crafted submission)."""
        try:
            data = json.loads(text)
            return cls(record_id=str(data["record_id"]), kind=Kind(data["kind"]), channel=str(data["channel"]))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"not a reject dialog's metadata ({type(error).__name__})") from None


def reject_dialog(record: Record, *, channel: str, reason_max_length: int) -> dict[str, Any]:
    """Asks for an optional reason, which goes in the thread so the requester knows what to fix."""
    what = wording(record).noun
    view = View(
        type="modal",
        callback_id=ids.REJECT_CALLBACK_ID,
        title=f"Reject {what}",
        submit="Reject",
        close="Cancel",
        private_metadata=RejectContext(record.id, record.kind, channel).to_metadata(),
        blocks=[
            SectionBlock(text=f"Reject the {what} request for {code(record.cluster_name)} by "
                              f"{user(record.requester)}?"),
            _reason_field("Reason (shown in the request's thread)", reason_max_length),
        ],
    )
    shown: dict[str, Any] = view.to_dict()
    return shown


def _reason_field(label: str, reason_max_length: int) -> InputBlock:
    """The one reason field of both reject dialogs: the same ids, so `bot.blocks` reads and checks it once."""
    return InputBlock(
        block_id=ids.REASON_BLOCK_ID,
        label=label,
        optional=True,
        element=PlainTextInputElement(
            action_id=ids.REASON_ACTION_ID, multiline=True, max_length=reason_max_length,
            placeholder="e.g. wait until after the release freeze",
        ),
    )


# -- the wave's reject dialog -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaveRejectContext:
    """What the wave's reject dialog carries to its submission: which wave, and the channel to answer in."""

    wave: str
    channel: str

    def to_metadata(self) -> str:
        return json.dumps({"wave": self.wave, "channel": self.channel})

    @classmethod
    def from_metadata(cls, text: str) -> WaveRejectContext:
        """Raises ValueError for metadata this dialog never carries (a crafted submission)."""
        try:
            data = json.loads(text)
            return cls(wave=str(data["wave"]), channel=str(data["channel"]))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"not a wave reject dialog's metadata ({type(error).__name__})") from None


def wave_reject_dialog(wave: Wave, *, channel: str, reason_max_length: int) -> dict[str, Any]:
    """The wave's Reject asks for a reason as a request's does; it is shown on the wave's message and in its
    thread, so the requester knows what to change before asking again."""
    to_migrate = sum(1 for c in wave.clusters if c.state is not ClusterState.SKIPPED)
    view = View(
        type="modal",
        callback_id=ids.REJECT_WAVE_CALLBACK_ID,
        title="Reject wave",
        submit="Reject",
        close="Cancel",
        private_metadata=WaveRejectContext(wave.name, channel).to_metadata(),
        blocks=[
            SectionBlock(text=f"Reject wave {code(wave.name)} ({plural(to_migrate, 'cluster')}) requested by "
                              f"{user(wave.requester)}? Nothing of it will start."),
            _reason_field("Reason (shown in the wave's thread)", reason_max_length),
        ],
    )
    shown: dict[str, Any] = view.to_dict()
    return shown
