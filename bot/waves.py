"""Deciding about waves and the freeze: who may, checked here; what happens, by `workers.lifecycle`.

The same rules as a migration's decisions (bot.approvals): approver membership is asked of Slack afresh at
the moment of a decision; an Approve click counts only on the wave's own message in its own (allowed)
channel; the requester cannot approve their own wave under the two-person rule; approvals are M of N by
the WaveStore's compare-and-set, and every decision is audited once by the lifecycle. Who may do what:

- `wave create`, `wave pause`, `freeze`: any authorised requester (stopping is always allowed to them);
- Approve / Reject, `wave resume`, `wave cancel`, `unfreeze`: an approver.

Nothing here talks to Slack: callers show `WaveOutcome.refusal.text` (or `.text`) privately. Every
channel-visible consequence comes from the wave's tick (`workers.wave_engine` → `workers.wave_news`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.authz import Click, Policy, Refusal, RefusalCode, is_member, may_request, may_use_channel
from bot.grammar import Freeze, WaveCreate
from bot.limits import REASON_MAX_LENGTH
from bot.metrics import REFUSALS
from workers.domain.waves import PauseCause, PauseReason, Wave, WaveRefused, WaveState
from workers.domain.workflows import WAVE
from workers.freeze_store import FreezeStore, NotFrozen
from workers.lifecycle import Lifecycle
from workers.ui import wave_answers
from workers.ui.kit import Message
from workers.wave_store import WaveNotFound, WaveStore

Members = Callable[[], frozenset[str]]


@dataclass(frozen=True)
class WaveOutcome:
    """What to tell the person privately: `text` when it was done, `refusal` when not (already audited)."""

    text: str = ""
    refusal: Refusal | None = None
    wave: Wave | None = None
    answer: Message | None = None  # a whole private answer (a wave's status), when it is more than a line

    @property
    def allowed(self) -> bool:
        return self.refusal is None


class WaveDecisions:
    def __init__(
        self, *, lifecycle: Lifecycle, waves: WaveStore, freezes: FreezeStore, policy: Policy,
        approver_members: Members, requester_members: Members = frozenset, clock: Callable[[], float] = time.time,
    ) -> None:
        self.lifecycle = lifecycle
        self.waves = waves
        self.freezes = freezes
        self.policy = policy
        self.approver_members = approver_members
        self.requester_members = requester_members
        self.clock = clock

    # -- commands -----------------------------------------------------------------------------------

    def create(self, parsed: WaveCreate, *, user: str, channel: str, command: str, response_url: str | None,
               ) -> WaveOutcome:
        refusal = self._requester(user, channel) or self._name_taken(parsed.name)
        if refusal is not None:
            return self._refuse(refusal, user=user, action="wave_create", wave=parsed.name, command=command)
        self.lifecycle.request_wave(
            actor=user, channel=channel, name=parsed.name, command=command, patterns=list(parsed.clusters),
            bucket_map=dict(parsed.bucket_map), account=parsed.account, region=parsed.region,
            max_parallel=parsed.max_parallel, windows=list(parsed.windows), canary=parsed.canary,
            soak_s=parsed.soak.total_seconds(), failure_budget=parsed.failure_budget, response_url=response_url)
        return WaveOutcome(wave_answers.create_taken(parsed.name, len(parsed.clusters)))

    def pause(self, name: str, *, user: str, channel: str) -> WaveOutcome:
        refusal = self._requester(user, channel)
        if refusal is not None:
            return self._refuse(refusal, user=user, action="wave_pause", wave=name)
        return self._change(name, user=user, action="wave_pause", done=wave_answers.paused, change=lambda: (
            self.lifecycle.pause_wave(name, PauseReason(cause=PauseCause.OPERATOR, by=user))))

    def resume(self, name: str, *, user: str, channel: str) -> WaveOutcome:
        refusal = may_use_channel(self.policy, channel) or self._approver(user, "resume a wave")
        if refusal is not None:
            return self._refuse(refusal, user=user, action="wave_resume", wave=name)
        return self._change(name, user=user, action="wave_resume", done=wave_answers.resumed,
                            change=lambda: self.lifecycle.resume_wave(name, user=user))

    def cancel(self, name: str, *, user: str, channel: str) -> WaveOutcome:
        refusal = may_use_channel(self.policy, channel) or self._approver(user, "cancel a wave")
        if refusal is not None:
            return self._refuse(refusal, user=user, action="wave_cancel", wave=name)
        return self._change(name, user=user, action="wave_cancel", done=wave_answers.cancelled,
                            change=lambda: self.lifecycle.cancel_wave(name, user=user))

    def status(self, name: str | None, *, expected_migration_s: float) -> WaveOutcome:
        if name is None:
            return WaveOutcome(answer=wave_answers.overview(self.waves.all()))
        wave = self.waves.find(name)
        if wave is None:
            return WaveOutcome(wave_answers.no_such_wave(name))
        return WaveOutcome(answer=wave_answers.status(wave, self.freezes.current(), now=self.clock(),
                                                      expected_migration_s=expected_migration_s), wave=wave)

    def freeze(self, parsed: Freeze, *, user: str, channel: str) -> WaveOutcome:
        refusal = self._requester(user, channel)
        if refusal is not None:
            return self._refuse(refusal, user=user, action="freeze")
        now = self.clock()
        until = None if parsed.until is None else parsed.until.resolve(_moment(now))
        try:
            frozen = self.freezes.freeze(by=user, reason=parsed.reason or "", until=until)  # audited with it
        except ValueError as error:
            return self._refuse(Refusal(RefusalCode.ALREADY_DECIDED, f":warning: {error}"), user=user, action="freeze")
        self.lifecycle.queues.freeze_changed(freeze=frozen.to_json(), lifted=False, by=user, channel=channel)
        return WaveOutcome(wave_answers.frozen(frozen))

    def unfreeze(self, *, user: str, channel: str) -> WaveOutcome:
        refusal = may_use_channel(self.policy, channel) or self._approver(
            user, "unfreeze", text=wave_answers.unfreeze_needs_approver(self.policy.approvers.label()))
        if refusal is not None:
            return self._refuse(refusal, user=user, action="unfreeze")
        try:
            lifted = self.freezes.unfreeze(by=user)  # audited with it
        except NotFrozen:
            return self._refuse(Refusal(RefusalCode.NOTHING_TO_CANCEL, wave_answers.not_frozen()), user=user,
                                action="unfreeze")
        self.lifecycle.queues.freeze_changed(freeze=lifted.freeze.to_json(), lifted=True, by=user, channel=channel)
        return WaveOutcome(wave_answers.unfrozen(lifted.freeze))

    # -- buttons ------------------------------------------------------------------------------------

    def approve(self, name: str, *, user: str, click: Click) -> WaveOutcome:
        """Count the approval now (no cloud re-check: each cluster is prechecked just before its start)."""
        wave = self.waves.find(name)
        refusal = self._decidable(wave, name, user=user, click=click, approving=True)
        if refusal is not None:
            return self._refuse(refusal, user=user, action="wave_approve", wave=name)
        try:
            saved = self.lifecycle.approve_wave(name, user=user, at=self.clock(),
                                                two_person_rule=self.policy.two_person_rule)
        except WaveRefused as refused:
            return self._refuse(Refusal(RefusalCode.ALREADY_DECIDED, f":warning: {refused}"), user=user,
                                action="wave_approve", wave=name)
        return WaveOutcome(wave_answers.approval_counted(saved), wave=saved)

    def check_rejectable(self, name: str, *, user: str, click: Click) -> WaveOutcome:
        """May `user` reject this wave right now? Reject asks before it opens its reason dialog; the wave
        itself is rejected when the dialog is submitted (`reject`)."""
        wave = self.waves.find(name)
        refusal = self._decidable(wave, name, user=user, click=click, approving=False)
        if refusal is not None:
            return self._refuse(refusal, user=user, action="wave_reject", wave=name)
        return WaveOutcome(wave=wave)

    def reject(self, name: str, *, user: str, reason: str | None) -> WaveOutcome:
        """One rejection ends a wave request, however many approvals it has; `reason` is what the approver
        typed in the dialog. Who may decide is asked again: the dialog may have stayed open while the wave was
        approved, or while the approver left the group. The reason's length is checked here too, so nothing
        longer than REASON_MAX_LENGTH is stored or posted, whoever calls this."""
        if reason is not None and len(reason) > REASON_MAX_LENGTH:
            raise ValueError(f"a rejection's reason is at most {REASON_MAX_LENGTH} characters (got {len(reason)})")
        wave = self.waves.find(name)
        refusal = self._decidable(wave, name, user=user, click=None, approving=False)
        if refusal is not None:
            return self._refuse(refusal, user=user, action="wave_reject", wave=name)
        try:
            saved = self.lifecycle.reject_wave(name, user=user, reason=reason)
        except WaveRefused:  # decided between our read and the store's compare-and-set
            current = self.waves.get(name)
            return self._refuse(Refusal(RefusalCode.ALREADY_DECIDED, wave_answers.not_rejectable(current)),
                                user=user, action="wave_reject", wave=name)
        return WaveOutcome(wave_answers.rejected(saved), wave=saved)

    # -- rules --------------------------------------------------------------------------------------

    def _decidable(self, wave: Wave | None, name: str, *, user: str, click: Click | None, approving: bool,
                   ) -> Refusal | None:
        """None when `user` may decide now; `click` is None only for the reject dialog's submission, whose
        dialog was opened from a click that passed this check."""
        if wave is None:
            return Refusal(RefusalCode.NOT_FOUND, wave_answers.no_such_wave(name))
        if click is not None and (
                click.channel != wave.channel or not click.message_ts or click.message_ts != wave.message_ts or (
                may_use_channel(self.policy, click.channel) is not None)):
            return Refusal(RefusalCode.FOREIGN_CLICK, wave_answers.foreign_click())
        verb = "approve" if approving else "reject"
        not_approver = self._approver(user, f"{verb} a wave")
        if not_approver is not None:
            return not_approver
        if not approving and wave.state is not WaveState.AWAITING_APPROVAL:
            return Refusal(RefusalCode.ALREADY_DECIDED, wave_answers.not_rejectable(wave))
        if approving and self.policy.two_person_rule and user == wave.requester:
            return Refusal(RefusalCode.TWO_PERSON_RULE, wave_answers.own_wave(wave))
        if approving and user in wave.approvers:
            return Refusal(RefusalCode.ALREADY_APPROVED, wave_answers.already_approved(wave))
        return None

    def _requester(self, user: str, channel: str) -> Refusal | None:
        return may_request(self.policy, user=user, channel=channel, requester_group_members=self.requester_members())

    def _approver(self, user: str, what: str, *, text: str | None = None) -> Refusal | None:
        members = self.approver_members() if self.policy.approvers.groups else frozenset()  # fresh: a decision
        if is_member(user, self.policy.approvers, members):
            return None
        return Refusal(RefusalCode.NOT_APPROVER, text or f"Only {self.policy.approvers.label()} can {what}.")

    def _name_taken(self, name: str) -> Refusal | None:
        if self.waves.find(name) is None:
            return None
        return Refusal(RefusalCode.ALREADY_DECIDED, wave_answers.name_taken(name))

    def _change(self, name: str, *, user: str, action: str, done: Callable[[Wave], str],
                change: Callable[[], Wave]) -> WaveOutcome:
        try:
            saved = change()
        except WaveNotFound:
            return self._refuse(Refusal(RefusalCode.NOT_FOUND, wave_answers.no_such_wave(name)), user=user,
                                action=action, wave=name)
        except WaveRefused as refused:
            return self._refuse(Refusal(RefusalCode.ALREADY_DECIDED, f":warning: {refused}"), user=user,
                                action=action, wave=name)
        return WaveOutcome(done(saved), wave=saved)

    def _refuse(self, refusal: Refusal, *, user: str, action: str, wave: str | None = None,
                command: str | None = None) -> WaveOutcome:
        """Counted and audited once (`refused`, with the wave's name as what was named), nothing changed."""
        REFUSALS.labels(str(refusal.code)).inc()
        self.lifecycle.refused(actor=user, action=action, reason=str(refusal.code), cluster=wave,
                               command=command or (f"{WAVE.command} {action.removeprefix('wave_')} {wave}"
                                                   if wave else action))
        return WaveOutcome(refusal=refusal)


def _moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
