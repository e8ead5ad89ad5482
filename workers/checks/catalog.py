"""Every check's stable id, title, severity and doc link, and the way a result is built from them.

The ids are a contract (the bot, stored reports and operators' scripts match on them), so they live in
one place and nowhere else spells them.
"""

from __future__ import annotations

from dataclasses import dataclass

from workers.checks.model import CheckResult, Outcome, Severity, shorten

_HELP = "https://www.alibabacloud.com/help/en"
MIGRATION_DOC = f"{_HELP}/ack/ack-managed-and-ack-dedicated/user-guide/hot-migration-from-ack-dedicated-clusters-to-ack-pro-clusters"


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    severity: Severity
    doc_url: str


CHECKS: dict[str, CheckSpec] = {
    spec.id: spec
    for spec in (
        CheckSpec("cluster-type", "Dedicated cluster", Severity.FAIL, MIGRATION_DOC),
        CheckSpec("cluster-state", "Cluster is running", Severity.FAIL, MIGRATION_DOC),
        CheckSpec(
            "k8s-version",
            "Kubernetes version",
            Severity.FAIL,
            f"{_HELP}/ack/ack-managed-and-ack-dedicated/user-guide/update-the-kubernetes-version-of-an-ack-cluster",
        ),
        CheckSpec("timezone", "Cluster time zone set", Severity.WARN, MIGRATION_DOC),
        CheckSpec(
            "cloud-assistant",
            "Cloud Assistant on every master",
            Severity.FAIL,
            f"{_HELP}/ecs/user-guide/install-the-cloud-assistant-agent",
        ),
        CheckSpec(
            "slb-spec",
            "API server SLB spec",
            Severity.FAIL,
            f"{_HELP}/slb/classic-load-balancer/user-guide/change-the-specification-of-a-pay-as-you-go-clb-instance",
        ),
        CheckSpec("public-api-server", "API server not behind an internet-facing SLB", Severity.WARN, MIGRATION_DOC),
        CheckSpec("master-pods", "No workloads on masters", Severity.FAIL, MIGRATION_DOC),
        CheckSpec("oss-bucket", "OSS bucket", Severity.FAIL, f"{_HELP}/oss/user-guide/hotlink-protection"),
        CheckSpec(
            "ram-policy",
            "Master RAM role may use the bucket",
            Severity.FAIL,
            f"{_HELP}/ram/user-guide/modify-the-document-and-description-of-a-custom-policy",
        ),
        CheckSpec(
            "ack-migration-check",
            "ACK's own migration check",
            Severity.FAIL,
            f"{_HELP}/ack/ack-managed-and-ack-dedicated/developer-reference/api-cs-2015-12-15-runclustercheck",
        ),
        CheckSpec(
            "whitelist",
            "Account whitelisted for migration",
            Severity.INFO,
            "https://workorder-intl.console.aliyun.com/console.htm",
        ),
        CheckSpec(
            "cgpu",
            "cGPU edition",
            Severity.WARN,
            f"{_HELP}/ack/ack-managed-and-ack-dedicated/user-guide/upgrade-cgpu-basic-edition-to-cgpu-professional-edition-in-a-professional-kubernetes-cluster",
        ),
        CheckSpec("addons", "Add-ons that need steps around the migration", Severity.WARN, MIGRATION_DOC),
        CheckSpec(
            "terway-pod-networking",
            "terway custom pod configuration (PodNetworking)",
            Severity.WARN,
            MIGRATION_DOC,
        ),
        CheckSpec("no-rollback", "No rollback", Severity.INFO, MIGRATION_DOC),
    )
}

CHECK_ORDER: tuple[str, ...] = tuple(CHECKS)


def result(check_id: str, outcome: Outcome, summary: str, fix: str = "") -> CheckResult:
    """A result for a catalogued check; the fix and doc link are dropped when there is nothing to fix
    (a pass, or a check that does not apply)."""
    spec = CHECKS[check_id]
    needs_action = outcome not in (Outcome.PASS, Outcome.SKIP)
    return CheckResult(
        id=spec.id,
        title=spec.title,
        outcome=outcome,
        severity=spec.severity,
        summary=shorten(summary),
        fix=fix if needs_action else "",
        doc_url=spec.doc_url if needs_action else "",
    )


def error_result(check_id: str, reason: str) -> CheckResult:
    """The check could not run; the reason (an API error with its request id) is the summary."""
    return result(
        check_id,
        Outcome.ERROR,
        f"Could not check: {reason}",
        fix="Fix the access problem (credentials, RAM permissions, endpoint) and run the precheck again.",
    )
