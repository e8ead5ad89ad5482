"""Why a request ended as it did, in words: saved as the record's `reason` (and `next_step`), and shown in
its message, its thread and `/ackmigrate status`.

The runbook decides *that* a request failed and with which facts; the sentence is written here.
"""

from __future__ import annotations

from collections.abc import Sequence

from workers.checks.model import CheckResult

BLOCKED_AT_APPROVAL = "a prerequisite failed when the prechecks were re-run at approval"
BLOCKED = "a blocking prerequisite failed"
EXPIRED = "Nobody approved or rejected it in time."


def prechecks_could_not_run(error: object) -> str:
    """The request's prechecks failed to run at all (a cloud error): nothing to approve, nothing touched."""
    return f"the prechecks could not run: {error}"


def not_posted(slack_code: str) -> str:
    """The request message could not be posted (the bot is not in the channel, …): nobody could approve it."""
    return f"the request could not be posted ({slack_code})"


def blocked_before_call(blocking: Sequence[CheckResult]) -> str:
    """The prechecks re-run just before MigrateCluster found a blocking failure."""
    found = [f"{check.title}: {check.summary}" + (f" Fix: {check.fix}" if check.fix else "") for check in blocking]
    return "a prerequisite failed when re-checked, so MigrateCluster was not called. " + " ".join(found)


def cloud_unavailable_before_start(error: object) -> str:
    return f"the cloud stayed unavailable before the migration could start: {error}"


def preparing_failed(error: object) -> str:
    return f"preparing the migration failed: {error}. MigrateCluster was not called"


def grant_impossible(error: object) -> tuple[str, str]:
    """The reason and the next step when the master role's policy has no room for the bucket's statement."""
    return (f"the OSS statement could not be added to the master RAM policy: {error}. Nothing was sent to "
            "RAM and MigrateCluster was not called",
            "Make room in the master role's policy (remove statements it no longer needs) or add "
            "the statement yourself, then ask for the migration again.")


def stopped_following(error: object, task_id: str | None) -> tuple[str, str]:
    """The reason and the next step when following the task failed in a way retrying would not cure."""
    return (f"ackmigrate stopped following the migration: {error}",
            f"ACK may still be migrating the cluster: check task {task_id or '(unknown)'} in the "
            "ACK console before anything else.")


def never_accepted(cluster_name: str, waited_s: float) -> tuple[str, str]:
    """The reason and the next step when no task appeared after the call (the call is never repeated)."""
    return (f"MigrateCluster was probably never accepted: no migration task for {cluster_name} "
            f"{waited_s:.0f} s after the call (ackmigrate never calls it twice)",
            "check the cluster in the ACK console, then run /ackmigrate migrate again.")


def refused(cluster_name: str, *, code: str, message: str, http_status: object, request_id: str,
            not_whitelisted: bool) -> tuple[str, str]:
    """Why ACK refused MigrateCluster, and what to do (the whitelist refusal in plain words); every
    refusal names ACK's code, message and request id."""
    said = (f"{code or 'no code'}: {message or 'no message'}; "
            f"HTTP {http_status or 'n/a'}, request id {request_id or 'n/a'}")
    if not_whitelisted:
        return (
            f"ACK refused to migrate {cluster_name}: this account is not whitelisted for hot migration "
            f"to ACK Pro ({said}). The cluster was not changed.",
            "submit a ticket asking Alibaba Cloud to add the account to the whitelist of the dedicated → "
            "Pro migration, then run /ackmigrate migrate again.",
        )
    return (f"ACK refused MigrateCluster for {cluster_name} ({said}). The cluster was not changed.",
            "fix the cause ACK names and run /ackmigrate migrate again.")


def task_failed(task_id: str, stage: str, error_code: str, error_message: str) -> str:
    ack_error = ": ".join(part for part in (error_code, error_message) if part) or "no error given"
    return f"ACK task {task_id} failed ({stage}): {ack_error}"


def state_unknown(error: object) -> str:
    """The cluster state, when describing the cluster failed too."""
    return f"unknown ({error})"


def timed_out(hours: float, stage_name: str | None) -> str:
    return (f"the migration did not finish within {hours:g} h (ACKMIGRATE_MIGRATION_TIMEOUT); last seen at "
            f"{stage_name or 'no stage'}. ackmigrate stopped following it; ACK may still be working")


def terway_not_restored(error: object) -> str:
    """Appended to a failure's reason when putting terway back failed."""
    return f" terway could NOT be restored ({error}): restore it by hand from the backup in this thread."
