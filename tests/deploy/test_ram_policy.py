"""deploy/ram-policy.json grants exactly the cloud actions the code calls: no fewer, no more.

The actions are read from the cloud adapters' source (every string literal handed to a call that looks
like an API action), so adding a call without extending the policy fails here, not in production
with a Forbidden halfway through a migration.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "deploy" / "ram-policy.json"

ADAPTERS = {"ack.py": "cs", "ecs.py": "ecs", "slb.py": "slb", "ram.py": "ram", "oss.py": "oss", "sts.py": "sts"}
"""Each adapter module and the RAM namespace of its service."""

_ACTION = re.compile(r"^(Assume|Describe|Get|List|Create|Delete|Migrate|Put|Modify|Update|Attach|Detach|Release|"
                     r"Remove|Add|Set|Run|Scale|Upgrade|Install|Grant|Revoke)[A-Z][A-Za-z0-9]*$")


def actions_called_by_code() -> set[str]:
    found: set[str] = set()
    for module, namespace in ADAPTERS.items():
        tree = ast.parse((ROOT / "workers" / "cloud" / module).read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Attribute) and node.func.attr == "get":
                continue  # body.get("CreateDate"): a response field read, never an API action
            values = [*node.args, *(keyword.value for keyword in node.keywords)]
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str) and _ACTION.match(value.value):
                    found.add(f"{namespace}:{value.value}")
    return found


def actions_granted() -> set[str]:
    policy = json.loads(POLICY.read_text())
    granted: set[str] = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow", statement
        actions = statement["Action"]
        granted.update([actions] if isinstance(actions, str) else actions)
    return granted


def test_policy_grants_every_action_the_code_calls() -> None:
    missing = actions_called_by_code() - actions_granted()
    assert not missing, f"deploy/ram-policy.json lacks {sorted(missing)}"


def test_policy_grants_nothing_the_code_does_not_call() -> None:
    extra = actions_granted() - actions_called_by_code()
    assert not extra, f"deploy/ram-policy.json grants actions no code calls: {sorted(extra)}"


def test_policy_has_no_wildcard_actions() -> None:
    assert not [action for action in actions_granted() if "*" in action]


def test_the_scan_sees_the_calls_that_matter() -> None:
    # Guards the scanner itself: if it stopped finding calls, the two tests above would pass vacuously.
    assert {"cs:MigrateCluster", "ecs:DeleteInstances", "ram:CreatePolicyVersion",
            "oss:GetBucketInfo"} <= actions_called_by_code()
