"""Reading the `/ackmigrate` form back: the command a submission stands for, or the problems on its fields.

The form is another way to type `precheck CLUSTER [--bucket B]` or `migrate CLUSTER --bucket B`: a
submission becomes exactly that command (bot.grammar) and runs the same path as the typed one. Problems
a person can fix in the form are answered on the field (`response_action: errors`), before anything runs.
The form itself (view, options, words, ids) is drawn by `workers.ui.modals`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.grammar import CLUSTER_NAME_RE, Migrate, Precheck
from workers.oss_names import is_bucket_name
from workers.ui import ids, modals
from workers.ui.modals import MIGRATE, NOT_A_CHOICE, PRECHECK, FormContext


@dataclass(frozen=True)
class FormSubmission:
    """A submission read: the command it stands for, or the problems to show on its fields."""

    context: FormContext | None
    command: Precheck | Migrate | None
    errors: dict[str, str]


def read_submission(view: dict[str, Any]) -> FormSubmission:
    """The command a submitted modal stands for, or what is wrong, keyed by the block to show it on."""
    try:
        context: FormContext | None = FormContext.from_metadata(str(view.get("private_metadata") or ""))
    except ValueError:
        return FormSubmission(None, None, {ids.CLUSTER_BLOCK: modals.FORM_NOT_OURS})
    values = (view.get("state") or {}).get("values") or {}
    cluster = _selected(values, ids.CLUSTER_BLOCK, ids.CLUSTER_ACTION)
    bucket = _selected(values, ids.BUCKET_BLOCK, ids.BUCKET_ACTION)
    what = _selected(values, ids.WHAT_BLOCK, ids.WHAT_ACTION)
    errors: dict[str, str] = {}
    if cluster in (None, NOT_A_CHOICE):
        errors[ids.CLUSTER_BLOCK] = modals.PICK_A_CLUSTER
    elif not CLUSTER_NAME_RE.match(cluster):
        errors[ids.CLUSTER_BLOCK] = modals.NOT_A_CLUSTER
    if bucket == NOT_A_CHOICE or (bucket is not None and not is_bucket_name(bucket)):
        errors[ids.BUCKET_BLOCK] = modals.PICK_A_BUCKET
    if what not in (PRECHECK, MIGRATE):
        errors[ids.WHAT_BLOCK] = modals.CHOOSE_WHAT
    elif what == MIGRATE and bucket is None:
        errors[ids.BUCKET_BLOCK] = modals.MIGRATION_NEEDS_BUCKET
    if errors or cluster is None:
        return FormSubmission(context, None, errors)
    command = Migrate(cluster, str(bucket)) if what == MIGRATE else Precheck(cluster, bucket)
    return FormSubmission(context, command, {})


def _selected(values: dict[str, Any], block: str, action: str) -> str | None:
    """A select's or radio group's chosen value; None when nothing was chosen."""
    state = (values.get(block) or {}).get(action) or {}
    option = state.get("selected_option") if isinstance(state, dict) else None
    value = option.get("value") if isinstance(option, dict) else None
    return str(value) if value else None
