"""Checks on what runs in the cluster: pods left on masters, cGPU, add-ons needing extra steps."""

from __future__ import annotations

from dataclasses import dataclass

from workers.checks.catalog import result
from workers.checks.model import CheckResult, Outcome, name_list
from workers.cloud.models import KubePod, Workload

MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
_FINISHED_PHASES = ("Succeeded", "Failed")
_CGPU_BASIC_MARKERS = ("cgpu-installer",)
_CGPU_COMPONENTS = ("cgpu-installer", "gpushare-device-plugin-ds", "gpushare-schd-extender")


def workload_pods_on_masters(*, master_names: list[str], pods: list[KubePod]) -> list[KubePod]:
    """Pods the migration would strand: on a master, not a static control-plane pod, not DaemonSet-owned."""
    masters = set(master_names)
    return [
        pod
        for pod in pods
        if pod.node_name in masters
        and pod.phase not in _FINISHED_PHASES
        and MIRROR_ANNOTATION not in pod.annotations
        and not any(owner.kind in ("DaemonSet", "Node") for owner in pod.owners)
    ]


def check_master_pods(*, master_names: list[str], pods: list[KubePod]) -> CheckResult:
    stranded = workload_pods_on_masters(master_names=master_names, pods=pods)
    if not master_names:
        return result(
            "master-pods", Outcome.ERROR, "ACK listed no master nodes, so their pods cannot be checked."
        )
    if stranded:
        names = [f"{pod.qualified_name} on {pod.node_name}" for pod in stranded]
        return result(
            "master-pods",
            Outcome.FAIL,
            f"{_pods(len(stranded))} other than control-plane and DaemonSet pods "
            f"{'runs' if len(stranded) == 1 else 'run'} on masters: {name_list(names)}.",
            "Move them to workers (cordon the masters, then delete the pods or fix their nodeSelector/tolerations).",
        )
    return result(
        "master-pods",
        Outcome.PASS,
        f"Only control-plane static pods and DaemonSet pods run on the {len(master_names)} masters.",
    )


def _pods(count: int) -> str:
    return f"{count} pod" if count == 1 else f"{count} pods"


@dataclass(frozen=True)
class CgpuFinding:
    edition: str  # none | basic | professional
    components: tuple[str, ...]


def find_cgpu(workloads: list[Workload]) -> CgpuFinding:
    """Basic Edition is the Helm release `cgpu` (chart ack-cgpu, its installer DaemonSet); gpushare
    components without it are Professional Edition."""
    components = [w for w in workloads if w.name in _CGPU_COMPONENTS or w.labels.get("release") == "cgpu"]
    names = tuple(f"{w.namespace}/{w.name}" for w in components)
    basic = any(
        w.name in _CGPU_BASIC_MARKERS
        or w.labels.get("release") == "cgpu"
        or w.labels.get("chart", "").startswith("ack-cgpu")
        for w in components
    )
    if basic:
        return CgpuFinding("basic", names)
    return CgpuFinding("professional" if components else "none", names)


def check_cgpu(finding: CgpuFinding) -> CheckResult:
    if finding.edition == "basic":
        return result(
            "cgpu",
            Outcome.WARN,
            f"cGPU Basic Edition is installed ({name_list(list(finding.components))}).",
            "After the migration, upgrade to cGPU Professional Edition in the Pro cluster.",
        )
    if finding.edition == "professional":
        return result(
            "cgpu",
            Outcome.PASS,
            f"cGPU Professional Edition ({name_list(list(finding.components))}); nothing to do.",
        )
    return result("cgpu", Outcome.PASS, "No cGPU components installed.")


@dataclass(frozen=True)
class AddonFinding:
    addon: str
    workload: str
    step: str


_ADDON_STEPS = (
    (
        "alb-ingress-controller",
        "alb-ingress-controller",
        "reinstall the ALB Ingress controller after the migration",
    ),
    ("ack-virtual-node", "ack-virtual-node", "reinstall ack-virtual-node after the migration"),
)
"""terway-controlplane has its own check (terway-pod-networking), with every step around the migration."""


def find_addons(workloads: list[Workload]) -> list[AddonFinding]:
    findings: list[AddonFinding] = []
    for addon, prefix, step in _ADDON_STEPS:
        matches = [w for w in workloads if w.name.startswith(prefix) or w.labels.get("app") == addon]
        findings.extend(AddonFinding(addon, f"{w.namespace}/{w.name}", step) for w in matches[:1])
    return findings


def check_addons(findings: list[AddonFinding]) -> CheckResult:
    if not findings:
        return result(
            "addons",
            Outcome.PASS,
            "No ALB Ingress controller or ack-virtual-node installed.",
        )
    found = ", ".join(f"{f.addon} ({f.workload})" for f in findings)
    steps = "; ".join(f.step for f in findings)
    return result("addons", Outcome.WARN, f"Installed: {found}.", steps[0].upper() + steps[1:] + ".")
