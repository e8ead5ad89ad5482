"""Which accounts and regions a fleet command covers: `--account A` and `--region R` narrow what is
configured (ACKMIGRATE_ACCOUNTS, ACKMIGRATE_REGIONS); naming something not configured is refused with the
list of what is. Pure, so the bot can refuse it before anything is queued."""

from __future__ import annotations

from dataclasses import dataclass

from workers.accounts import Account


class ScopeError(ValueError):
    """`--account`/`--region` names something not configured; str() lists what is."""


@dataclass(frozen=True)
class Scope:
    account: str | None = None
    region: str | None = None

    def describe(self) -> str:
        parts = [f"account {self.account}" if self.account else "every account",
                 f"region {self.region}" if self.region else "every region"]
        return ", ".join(parts)


def places(accounts: tuple[Account, ...], scope: Scope) -> list[tuple[Account, str]]:
    """Every (account, region) the scope covers, in the configured order."""
    chosen = [a for a in accounts if scope.account in (None, a.alias)]
    if not chosen:
        raise ScopeError(f"no account {scope.account!r} is configured; accounts: "
                         f"{', '.join(a.alias for a in accounts)}")
    covered = [(a, r) for a in chosen for r in a.regions if scope.region in (None, r)]
    if not covered:
        regions = sorted({r for a in chosen for r in a.regions})
        raise ScopeError(f"region {scope.region!r} is not configured for {scope.describe().split(',')[0]}; "
                         f"regions: {', '.join(regions)}")
    return covered
