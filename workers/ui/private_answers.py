"""What one person is told: usage, help, "request taken", answers to their commands, and refusals.

Everything here is shown to one person (an ephemeral message, a command's answer, a direct message).
Anything a user typed is escaped with `workers.mrkdwn.escape`, so a cluster named `<!channel>` is shown,
not obeyed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from slack_sdk.models.blocks import Block

from workers import mrkdwn
from workers.checks.model import PrecheckReport
from workers.domain.decidability import Undecidable
from workers.domain.records import Record, State
from workers.mrkdwn import code, escape, user
from workers.ui import clock
from workers.ui.checklist import blocking, checklist, ordered, sizes, tally
from workers.ui.kit import Message, chunks, context, plural, render, section
from workers.ui.words import readiness, state_words, wording

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

INVITE_HINT = "I am not in this channel: invite me with `/invite @ackmigrate` and try again."


# -- help and usage -----------------------------------------------------------------------------------------


def help_text(topic: str | None = None) -> str:
    if topic is not None:
        return USAGE[topic]
    return HELP_INTRO + "\n\n" + "\n".join(f"• {line}" for line in USAGE.values())


def usage_text(problem: str, subcommand: str | None) -> str:
    """The problem, then the usage of the subcommand it concerns (every usage when none is known)."""
    if subcommand is None:
        return f":warning: {escape(problem)}\n" + "\n".join(f"• {u}" for u in USAGE.values())
    return f":warning: {escape(problem)}\nUsage: {USAGE[subcommand]}"


# -- "taken": the answer inside Slack's 3 seconds -------------------------------------------------------------


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


def cleanup_requested_for(record: Record) -> str:
    return (
        f":hourglass_flowing_sand: Opening a cleanup request for {code(record.cluster_name)}… "
        "it will be posted in this channel for approval."
    )


def approval_checking(record: Record) -> str:
    """Said at once to an approver: the approval counts only once the cluster is re-checked."""
    if record.workflow.recheck_at_approval:
        return (f"Re-running the prechecks for {code(record.cluster_name)}; your approval counts once they "
                "match the request. You will see it in the thread in a moment.")
    return f"Counting your approval of the {wording(record).noun} of {code(record.cluster_name)}…"


# -- answers to commands -------------------------------------------------------------------------------------


def cancelled(record: Record) -> str:
    return f":no_entry_sign: Cancelled the {wording(record).noun} request for {code(record.cluster_name)}."


def precheck_message(report: PrecheckReport, cluster_name: str) -> Message:
    """The private answer to `/ackmigrate precheck`: the checklist and whether a migration could start."""
    checks = ordered(report.checks)
    name = mrkdwn.escape(cluster_name)
    blocked = blocking(report)
    facts = [f"*Prechecks for {name}* ({mrkdwn.code(report.cluster_id)})"]
    if report.current_version:
        facts.append(f"Kubernetes {mrkdwn.escape(report.current_version)}")
    size = sizes(report)
    if size:
        facts.append(size)
    verdict = (f"❌ Not ready: fix the {plural(len(blocked), 'failure')} above, then check again."
               if blocked else "✅ Ready: `/ackmigrate migrate` would ask for approval.")
    blocks: list[Block] = [
        section(" · ".join(facts)),
        section(f"*Prechecks*  {tally(checks)}"),
        *checklist(checks),
        section(verdict),
    ]
    text = f"Prechecks for {name}: {'not ready' if blocked else 'ready'} ({tally(checks)})"
    return Message(text=text, blocks=render(blocks))


def cluster_list(rows: Sequence[dict[str, Any]], *, others: int = 0) -> Message:
    """`/ackmigrate list`: the dedicated clusters, with one word each on whether a migration could start.

    `rows` are `workers.listing.Listing.rows()`; `others`: how many clusters of the region were left out
    because they are not dedicated."""
    shown = [
        f"• *{mrkdwn.escape(str(row.get('name', '')))}*  {mrkdwn.code(str(row.get('cluster_id', '')))}"
        f"  Kubernetes {mrkdwn.escape(str(row.get('version') or '?'))}  ·  "
        f"{mrkdwn.escape(_readiness(row))}"
        for row in rows
    ]
    blocks: list[Block] = [section(f"*Dedicated clusters* ({len(rows)})")]
    blocks.extend(section(text) for text in chunks(shown or ["No dedicated clusters in this region."]))
    footer = ("`ready`: every check that needs no bucket passes; `blocked:` names the checks that fail. "
              "`/ackmigrate precheck CLUSTER --bucket B` also checks the bucket and the master role's grant.")
    if others:
        footer += f" {others} managed or other clusters are not listed."
    blocks.append(context(footer))
    return Message(text=f"{len(rows)} dedicated clusters", blocks=render(blocks))


def _readiness(row: dict[str, Any]) -> str:
    return readiness(str(row.get("readiness") or "unknown"), row.get("blocking") or (), row.get("could_not_run") or (),
                     str(row.get("reason") or ""))


def prechecks_could_not_run(cluster_name: str, error: object) -> str:
    return f"The prechecks for {escape(cluster_name)} could not run: {escape(str(error))}"


def verification_could_not_run(cluster_name: str, error: object) -> str:
    return f"The verification of {escape(cluster_name)} could not run: {escape(str(error))}"


def clusters_not_listed(error: object) -> str:
    return f"Could not list the clusters: {escape(str(error))}"


def no_such_cluster(cluster_ref: str, region: str, names: Sequence[str]) -> str:
    found = ", ".join(escape(name) for name in names) if names else "no clusters at all"
    return f"No cluster named {escape(cluster_ref)} in {escape(region)}; found: {found}."


_NAMES_SHOWN = 10  # an answer names at most this many clusters, then says how many more there are


class FleetCluster(Protocol):
    """A cluster as the fleet's lookup found it (workers.fleet.names.FleetCluster); only what is shown."""

    @property
    def qualified(self) -> str: ...  # alias/name

    @property
    def region(self) -> str: ...

    @property
    def cluster_id(self) -> str: ...


def _fleet_listing(clusters: Sequence[FleetCluster]) -> str:
    """`alias/name` (region, id) for each: what to copy into the next command."""
    shown = ", ".join(f"{code(c.qualified)} ({escape(c.region)}, {escape(c.cluster_id)})"
                      for c in clusters[:_NAMES_SHOWN])
    more = len(clusters) - _NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def ambiguous_cluster(cluster_ref: str, candidates: Sequence[FleetCluster]) -> str:
    """A name held by several clusters of the fleet: each, qualified, so the next command can name one."""
    return (f"{len(candidates)} clusters are named {escape(cluster_ref)}: {_fleet_listing(candidates)}. "
            "Name one as account/name, or by its id.")


def no_such_cluster_in_fleet(cluster_ref: str, existing: Sequence[FleetCluster], *, similar: bool) -> str:
    """Nothing in any configured account or region is called that; `existing` is what is (near misses when
    `similar`, else every cluster there is, bounded)."""
    where = "in the configured accounts and regions"
    if not existing:
        return f"No cluster named {escape(cluster_ref)} {where}; there are no clusters there at all."
    found = "similar names" if similar else "found"
    return f"No cluster named {escape(cluster_ref)} {where}; {found}: {_fleet_listing(existing)}."


def no_such_account(alias: str, aliases: Sequence[str]) -> str:
    return (f"No account {code(alias)} is configured (ACKMIGRATE_ACCOUNTS); accounts: "
            f"{', '.join(code(a) for a in aliases)}.")


def fleet_not_searched(cluster_ref: str, failures: Sequence[tuple[str, str, str]]) -> str:
    """Some (account, region) could not be listed: the name cannot be known to be unique, so nothing is
    picked; `failures` are (alias, region, error)."""
    places = "; ".join(f"{escape(a)}/{escape(r)}: {escape(e)}" for a, r, e in failures[:_NAMES_SHOWN])
    return (f"Could not look for {escape(cluster_ref)} everywhere ({places}), so the name may not be unique: "
            "name the cluster by its id, or as account/name.")


def already_in_flight(existing: Record, where: str | None) -> str:
    """`where` is the thread's permalink, when Slack gave one."""
    place = where or f"request {existing.id} ({existing.state})"
    return f"{escape(existing.cluster_name)} already has a {wording(existing).noun} in flight: {place}"


def not_pro_yet(cluster_name: str) -> str:
    return f"{escape(cluster_name)} is not ACK Pro yet: cleanup removes the old masters after a migration."


def masters_not_listed(cluster_name: str, error: object) -> str:
    return f"Could not list the old masters of {escape(cluster_name)}: {escape(str(error))}"


def no_masters_left(cluster_name: str) -> str:
    return f"{escape(cluster_name)} has no old master nodes left to clean up."


# -- refusals --------------------------------------------------------------------------------------------------


def nothing_to_cancel(cluster: str, active: Record | None) -> str:
    if active is not None:
        return (
            f"{code(cluster)}'s {wording(active).noun} is {state_words(active.state)}: it was approved and "
            "cannot be cancelled any more."
        )
    return f"{code(cluster)} has no request waiting that could be cancelled."


def not_a_finished_migration(record: Record) -> str:
    return f"{code(record.cluster_name)}'s migration has not succeeded, so there are no old masters to clean up."


def request_gone() -> str:
    return "This request no longer exists. Run `/ackmigrate status` to see the current ones."


def wrong_kind(record: Record) -> str:
    return f"This button does not belong to a {wording(record).noun} request."


def already_approved(record: Record) -> str:
    return (f"You already approved this request ({len(record.approvals)} of {record.approvals_required} so far); "
            "it needs approvals from different people.")


def not_decidable(record: Record, why: Undecidable) -> str:
    """Why a request cannot be approved or rejected any more (`workers.domain.decidability` decides)."""
    by, at = (user(record.decided_by) if record.decided_by else "someone"), clock.at(record.decided_at)
    return {
        Undecidable.LAPSED: f"This request expired at {clock.at(record.expires_at)} without a decision. "
                            + _ask_again(record),
        Undecidable.APPROVED: f"This request was already approved by {by} at {at}.",
        Undecidable.REJECTED: f"This request was already rejected by {by} at {at}.",
        Undecidable.CANCELLED: f"This request was cancelled by {by} at {at}.",
        Undecidable.EXPIRED: "This request expired without a decision. " + _ask_again(record),
        Undecidable.BLOCKED: "A blocking precheck failed, so there is nothing to approve. Fix it and ask again.",
        Undecidable.FAILED: "This request failed before it could be decided. " + _ask_again(record),
        Undecidable.CHECKING: "The prechecks are still running; the buttons work once the results are in.",
    }[why]


def _ask_again(record: Record) -> str:
    return f"Run `/ackmigrate {record.workflow.command} {escape(record.cluster_name)} …` to ask again."


def approval_not_counted(record: Record, user_id: str) -> str:
    """Why a click on Approve did not count, once the worker looked (a race the bot could not see)."""
    if user_id in record.approvers:
        return (f"Your approval of {mrkdwn.escape(record.cluster_name)} is already counted "
                f"({len(record.approvals)} of {record.approvals_required}).")
    if record.decided_by and record.decided_by in record.approvers:
        # Approved by someone else: named whether the migration has started yet or not (which of the two the
        # loser of a race sees depends only on which worker took which job first).
        since = "" if record.state is State.APPROVED else f" (it is {state_words(record.state)} now)"
        return (f"This request was already approved by {mrkdwn.user(record.decided_by)}{since}; "
                "your click changed nothing.")
    return f"This request is {state_words(record.state)}; your approval was not counted."


def recheck_failed(error: object) -> str:
    """An approval whose prechecks could not be re-run (the cloud did not answer): not counted."""
    return f"Your approval was not counted: the prechecks could not be re-run ({escape(str(error))}). Try again."


def precheck_changed(record: Record, changes: Sequence[str]) -> str:
    """Told privately to the approver whose click found the change."""
    first = mrkdwn.escape(changes[0]) if changes else "the checks changed"
    return (f"Your approval of {mrkdwn.escape(record.cluster_name)} was not counted: the prechecks re-run "
            f"just now differ from the ones in the request ({first}). The message is refreshed; "
            "review it before approving.")


# -- who may do what (bot.authz decides; these are its words) ----------------------------------------------


def principals(groups: Sequence[str], users: Sequence[str]) -> str:
    """How a set of people is named in messages: `<!subteam^S…>` for groups, `<@U…>` for people."""
    named = [mrkdwn.user(group) for group in sorted(groups)] + [mrkdwn.user(person) for person in sorted(users)]
    return ", ".join(named) if named else "nobody (ACKMIGRATE_APPROVERS is empty)"


def channel_not_allowed(channels: Sequence[str]) -> str:
    allowed = ", ".join(f"<#{channel}>" for channel in sorted(channels))
    return f"ackmigrate takes requests only in {allowed}."


def not_a_requester(requesters: str) -> str:
    """`requesters` as `principals` names them."""
    return f"Only {requesters} can request migrations and cleanups. Ask one of them to run it."


def not_an_approver(record: Record, approvers: str, *, approving: bool) -> str:
    return f"Only {approvers} can {'approve' if approving else 'reject'} {wording(record).noun}s."


def own_request(record: Record) -> str:
    return f"You requested this {wording(record).noun}, so someone else must approve it (two-person rule)."


def foreign_click() -> str:
    return ("That button is not on this request's message in its channel, so it was not taken. "
            "Use the buttons on the request message itself.")


def not_a_canceller(record: Record, approvers: str) -> str:
    return f"Only {user(record.requester)} (who asked) or {approvers} can cancel this request."


def lookup_failed(detail: str) -> str:
    """Slack could not say who is in the approver or requester groups: nothing is done on a guess."""
    return f"I could not check who may do this just now ({escape(detail)}). Nothing was changed; try again."


def no_request_for(cluster: str) -> str:
    return f"There is no migration or cleanup request for {code(cluster)} yet."


def refused_scope(problem: object) -> str:
    """`/ackmigrate plan` named an account or region that is not configured."""
    return f":warning: {escape(str(problem))}"


def something_went_wrong(error_type: str) -> str:
    """A listener failed: the person is told nothing was done, never left with Slack's "dispatch_failed"."""
    return (f":warning: Something went wrong on ackmigrate's side ({error_type}), so your request was not carried "
            "out. Try again in a minute; if it keeps failing, ask the platform team to look at the bot's log.")


# -- what is wrong with a command as typed (bot.grammar finds it; `usage_text` shows it) -------------------


def command_too_long(length: int, limit: int) -> str:
    return f"the command is {length} characters long; ackmigrate reads at most {limit}"


def not_a_command(name: str) -> str:
    return f"`{name}` is not an ackmigrate command"


def unreadable_command(error: object) -> str:
    """An unclosed quote or a trailing backslash."""
    return f"could not read the command: {error}"


def no_such_option(name: str, option: str) -> str:
    return f"`{name}` has no option `{option}`"


def option_twice(flag: str) -> str:
    return f"`--{flag}` is given twice"


def option_takes_no_value(flag: str) -> str:
    return f"`--{flag}` takes no value"


def option_needs_value(flag: str) -> str:
    return f"`--{flag}` needs a value"


def needs_a_cluster(name: str) -> str:
    return f"`{name}` needs a cluster id or name"


def too_many_words(name: str, extra: str) -> str:
    return f"`{name}` got more than it takes: `{extra}`"


MIGRATE_NEEDS_BUCKET = "`migrate` needs `--bucket B`: the OSS bucket the migration writes to"


def not_an_account_alias(account: str) -> str:
    return f"`{account}` is not an account alias (lower-case letters, digits, `-`, `_`)"


def not_a_region(region: str) -> str:
    return f"`{region}` is not a region id like cn-hangzhou"


def no_help_on(topic: str) -> str:
    return f"there is no help on `{topic}`"


def not_a_cluster_ref(ref: str) -> str:
    return (f"`{ref}` is not a cluster id (c + 32 hex digits), a valid cluster name or account/name: use 1–63 "
            "letters, digits, `_` and `-`, starting with a letter or digit")


def not_a_bucket_name(bucket: str) -> str:
    return (f"`{bucket}` is not a valid bucket name: use 3–63 lowercase letters, digits and hyphens, "
            "starting and ending with a letter or digit")


# -- what is wrong with a `wave` or `freeze` command as typed (bot.grammar finds it) -----------------------


def wave_needs_an_action(actions: Sequence[str]) -> str:
    return f"`wave` needs an action: {', '.join(actions)}"


def not_a_wave_action(word: str, actions: Sequence[str]) -> str:
    return f"`wave {word}` is not a wave action: use {', '.join(actions)}"


def wave_action_takes_no_options(action: str, flag: str) -> str:
    return f"`wave {action}` takes no options (`--{flag}`)"


def wave_action_needs_a_name(action: str) -> str:
    return f"`wave {action}` needs the wave's name"


WAVE_NEEDS_CLUSTERS = "`wave create` needs `--clusters P[,P…]`: cluster ids, names, account/name or globs like prod-*"
WAVE_NEEDS_BUCKET_MAP = ("`wave create` needs `--bucket-map REGION=BUCKET[,…]`: the OSS bucket each region's "
                         "migrations write to")
CLUSTERS_NAME_NONE = "`--clusters` names no cluster: give ids, names, account/name or globs like prod-*"


def region_without_bucket(region: str) -> str:
    return f"`--region {region}` has no bucket in `--bucket-map`: add {region}=BUCKET"


def too_many_windows(given: int, limit: int) -> str:
    return f"a wave takes at most {limit} `--window`s (got {given})"


def not_a_wave_name(text: str) -> str:
    return (f"`{text}` is not a wave name: use 1–40 lower-case letters, digits, `-` and `_`, starting with a "
            "letter or digit")


def not_a_cluster_pattern(pattern: str) -> str:
    return (f"`{pattern}` is not a cluster id, name, account/name or glob (letters, digits, `_`, `-`, and `*`, "
            "`?`, `[…]` in a glob)")


def not_a_bucket_pair(part: str) -> str:
    return f"`{part}` in `--bucket-map` is not REGION=BUCKET, like cn-hangzhou=ack-migrate-hz"


def bucket_map_region_unreadable(region: str) -> str:
    return f"`{region}` in `--bucket-map` is not a region id like cn-hangzhou"


def bucket_map_region_twice(region: str) -> str:
    return f"`--bucket-map` names {region} twice"


def bad_option_value(flag: str, error: object) -> str:
    """A window, duration or `--until` the domain could not read; its error says what it expected."""
    return f"`--{flag}`: {error}"


def not_a_whole_number_in(flag: str, value: object, minimum: int, maximum: int) -> str:
    return f"`--{flag}` must be a whole number from {minimum} to {maximum} (got `{value}`)"


FREEZE_UNTIL_NOT_LATER = "`--until` must be later than now (a duration above 0s)"
FREEZE_REASON_EMPTY = "`--reason` is empty: say why starts are frozen, or leave it out"


def freeze_reason_too_long(length: int, limit: int) -> str:
    return f"`--reason` is {length} characters; keep it under {limit}"
