"""Post-migration verification: proof that the workloads' cluster works, not only that ACK's task ended.

ACK calling the task a success and the cluster reading as ACK Pro says the control plane moved. What the
people who run workloads on it need to know is whether *their* cluster works. After the task succeeds
(and at any time through `verify`) this module checks, through the cluster's own kubeconfig:

- `api-endpoint`: the API server answers `/readyz` at the same address as before the migration (the
  hot-migration doc promises the SLB address does not change; clients and kubeconfigs rely on it);
- `nodes`: every node except the old masters is Ready; the old masters are named, expected NotReady or
  Unknown (the doc: they stay in the cluster, out of service, until removed);
- `kube-system`: every kube-system Deployment that was available before MigrateCluster (the baseline,
  stored in the record) is available now; without a baseline, CoreDNS at least;
- `canary`: a pause pod in a namespace of its own is scheduled and reaches Running on a worker within
  `ACKMIGRATE_CANARY_TIMEOUT`, then is deleted with its namespace.

The follow-ups the doc puts after a migration (cGPU, ALB Ingress, virtual node, terway) are listed as
done or still to do; they never fail a verification. Everything here is Slack-free: it returns a
`VerificationReport` (workers.domain.results) of `CheckResult`s, which `workers.ui.thread_replies` renders like the precheck's checklist.
A check that could not run is an `error`, never a pass.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from workers.checks.catalog import MIGRATION_DOC
from workers.checks.model import CheckResult, Outcome, PrecheckReport, Severity
from workers.checks.workload_checks import find_addons, find_cgpu
from workers.cloud.kube import KubeClient
from workers.cloud.models import KubeNode, Workload
from workers.domain.results import Baseline, VerificationReport
from workers.errors import CloudError, Conflict, NotFound

log = logging.getLogger(__name__)

CANARY_NAMESPACE_PREFIX = "ackmigrate-canary-"
CANARY_POD = "canary"
CANARY_LABELS = {"app.kubernetes.io/managed-by": "ackmigrate", "app.kubernetes.io/name": "ackmigrate-canary"}
CANARY_POLL_S = 1.0
PAUSE_TAG = "3.9"
"""ACK's own pause image, the one its node images pre-pull: `registry-<region>-vpc.ack.aliyuncs.com/acs/pause:3.9`
(ACK doc "Use Alicloud Image Builder to create a custom OS image",
https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/create-custom-images).
The VPC registry endpoint is the one nodes reach without internet access."""

MASTER_ROLE_LABELS = ("node-role.kubernetes.io/master", "node-role.kubernetes.io/control-plane")
BASELINE_FALLBACK = ("coredns",)
CGPU_DOC = (
    "https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/"
    "upgrade-cgpu-basic-edition-to-cgpu-professional-edition-in-a-professional-kubernetes-cluster"
)

_TITLES = {
    "api-endpoint": "API server at the same address",
    "nodes": "Nodes Ready",
    "kube-system": "kube-system Deployments available",
    "canary": "Canary pod runs",
}


def default_canary_image(region: str) -> str:
    return f"registry-{region}-vpc.ack.aliyuncs.com/acs/pause:{PAUSE_TAG}"


@dataclass(frozen=True)
class CanarySettings:
    image: str
    timeout_s: float
    namespace: str  # derived from the request id in the runbook, so a rerun after a crash finds its own


def take_baseline(kube: KubeClient) -> Baseline:
    """Read before MigrateCluster: where the API server answers and what in kube-system is available."""
    available = tuple(sorted(d.name for d in kube.deployment_availability("kube-system") if d.available))
    return Baseline(api_endpoint=kube.server, available_deployments=available, taken_at=time.time())


def canary_namespace(suffix: str | None = None) -> str:
    """`ackmigrate-canary-<request id>` (or a random suffix for an ad-hoc verify); a DNS-1123 label."""
    tail = (suffix or secrets.token_hex(4)).lower().replace("_", "-")
    return (CANARY_NAMESPACE_PREFIX + tail)[:63].rstrip("-")


def verify_cluster(
    kube: KubeClient,
    *,
    cluster_id: str,
    cluster_name: str,
    baseline: Baseline | None,
    old_masters: Collection[str],
    precheck: PrecheckReport | None,
    canary: CanarySettings,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> VerificationReport:
    """Run every check; each one that cannot run is reported as an error, and the others still run."""
    nodes: list[KubeNode] = []

    def node_check() -> CheckResult:
        nodes.extend(kube.list_nodes())
        return judge_nodes(nodes, old_masters)

    checks = [
        _guarded("api-endpoint", lambda: judge_endpoint(kube.server, baseline, kube.readyz())),
        _guarded("nodes", node_check),
        _guarded("kube-system", lambda: judge_deployments(kube.deployment_availability("kube-system"), baseline)),
        _guarded("canary", lambda: run_canary(kube, canary, masters=_masters(nodes, old_masters),
                                              sleep=sleep, clock=clock)),
    ]
    try:
        workloads = kube.list_deployments() + kube.list_daemonsets()
        follow_ups = judge_follow_ups(workloads, precheck)
    except CloudError as error:
        follow_ups = [_result("follow-ups", "Follow-ups", Outcome.ERROR,
                              f"could not list the workloads to tell what is left to do: {error}")]
    return VerificationReport(cluster_id=cluster_id, cluster_name=cluster_name, checked_at=time.time(),
                              checks=tuple(checks), follow_ups=tuple(follow_ups))


def unreachable_report(*, cluster_id: str, cluster_name: str, error: CloudError) -> VerificationReport:
    """No kubeconfig, no checks: each is an error (never a pass), with ACK's own words."""
    checks = tuple(_check(check_id, Outcome.ERROR, f"could not be checked: no kubeconfig from ACK ({error})",
                          "Check the cluster in the ACK console, then run `ackmigrate verify` again.")
                   for check_id in _TITLES)
    return VerificationReport(cluster_id=cluster_id, cluster_name=cluster_name, checked_at=time.time(),
                              checks=checks)


# --- the judgements (pure) -------------------------------------------------------------------------------


def judge_endpoint(server: str, baseline: Baseline | None, readyz: str) -> CheckResult:
    answered = readyz.lower().startswith("ok")
    if baseline is not None and baseline.api_endpoint and baseline.api_endpoint != server:
        return _check("api-endpoint", Outcome.FAIL,
                      f"the kubeconfig now points at {server}, not {baseline.api_endpoint} as before the migration",
                      "Update every kubeconfig and client that names the old address, and check the API server's "
                      "SLB in the ACK console (Cluster information → Basic information).")
    if not answered:
        return _check("api-endpoint", Outcome.FAIL, f"{server}/readyz answered {readyz[:80]!r}, not ok",
                      "Check the API server in the ACK console; it may still be switching over.")
    same = "the same address as before the migration" if baseline else "no address was recorded before"
    return _check("api-endpoint", Outcome.PASS, f"{server} answers /readyz ok ({same}).")


def judge_nodes(nodes: Sequence[KubeNode], old_masters: Collection[str]) -> CheckResult:
    masters = _masters(nodes, old_masters)
    workers = [n for n in nodes if n.name not in masters]
    not_ready = [n for n in workers if n.ready != "True"]
    still_ready = sorted(n.name for n in nodes if n.name in masters and n.ready == "True")
    master_words = (f" Old masters, expected NotReady/Unknown: {', '.join(sorted(masters))}." if masters else "")
    if not workers:
        return _check("nodes", Outcome.FAIL, "the cluster has no worker nodes: nothing can run." + master_words,
                      "Add a node pool in the ACK console.")
    if not_ready:
        listed = ", ".join(f"{n.name} ({_ready_word(n.ready)})" for n in not_ready)
        return _check("nodes", Outcome.FAIL, f"{len(not_ready)} of {len(workers)} workers not Ready: {listed}."
                      + master_words,
                      "Check those nodes' kubelet and network (`kubectl describe node`); they must reach the new "
                      "API server at the same address.")
    summary = f"all {len(workers)} workers Ready.{master_words}"
    if still_ready:
        summary += f" Still Ready although expected out of service: {', '.join(still_ready)}."
        return _check("nodes", Outcome.WARN, summary)
    return _check("nodes", Outcome.PASS, summary)


def judge_deployments(current: Sequence[Any], baseline: Baseline | None) -> CheckResult:
    expected = baseline.available_deployments if baseline is not None else BASELINE_FALLBACK
    available = {d.name for d in current if d.available}
    missing = [name for name in expected if name not in available]
    basis = "available before the migration" if baseline is not None else "expected (no baseline was recorded)"
    if missing:
        present = {d.name: d for d in current}
        listed = ", ".join(
            f"{name} ({present[name].ready_replicas}/{present[name].replicas} ready)" if name in present
            else f"{name} (gone)" for name in missing
        )
        return _check("kube-system", Outcome.FAIL, f"{basis} but not available now: {listed}.",
                      "`kubectl -n kube-system describe deployment NAME` and its pods' events; CoreDNS down means "
                      "no name resolution for any workload.")
    return _check("kube-system", Outcome.PASS,
                  f"{len(expected)} {basis} and available now ({', '.join(expected)}).")


def judge_follow_ups(workloads: Sequence[Workload], precheck: PrecheckReport | None) -> list[CheckResult]:
    """What the doc leaves to do after the migration, as done (pass) or to do (warn)."""
    before_addons = set(precheck.addons) if precheck is not None else set()
    now_addons = {f.addon for f in find_addons(list(workloads))}
    cgpu_now = find_cgpu(list(workloads)).edition
    follow_ups: list[CheckResult] = []
    if (precheck is not None and precheck.cgpu == "basic") or cgpu_now == "basic":
        if cgpu_now == "basic":
            follow_ups.append(_result(
                "follow-up-cgpu", "cGPU", Outcome.WARN,
                "to do: cGPU Basic Edition is still installed and does not work in the Pro cluster: apply the doc's "
                "gpushare-label-change.yaml Job (it relabels the GPU nodes and uninstalls cGPU Basic; wait for "
                "`kubectl get po -l app=change-gpushare-labels -n kube-system` to show Completed), then install "
                "cGPU (ack-ai-installer) and the GPU memory inspection tool.", doc_url=CGPU_DOC))
        else:
            follow_ups.append(_result("follow-up-cgpu", "cGPU", Outcome.PASS,
                                      "done: no cGPU Basic Edition left."))
    for addon, title, step in _ADDON_FOLLOW_UPS:
        if addon not in before_addons and addon not in now_addons:
            continue
        if addon == "terway-controlplane" and addon not in now_addons:
            follow_ups.append(_result(f"follow-up-{addon}", title, Outcome.WARN,
                                      "to do: the old terway-controlplane Deployment is gone; install "
                                      "terway-controlplane from the cluster's Add-ons page.", doc_url=MIGRATION_DOC))
        else:
            follow_ups.append(_result(f"follow-up-{addon}", title, Outcome.WARN, f"to do: {step}",
                                      doc_url=MIGRATION_DOC))
    return follow_ups


_ADDON_FOLLOW_UPS = (
    ("alb-ingress-controller", "ALB Ingress",
     "reinstall the ALB Ingress controller from the cluster's Add-ons page (ackmigrate cannot tell a reinstalled "
     "controller from the old one: confirm there)."),
    ("ack-virtual-node", "Virtual node",
     "reinstall ack-virtual-node from the cluster's Add-ons page (confirm there)."),
    ("terway-controlplane", "terway",
     "delete the old terway-controlplane Deployment, then install terway-controlplane from the Add-ons page."),
)


# --- the canary -------------------------------------------------------------------------------------------


def run_canary(
    kube: KubeClient,
    settings: CanarySettings,
    *,
    masters: Collection[str],
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> CheckResult:
    """Create, wait (bounded), and always delete: the namespace is ours alone, so deleting it is safe."""
    namespace = settings.namespace
    try:
        _create_tolerating_conflict(lambda: kube.create_namespace(namespace, labels=dict(CANARY_LABELS)))
        _create_tolerating_conflict(lambda: kube.create_pause_pod(namespace, CANARY_POD, image=settings.image,
                                                                  labels=dict(CANARY_LABELS)))
        outcome = _wait_for_canary(kube, settings, masters=masters, sleep=sleep, clock=clock)
    finally:
        left_behind = _delete_canary(kube, namespace)
    if left_behind:
        fix = f"Delete it by hand: `kubectl delete namespace {namespace}`."
        return _check("canary", Outcome.WARN if not outcome.blocks else outcome.outcome,
                      f"{outcome.summary} The canary namespace could not be deleted ({left_behind}).",
                      outcome.fix or fix)
    return outcome


def _wait_for_canary(
    kube: KubeClient, settings: CanarySettings, *, masters: Collection[str],
    sleep: Callable[[float], None], clock: Callable[[], float],
) -> CheckResult:
    deadline = clock() + settings.timeout_s
    where = f"pod {settings.namespace}/{CANARY_POD} ({settings.image})"
    while True:
        state = kube.pod_state(settings.namespace, CANARY_POD)
        if state.phase in ("Running", "Succeeded") and state.node_name:
            if state.node_name in masters:
                return _check("canary", Outcome.FAIL, f"{where} ran on old master {state.node_name}.",
                              "Cordon the old masters (`kubectl cordon`) and clean them up.")
            return _check("canary", Outcome.PASS, f"{where} ran on worker {state.node_name}; deleted again.")
        if state.phase == "Failed":
            return _check("canary", Outcome.FAIL, f"{where} failed on {state.node_name or 'no node'}.",
                          "`kubectl describe` a test pod on that node: image pulls or the container runtime.")
        if clock() >= deadline:
            why = f" ({state.reason}: {state.message})" if state.reason else ""
            return _check("canary", Outcome.FAIL,
                          f"{where} was still {state.phase or 'not running'} after {settings.timeout_s:g} s{why}.",
                          "Check that the workers are Ready and schedulable, and that they can pull the image "
                          "(ACKMIGRATE_CANARY_IMAGE names another one).")
        sleep(min(CANARY_POLL_S, max(0.0, deadline - clock())))


def _delete_canary(kube: KubeClient, namespace: str) -> str:
    """Delete the pod, then the namespace; what could not be deleted, in words (empty when all went)."""
    problems = []
    for delete in (lambda: kube.delete_pod(namespace, CANARY_POD), lambda: kube.delete_namespace(namespace)):
        try:
            delete()
        except NotFound:
            continue
        except CloudError as error:
            log.warning("canary cleanup in %s: %s", namespace, error)
            problems.append(str(error))
    return "; ".join(problems)


def _create_tolerating_conflict(create: Callable[[], None]) -> None:
    """A rerun after a crash finds its own namespace and pod from the first run: go on with them."""
    with contextlib.suppress(Conflict):
        create()


# --- small pieces -----------------------------------------------------------------------------------------


def _masters(nodes: Sequence[KubeNode], old_masters: Collection[str]) -> set[str]:
    """The old masters by name from the request's precheck, else by their role label."""
    if old_masters:
        return set(old_masters)
    return {n.name for n in nodes if any(label in n.labels for label in MASTER_ROLE_LABELS)}


def _ready_word(ready: str) -> str:
    return {"False": "NotReady", "Unknown": "Unknown"}.get(ready, ready or "Unknown")


def _guarded(check_id: str, run: Callable[[], CheckResult]) -> CheckResult:
    try:
        return run()
    except CloudError as error:
        return _check(check_id, Outcome.ERROR, f"could not be checked: {error}",
                      "Run `ackmigrate verify` again once the API server answers.")


def _check(check_id: str, outcome: Outcome, summary: str, fix: str = "") -> CheckResult:
    return _result(check_id, _TITLES[check_id], outcome, summary, fix if outcome is not Outcome.PASS else "",
                   doc_url=MIGRATION_DOC if outcome in (Outcome.FAIL, Outcome.ERROR) else "")


def _result(check_id: str, title: str, outcome: Outcome, summary: str, fix: str = "", *,
            doc_url: str = "") -> CheckResult:
    return CheckResult(id=check_id, title=title, outcome=outcome, severity=Severity.FAIL, summary=summary,
                       fix=fix, doc_url=doc_url)
