"""Wildcard resource patterns (`*` any run of characters, `?` one character) asked about *sets* of names.

A resource name is `acs:<service>:<region>:<account>:<relative id>`. A pattern that spells all five parts
is matched part by part, so its wildcards stay within their part (`acs:oss:*:*:b2/*` never reaches a
`b1/…` object through a colon in an object key), as every example in RAM's policy-element docs reads; a
shorter pattern (`acs:oss:*`, `*`) lets its last part cover the rest of the name.

The ram-policy check does not ask "does this pattern match this name" but "does it match every object of
the bucket" (an Allow that counts) and "could it match any of them" (a Deny that counts). Both are answered
exactly with the pattern read as a small automaton: a state is how much of the pattern has been matched.
The account in an OSS resource may be unknown; it is then a run of digits (account ids are numeric) that
must be covered whatever it is, or that may be anything.
"""

from __future__ import annotations

from dataclasses import dataclass

_DIGITS = frozenset("0123456789")
_PARTS = 5  # acs, service, region, account, relative id


@dataclass(frozen=True)
class ResourcePattern:
    """One Resource/NotResource entry, asked about every object under `<bucket>/` of one account and region."""

    text: str

    def covers_all(self, segments: tuple[str, str, str, str | None], tail: str) -> bool:
        """Every `acs:service:region:account:` + `tail` + anything matches. `segments`: acs, service, region,
        account (None: unknown, then every account must match)."""
        return self._judge(segments, tail, every=True)

    def could_match(self, segments: tuple[str, str, str, str | None], tail: str) -> bool:
        """Some such name matches (for some account, when it is unknown)."""
        return self._judge(segments, tail, every=False)

    def _judge(self, segments: tuple[str, str, str, str | None], tail: str, *, every: bool) -> bool:
        parts = self.text.split(":", _PARTS - 1)
        last = len(parts) - 1
        for index, part in enumerate(parts[:last]):
            value = segments[index]
            glob = GlobPattern(part)
            if value is None:
                if not glob.matches_any_account(every=every):
                    return False
            elif not glob.matches(value):
                return False
        # The pattern's last part covers the rest of the name, from its own position on.
        glob = GlobPattern(parts[last])
        judge = glob.covers_all if every else glob.could_match
        if last == _PARTS - 1:
            return judge("", "", tail)
        fixed = [str(value) for value in segments[last:3]]
        head = ":".join(fixed) + ":" if fixed else ""
        return judge(head, segments[3], ":" + tail)


@dataclass(frozen=True)
class GlobPattern:
    text: str

    def matches(self, text: str) -> bool:
        return len(self.text) in self._consume(self._start(), text)

    def matches_any_account(self, *, every: bool) -> bool:
        """As a whole account part: `every` account id (only stars), or some (digits, `?`, `*`)."""
        if every:
            return bool(self.text) and set(self.text) == {"*"}
        return bool(self.text) and set(self.text) <= _DIGITS | {"*", "?"}

    def covers_all(self, head: str, account: str | None, tail: str) -> bool:
        """Every name `head + account + tail + anything` matches (every account too, when it is None)."""
        states = self._consume(self._start(), head)
        states = self._consume(states, account) if account is not None else self._any_account(states, every=True)
        states = self._consume(states, tail)
        return any(all(ch == "*" for ch in self.text[i:]) for i in states)

    def could_match(self, head: str, account: str | None, tail: str) -> bool:
        """Some name `head + account + tail + something` matches (for some account, when it is None)."""
        states = self._consume(self._start(), head)
        states = self._consume(states, account) if account is not None else self._any_account(states, every=False)
        states = self._consume(states, tail)
        # Whatever is left of the pattern can match some object key: literals are spelt, `?` and `*` absorb.
        return bool(states)

    # --- the automaton ---------------------------------------------------------------------------------

    def _close(self, states: set[int]) -> set[int]:
        """A `*` may match nothing, so reaching it also reaches what follows it."""
        closed = set(states)
        for i in sorted(states):
            j = i
            while j < len(self.text) and self.text[j] == "*":
                j += 1
                closed.add(j)
        return closed

    def _start(self) -> set[int]:
        return self._close({0})

    def _step(self, states: set[int], ch: str) -> set[int]:
        after: set[int] = set()
        for i in states:
            if i >= len(self.text):
                continue
            token = self.text[i]
            if token == "*":
                after.add(i)
            elif token == "?" or token == ch:
                after.add(i + 1)
        return self._close(after)

    def _consume(self, states: set[int], text: str) -> set[int]:
        for ch in text:
            states = self._step(states, ch)
            if not states:
                break
        return states

    def _any_account(self, states: set[int], *, every: bool) -> set[int]:
        """An unknown, non-empty run of digits. `every`: only a `*` is sure to swallow whatever it is.
        Otherwise: anything a digit run could reach (a `*`, `?` or digit at each step)."""
        if every:
            return self._close({i for i in states if i < len(self.text) and self.text[i] == "*"})
        reached: set[int] = set()
        frontier = states
        while frontier:
            step = set()
            for i in frontier:
                if i < len(self.text) and self.text[i] == "*":
                    step.add(i)
                elif i < len(self.text) and (self.text[i] == "?" or self.text[i] in _DIGITS):
                    step.add(i + 1)
            step = self._close(step)
            frontier = step - reached
            reached |= step
        return reached
