"""The bot's private words: usage, help, "request taken", refusals of decided requests — kept as data.

Everything here is shown to one person (an ephemeral message or a command's answer). Anything a user
typed is escaped with `workers.mrkdwn.escape`, so a cluster named `<!channel>` is shown, not obeyed.
"""

from __future__ import annotations

import time

from bot.grammar import UsageError
from workers.domain.records import Kind, Record, State
from workers.mrkdwn import code, escape, user

USAGE: dict[str, str] = {
    "help": "`/ackmigrate help [SUBCOMMAND]` — what ackmigrate can do, or how to use one subcommand.",
    "precheck": "`/ackmigrate precheck CLUSTER [--bucket B]` — run every migration prerequisite check and "
    "show the results to you only. CLUSTER is the cluster id (`c…`) or name; B the OSS bucket to check.",
    "migrate": "`/ackmigrate migrate CLUSTER --bucket B` — run the prechecks and post a migration request "
    "in this channel for an approver to approve. B is the OSS bucket ACK backs the control plane up to.",
    "status": "`/ackmigrate status [CLUSTER]` — migrations in flight and recent results, or one cluster's.",
    "cancel": "`/ackmigrate cancel CLUSTER` — withdraw the cluster's request before it is approved "
    "(the requester or an approver).",
    "cleanup": "`/ackmigrate cleanup CLUSTER [--release-ecs]` — after a migration, ask to delete the old "
    "master nodes from Kubernetes; with `--release-ecs` also release their ECS instances.",
    "list": "`/ackmigrate list` — the region's dedicated clusters and whether each is ready to migrate.",
    "verify": "`/ackmigrate verify CLUSTER` — check that a migrated cluster works (API server address, nodes, "
    "kube-system, a canary pod) and show the result to you only.",
    "plan": "`/ackmigrate plan [--account A] [--region R]` — the fleet's readiness: every dedicated cluster in "
            "the configured accounts and regions prechecked, blockers ranked, quotas, a chart and the full table.",
}

HELP_INTRO = (
    "*ackmigrate* moves ACK dedicated clusters to ACK Pro, with an approval in this channel.\n"
    "A migration cannot be rolled back: every request is prechecked and needs an approver's click.\n"
    "Type `/ackmigrate` alone for a form that picks the cluster and bucket for you."
)


def help_text(topic: str | None = None) -> str:
    if topic is not None:
        return USAGE[topic]
    return HELP_INTRO + "\n\n" + "\n".join(f"• {line}" for line in USAGE.values())


def usage_text(error: UsageError) -> str:
    """The problem, then the usage of the subcommand it concerns (every usage when none is known)."""
    if error.subcommand is None:
        return f":warning: {escape(error.problem)}\n" + "\n".join(f"• {u}" for u in USAGE.values())
    return f":warning: {escape(error.problem)}\nUsage: {USAGE[error.subcommand]}"


def verify_taken(cluster: str) -> str:
    return (f":hourglass_flowing_sand: Verifying {code(cluster)} (a canary pod takes up to a minute or two)… "
            "the result will come to you here.")


def precheck_taken(cluster: str) -> str:
    return f":hourglass_flowing_sand: Running prechecks for {code(cluster)}… the results will come to you here."


def migrate_taken(cluster: str, bucket: str) -> str:
    return (
        f":hourglass_flowing_sand: Running prechecks for {code(cluster)} with bucket {code(bucket)}… "
        "the migration request will be posted in this channel for approval."
    )


def cleanup_taken(cluster: str, release_ecs: bool) -> str:
    what = "delete the old master nodes and release their ECS instances" if release_ecs else (
        "delete the old master nodes"
    )
    return (
        f":hourglass_flowing_sand: Checking {code(cluster)} before asking to {what}… "
        "the cleanup request will be posted in this channel for approval."
    )


def plan_taken(scope: str) -> str:
    return (f":hourglass_flowing_sand: Planning the fleet ({escape(scope)}): the readiness report will be posted "
            "in this channel, with its progress shown as it goes.")


def list_taken() -> str:
    return ":hourglass_flowing_sand: Listing the region's dedicated clusters… the list will come to you here."


def cancelled(record: Record) -> str:
    return f":no_entry_sign: Cancelled the {record.kind} request for {code(record.cluster_name)}."


def nothing_to_cancel(cluster: str, active: Record | None) -> str:
    if active is not None:
        return (
            f"{code(cluster)}'s {active.kind} is {active.state.replace('_', ' ')}: it was approved and "
            "cannot be cancelled any more."
        )
    return f"{code(cluster)} has no request waiting that could be cancelled."


def cleanup_requested_for(record: Record) -> str:
    return (
        f":hourglass_flowing_sand: Opening a cleanup request for {code(record.cluster_name)}… "
        "it will be posted in this channel for approval."
    )


def not_a_finished_migration(record: Record) -> str:
    return f"{code(record.cluster_name)}'s migration has not succeeded, so there are no old masters to clean up."


def request_gone() -> str:
    return "This request no longer exists. Run `/ackmigrate status` to see the current ones."


def wrong_kind(record: Record) -> str:
    return f"This button does not belong to a {record.kind} request."


def already_approved(record: Record) -> str:
    return (f"You already approved this request ({len(record.approvals)} of {record.approvals_required} so far); "
            "it needs approvals from different people.")


def approval_checking(record: Record) -> str:
    """Said at once to an approver: the approval counts only once the cluster is re-checked."""
    if record.kind is Kind.MIGRATION:
        return (f"Re-running the prechecks for {code(record.cluster_name)}; your approval counts once they "
                "match the request. You will see it in the thread in a moment.")
    return f"Counting your approval of the cleanup of {code(record.cluster_name)}…"


def rejected(record: Record) -> str:
    return f"Rejected the {record.kind} request for {code(record.cluster_name)}."


def clock(epoch: float | None) -> str:
    """A time each reader sees in their own time zone (Slack's date token), UTC in the fallback."""
    if epoch is None:
        return "an unknown time"
    fallback = time.strftime("%H:%M UTC", time.gmtime(epoch))
    return f"<!date^{int(epoch)}^{{time}}|{fallback}>"


def not_decidable(record: Record, now: float) -> str | None:
    """Why a request cannot be approved or rejected any more, or None while it can."""
    by, at = (user(record.decided_by) if record.decided_by else "someone"), clock(record.decided_at)
    state = record.state
    if state is State.AWAITING_APPROVAL:
        if record.expires_at is not None and record.expires_at <= now:
            return f"This request expired at {clock(record.expires_at)} without a decision. " + _ask_again(record)
        return None
    if state in (State.APPROVED, State.MIGRATING, State.RUNNING, State.SUCCEEDED, State.DONE) or (
        state is State.FAILED and record.decided_by
    ):
        return f"This request was already approved by {by} at {at}."
    if state is State.REJECTED:
        return f"This request was already rejected by {by} at {at}."
    if state is State.CANCELLED:
        return f"This request was cancelled by {by} at {at}."
    if state is State.EXPIRED:
        return "This request expired without a decision. " + _ask_again(record)
    if state is State.BLOCKED:
        return "A blocking precheck failed, so there is nothing to approve. Fix it and ask again."
    if state is State.FAILED:
        return "This request failed before it could be decided. " + _ask_again(record)
    return "The prechecks are still running; the buttons work once the results are in."


def _ask_again(record: Record) -> str:
    command = "migrate" if record.kind is Kind.MIGRATION else "cleanup"
    return f"Run `/ackmigrate {command} {escape(record.cluster_name)} …` to ask again."
