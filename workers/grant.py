"""The migrate job's one change to RAM: the OSS statement added to the master role's policy.

Only reached with ACKMIGRATE_GRANT_RAM_POLICY=true and a ram-policy check that found the statement missing
(a Deny, or a statement that cannot be read, fails the check instead: adding an Allow would not help).
Everything that could make RAM refuse is decided before RAM is asked to change anything
(workers.checks.policy.plan_grant): a document over 6,144 bytes raises GrantImpossible with its size;
a policy that already has RAM's 5 versions loses its oldest non-default version first, through
DeletePolicyVersion, so the thread can name the version removed.
"""

from __future__ import annotations

from collections.abc import Callable

from workers.checks.model import PrecheckReport
from workers.checks.policy import plan_grant
from workers.cloud import CloudClients
from workers.cloud.models import PolicyChange
from workers.context import Context
from workers.domain.records import Record
from workers.errors import CloudError
from workers.master_policy import find_master_policy
from workers.ui import thread_replies


def grant_bucket_to_master_role(ctx: Context, clouds: CloudClients, record: Record, report: PrecheckReport) -> str:
    """Add the statement when missing; returns the sentence for the thread (what was done, what removed)."""
    if report.check("ram-policy").outcome == "pass":
        return thread_replies.grant_already_allowed()
    detail = clouds.ack.describe_cluster(record.cluster_id)
    attached = find_master_policy(clouds.ram, detail=detail, resources=clouds.ack.list_resources(record.cluster_id))
    policy_type = attached.policy_type
    current = clouds.ram.get_policy(attached.name, policy_type=policy_type)
    versions = clouds.ram.list_policy_versions(attached.name, policy_type=policy_type)
    plan = plan_grant(document_json=current.document, bucket=str(record.bucket), versions=versions)
    old = plan.remove_version
    if old is not None:
        _audited(ctx, record, "DeletePolicyVersion", attached.name,
                 lambda: clouds.ram.delete_policy_version(attached.name, old.version_id))
    version = _audited(ctx, record, "CreatePolicyVersion", attached.name,
                       lambda: clouds.ram.create_policy_version(attached.name, document=plan.document,
                                                                set_as_default=True))
    return thread_replies.grant_added(str(record.bucket), attached.name, version.version_id,
                                      removed_version=old.version_id if old else None,
                                      removed_created=old.create_date if old else "")


def _audited(
    ctx: Context, record: Record, action: str, policy: str, call: Callable[[], PolicyChange]
) -> PolicyChange:
    """Make one mutating RAM call and append it to the audit log, failed or not."""
    try:
        change = call()
    except CloudError as error:
        ctx.audit.append("cloud_call", record_id=record.id, cluster_id=record.cluster_id, outcome="error",
                         action=action, request_id=error.request_id, cluster_name=record.cluster_name,
                         policy=policy, error=str(error))
        raise
    ctx.audit.append("cloud_call", record_id=record.id, cluster_id=record.cluster_id, outcome="ok", action=action,
                     request_id=change.request_id, cluster_name=record.cluster_name, policy=policy,
                     version=change.version_id)
    return change
