"""Simulated ECS, SLB and RAM: the RPC-style POP APIs, in both request styles their official clients use:
aliyunsdkcore's (`/?Action=…&Version=…`, HMAC-SHA1 `Signature` parameter) and the typed SDKs'
(alibabacloud_ecs20140526 & co. through alibabacloud_tea_openapi: `x-acs-action`/`x-acs-version` headers,
`Authorization: ACS3-HMAC-SHA256`, parameters in the query or a form body).

All three share the POP conventions: the action and every parameter arrive as query (or form) parameters,
the answer is JSON or, with `Format=XML`, XML rooted at `<ActionResponse>`, and errors carry
`{RequestId, HostId, Code, Message, Recommend}` — the shape aliyunsdkcore reads `Code` and `Message` from.
"""

from __future__ import annotations

import abc
import functools
import json
import re
import secrets
import time
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from sandbox.accounts import MAIN_ACCOUNT_ID, caller_account
from sandbox.httpserver import ApiError, Request, Response, Route, new_request_id
from sandbox.signing import (
    AuthFailure,
    pop_auth_error,
    pop_error_body,
    rpc_action_and_version,
    rpc_params,
    verify_rpc,
)
from sandbox.world import Cluster, Node, PolicyVersion, RamPolicy, World, iso

Action = Callable[[dict[str, str]], dict[str, Any]]


class RpcService(abc.ABC):
    """What ECS, SLB and RAM have in common; subclasses list their actions."""

    name = ""
    version = ""
    host_id = ""
    product = ""

    def __init__(self, world: World) -> None:
        self.world = world

    @abc.abstractmethod
    def actions(self) -> dict[str, Action]:
        """The actions this service answers, by POP action name."""

    # --- the Service protocol -------------------------------------------------------------------------

    def route(self, request: Request) -> Route | None:
        if request.path not in ("/", ""):
            return None
        action, _version = rpc_action_and_version(request)
        handler = self.actions().get(action)
        if handler is None:
            return None  # the server answers 404; error() words it as POP does
        return Route(action, functools.partial(self._answer, handler=handler))

    def authenticate(self, request: Request, route: Route) -> None:
        try:
            verify_rpc(self.world, request)
        except AuthFailure as failure:
            status, code, message = pop_auth_error(failure)
            raise ApiError(status, code, message) from None

    def error(self, request: Request, error: ApiError, request_id: str) -> Response:
        code, message = error.code, error.message
        if code == "InvalidAction.NotFound":
            message = "Specified api is not found, please check your url and method."
        body = pop_error_body(
            code=code, message=message, request_id=request_id, host_id=self.host_id, product=self.product
        )
        if _wants_xml(request):
            return _xml_response("Error", body, error.status)
        return Response.json(body, status=error.status)

    # --- answering -------------------------------------------------------------------------------------

    def _answer(self, request: Request, *, handler: Action) -> Response:
        params = rpc_params(request)
        action, version = rpc_action_and_version(request)
        if version != self.version:
            raise ApiError(400, "InvalidVersion", f"Specified parameter Version is not valid: {version or '(none)'}.")
        with self.world.lock:
            body = handler(params)
        body = {"RequestId": new_request_id(), **body}
        if _wants_xml(request):
            return _xml_response(action + "Response", body, 200)
        return Response.json(body)


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name, "")
    if not value:
        raise ApiError(400, f"Missing{name}", f"{name} is mandatory for this action.")
    return value


# --- ECS -----------------------------------------------------------------------------------------------------


class EcsService(RpcService):
    name = "ecs"
    version = "2014-05-26"
    host_id = "ecs.aliyuncs.com"
    product = "Ecs"

    def actions(self) -> dict[str, Action]:
        return {
            "DescribeCloudAssistantStatus": self._describe_cloud_assistant_status,
            "DescribeInstances": self._describe_instances,
            "DeleteInstances": self._delete_instances,
        }

    def _describe_instances(self, params: dict[str, str]) -> dict[str, Any]:
        """The instances asked for by `InstanceIds` (a JSON array of at most 100), as ECS lists them."""
        region = _required(params, "RegionId")
        try:
            ids = json.loads(params.get("InstanceIds") or "[]")
        except ValueError:
            raise ApiError(400, "InvalidInstanceIds.Malformed", "The specified InstanceIds is not a JSON array.") from None
        if not isinstance(ids, list) or len(ids) > 100:
            raise ApiError(400, "InvalidInstanceIds.Malformed", "InstanceIds is a JSON array of at most 100 ids.")
        rows = []
        for instance_id in ids:
            found = self.world.instance(str(instance_id), account=caller_account())
            if found is not None and found[0].region_id == region:
                rows.append(_instance_row(*found))
        return {"TotalCount": len(rows), "PageNumber": 1, "PageSize": int(params.get("PageSize") or 10),
                "NextToken": "", "Instances": {"Instance": rows}}

    def _delete_instances(self, params: dict[str, str]) -> dict[str, Any]:
        """Release pay-as-you-go instances; a subscription instance still in its term is refused as ECS
        refuses it (ChargeTypeViolation, 403), a running one needs Force, a dry run changes nothing."""
        region = _required(params, "RegionId")
        ids = [v for k, v in sorted(params.items(), key=lambda kv: _index(kv[0])) if k.startswith("InstanceId.")]
        if not 1 <= len(ids) <= 100:
            raise ApiError(400, "MissingParameter", "InstanceId.N takes 1 to 100 instance ids.")
        token = params.get("ClientToken", "")
        if token and token in self.world.ecs_client_tokens:
            if self.world.ecs_client_tokens[token] != ids:
                raise ApiError(400, "IdempotentParameterMismatch",
                               "The request uses the same client token as a previous, but non-identical request.")
            return {}  # the same request again: ECS answers as before and does nothing more
        nodes = []
        for instance_id in ids:
            found = self.world.instance(instance_id, account=caller_account())
            if found is None or found[0].region_id != region:
                raise ApiError(404, "InvalidInstanceId.NotFound", f"The specified InstanceId does not exist: {instance_id}.")
            node = found[1]
            if node.charge_type == "PrePaid":
                raise ApiError(403, "ChargeTypeViolation", "The operation is not permitted due to charge type of the instance.")
            if params.get("Force", "false").lower() != "true":
                raise ApiError(403, "IncorrectInstanceStatus", "The current status of the resource does not support this operation.")
            nodes.append(node)
        if params.get("DryRun", "false").lower() == "true":
            raise ApiError(400, "DRYRUN.SUCCESS", "This request is a dryrun request with successful result.")
        for node in nodes:
            node.released = True
            node.in_cluster = False
        if token:
            self.world.ecs_client_tokens[token] = ids
        return {}

    def _describe_cloud_assistant_status(self, params: dict[str, str]) -> dict[str, Any]:
        region = _required(params, "RegionId")
        ids = [v for k, v in sorted(params.items(), key=lambda kv: _index(kv[0])) if k.startswith("InstanceId.")]
        if len(ids) > 50:
            raise ApiError(400, "InvalidParam.InstanceIds", "At most 50 InstanceId.N may be given.")
        rows = []
        for instance_id in ids:
            found = self.world.instance(instance_id, account=caller_account())
            if found is None or found[0].region_id != region:
                continue  # ECS lists only the instances it knows in that region
            _cluster, node = found
            rows.append(
                {
                    "InstanceId": node.instance_id,
                    "CloudAssistantStatus": "true" if node.cloud_assistant else "false",
                    "CloudAssistantVersion": "2.2.3.344" if node.cloud_assistant else "",
                    "LastHeartbeatTime": iso(time.time() - 30) if node.cloud_assistant else "",
                    "OSType": "Linux",
                    "ActiveTaskCount": 0,
                    "InvocationCount": 0,
                    "LastInvokedTime": "",
                    "SupportSessionManager": node.cloud_assistant,
                }
            )
        return {
            "TotalCount": len(rows),
            "PageNumber": 1,
            "PageSize": max(len(rows), 10),
            "NextToken": "",
            "InstanceCloudAssistantStatusSet": {"InstanceCloudAssistantStatus": rows},
        }


def _instance_row(cluster: Cluster, node: Node) -> dict[str, Any]:
    prepaid = node.charge_type == "PrePaid"
    return {
        "InstanceId": node.instance_id,
        "InstanceName": f"{'master' if node.is_master else 'worker'}-{node.ip}",
        "HostName": node.name,
        "RegionId": cluster.region_id,
        "ZoneId": f"{cluster.region_id}-h",
        "InstanceType": node.instance_type,
        "Status": "Running",
        "InstanceChargeType": node.charge_type,
        "ExpiredTime": iso(node.created + 365 * 86400) if prepaid else "2099-12-31T15:59Z",
        "CreationTime": iso(node.created),
        "InstanceNetworkType": "vpc",
        "VpcAttributes": {"VpcId": cluster.vpc_id, "VSwitchId": cluster.vswitch_id,
                          "PrivateIpAddress": {"IpAddress": [node.ip]}},
        "SecurityGroupIds": {"SecurityGroupId": [cluster.security_group_id]},
        "OSType": "linux",
        "InternetChargeType": "PayByTraffic",
        "SpotStrategy": "NoSpot",
        "StoppedMode": "Not-applicable",
        "DeletionProtection": False,
    }


def _index(key: str) -> int:
    tail = key.rsplit(".", 1)[-1]
    return int(tail) if tail.isdigit() else 0


# --- SLB -----------------------------------------------------------------------------------------------------


class SlbService(RpcService):
    name = "slb"
    version = "2014-05-15"
    host_id = "slb.aliyuncs.com"
    product = "Slb"

    def actions(self) -> dict[str, Action]:
        return {"DescribeLoadBalancerAttribute": self._describe_load_balancer_attribute}

    def _describe_load_balancer_attribute(self, params: dict[str, str]) -> dict[str, Any]:
        region = _required(params, "RegionId")
        lb_id = _required(params, "LoadBalancerId")
        lb = self.world.load_balancers.get(lb_id)
        cluster = next((c for c in self.world.clusters.values() if lb_id in (c.api_slb_id, c.ingress_slb_id)), None)
        owner = cluster.account if cluster is not None else MAIN_ACCOUNT_ID
        if lb is None or lb.region_id != region or owner != caller_account():  # another account's is not found
            raise ApiError(404, "InvalidLoadBalancerId.NotFound", f"The specified LoadBalancerId does not exist: {lb_id}.")
        is_api = cluster is not None and cluster.api_slb_id == lb_id
        port, protocol = (6443, "tcp") if is_api else (80, "tcp")
        backends = []
        if cluster is not None:
            nodes = cluster.masters if is_api and cluster.masters else cluster.workers
            backends = [{"ServerId": n.instance_id, "Weight": 100, "Type": "ecs", "ServerIp": n.ip} for n in nodes]
        return {
            "LoadBalancerId": lb.load_balancer_id,
            "LoadBalancerName": lb.name,
            "LoadBalancerStatus": lb.status,
            "Address": lb.address,
            "AddressType": lb.address_type,
            "AddressIPVersion": "ipv4",
            "RegionId": lb.region_id,
            "RegionIdAlias": lb.region_id,
            "NetworkType": "vpc",
            "VpcId": lb.vpc_id,
            "VSwitchId": cluster.vswitch_id if cluster else "",
            "LoadBalancerSpec": lb.spec,
            "InstanceChargeType": lb.charge_type,
            "PayType": "PayOnDemand",
            "InternetChargeType": "paybytraffic",
            "Bandwidth": 5120,
            "CreateTime": iso(lb.created),
            "CreateTimeStamp": int(lb.created * 1000),
            "MasterZoneId": f"{lb.region_id}-h",
            "SlaveZoneId": f"{lb.region_id}-i",
            "DeleteProtection": "on",
            "ModificationProtectionStatus": "ConsoleProtection",
            "ListenerPorts": {"ListenerPort": [port]},
            "ListenerPortsAndProtocol": {
                "ListenerPortAndProtocol": [{"ListenerPort": port, "ListenerProtocol": protocol}]
            },
            "BackendServers": {"BackendServer": backends},
        }


# --- RAM -----------------------------------------------------------------------------------------------------

_ROTATE_STRATEGIES = ("None", "DeleteOldestNonDefaultVersionWhenLimitExceeded")
_MAX_DOCUMENT_BYTES = 6144


class RamService(RpcService):
    name = "ram"
    version = "2015-05-01"
    host_id = "ram.aliyuncs.com"
    product = "Ram"

    def actions(self) -> dict[str, Action]:
        return {
            "ListPoliciesForRole": self._list_policies_for_role,
            "GetPolicy": self._get_policy,
            "CreatePolicyVersion": self._create_policy_version,
            "ListPolicyVersions": self._list_policy_versions,
            "DeletePolicyVersion": self._delete_policy_version,
        }

    def _policy(self, name: str, policy_type: str = "Custom") -> RamPolicy:
        policy = self.world.policies.get(name)
        if policy is None or policy.policy_type != policy_type or policy.account != caller_account():
            raise ApiError(404, "EntityNotExist.Policy", f"The policy does not exist: {name}.")
        return policy

    def _list_policies_for_role(self, params: dict[str, str]) -> dict[str, Any]:
        role_name = _required(params, "RoleName")
        role = self.world.roles.get(role_name)
        if role is None or role.account != caller_account():
            raise ApiError(404, "EntityNotExist.Role", f"The role does not exist: {role_name}.")
        rows = []
        for name in role.policies:
            policy = self.world.policies.get(name)
            if policy is not None:
                rows.append(
                    {
                        "PolicyName": policy.name,
                        "PolicyType": policy.policy_type,
                        "Description": policy.description,
                        "DefaultVersion": policy.default.version_id,
                        "AttachDate": iso(role.created),
                    }
                )
        return {"Policies": {"Policy": rows}}

    def _get_policy(self, params: dict[str, str]) -> dict[str, Any]:
        policy = self._policy(_required(params, "PolicyName"), _required(params, "PolicyType"))
        default = policy.default
        return {
            "Policy": {
                "PolicyName": policy.name,
                "PolicyType": policy.policy_type,
                "Description": policy.description,
                "DefaultVersion": default.version_id,
                "CreateDate": iso(policy.created),
                "UpdateDate": iso(default.created),
                "AttachmentCount": sum(1 for r in self.world.roles.values() if policy.name in r.policies),
            },
            "DefaultPolicyVersion": _version(default),
        }

    def _create_policy_version(self, params: dict[str, str]) -> dict[str, Any]:
        policy = self._policy(_required(params, "PolicyName"))
        document = _required(params, "PolicyDocument")
        _check_document(document)
        strategy = params.get("RotateStrategy") or "None"
        if strategy not in _ROTATE_STRATEGIES:
            raise ApiError(400, "InvalidParameter.RotateStrategy", f"RotateStrategy must be one of {', '.join(_ROTATE_STRATEGIES)}.")
        set_default = params.get("SetAsDefault", "false").lower() == "true"
        if len(policy.versions) >= RamPolicy.MAX_VERSIONS:
            if strategy == "None":
                raise ApiError(409, "LimitExceeded.Policy.Version", "The maximum number of policy versions is exceeded.")
            oldest = min((v for v in policy.versions if not v.is_default), key=lambda v: v.created)
            policy.versions.remove(oldest)
        version = PolicyVersion(f"v{policy.next_version}", document, False)
        policy.next_version += 1
        if set_default:
            for existing in policy.versions:
                existing.is_default = False
            version.is_default = True
        policy.versions.append(version)
        return {"PolicyVersion": _version(version)}


    def _list_policy_versions(self, params: dict[str, str]) -> dict[str, Any]:
        policy = self._policy(_required(params, "PolicyName"), _required(params, "PolicyType"))
        return {"PolicyVersions": {"PolicyVersion": [_version(v) for v in policy.versions]}}

    def _delete_policy_version(self, params: dict[str, str]) -> dict[str, Any]:
        policy = self._policy(_required(params, "PolicyName"))
        version_id = _required(params, "VersionId")
        version = next((v for v in policy.versions if v.version_id == version_id), None)
        if version is None:
            raise ApiError(404, "EntityNotExist.Policy.Version", "The policy version does not exist.")
        if version.is_default:
            raise ApiError(409, "DeleteConflict.Policy.Version.Default", "You cannot delete the default policy version.")
        policy.versions.remove(version)
        return {}


def _version(version: PolicyVersion) -> dict[str, Any]:
    return {
        "VersionId": version.version_id,
        "IsDefaultVersion": version.is_default,
        "PolicyDocument": version.document,
        "CreateDate": iso(version.created),
    }


def _check_document(document: str) -> None:
    """RAM refuses documents that are too long or not a policy (it parses them; so do we). The limit and the
    code are CreatePolicyVersion's (https://www.alibabacloud.com/help/en/ram/developer-reference/api-ram-2015-05-01-createpolicyversion:
    "at most 6,144 bytes" in the Chinese doc https://help.aliyun.com/document_detail/28720.html)."""
    if len(document.encode()) > _MAX_DOCUMENT_BYTES:
        raise ApiError(
            400,
            "InvalidParameter.PolicyDocument.Length",
            f"The maximum length of the policy document is exceeded. It must not exceed {_MAX_DOCUMENT_BYTES} characters.",
        )
    try:
        parsed = json.loads(document)
    except ValueError:
        raise ApiError(400, "MalformedPolicyDocument", "The policy document is not valid JSON.") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("Statement"), list):
        raise ApiError(400, "MalformedPolicyDocument", "The policy document must have a Statement list.")
    for statement in parsed["Statement"]:
        if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
            raise ApiError(400, "MalformedPolicyDocument", "Every statement needs Effect Allow or Deny.")


# --- XML -----------------------------------------------------------------------------------------------------


def _wants_xml(request: Request) -> bool:
    return rpc_params(request).get("Format", "JSON").upper() == "XML"


def _xml_response(root: str, body: dict[str, Any], status: int) -> Response:
    text = f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>{_xml(body)}</{root}>'
    return Response.text(text, status=status, content_type="text/xml;charset=utf-8")


def _xml(value: Any) -> str:
    """POP's XML form of a JSON body: a list repeats its parent's element name."""
    if isinstance(value, dict):
        parts: list[str] = []
        for key, item in value.items():
            if isinstance(item, list):
                parts.extend(f"<{key}>{_xml(element)}</{key}>" for element in item)
            else:
                parts.append(f"<{key}>{_xml(item)}</{key}>")
        return "".join(parts)
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


# --- STS -----------------------------------------------------------------------------------------------------


class StsService(RpcService):
    """AssumeRole (API 2015-04-01; https://www.alibabacloud.com/help/en/ram/developer-reference/api-sts-2015-04-01-assumerole,
    model alibabacloud_sts20150401.models.AssumeRoleRequest/AssumeRoleResponseBody): the way into another
    account. The temporary credentials it returns belong to the role's account, and reach only that account's
    clusters, buckets and roles; they expire after DurationSeconds."""

    name = "sts"
    version = "2015-04-01"
    host_id = "sts.aliyuncs.com"
    product = "Sts"

    def actions(self) -> dict[str, Action]:
        return {"AssumeRole": self._assume_role}

    def _assume_role(self, params: dict[str, str]) -> dict[str, Any]:
        role_arn = _required(params, "RoleArn")
        session = _required(params, "RoleSessionName")
        if not re.fullmatch(r"[\w.@-]{2,64}", session):
            raise ApiError(400, "InvalidParameter.RoleSessionName", "The parameter RoleSessionName is wrongly formed.")
        duration = params.get("DurationSeconds") or "3600"
        if not duration.isdigit() or not 900 <= int(duration) <= 3600:
            # STS's common errors: "The Min/Max value of DurationSeconds is 15min/1hr." (MaxSessionDuration 1 h)
            raise ApiError(400, "InvalidParameter.DurationSeconds", "The Min/Max value of DurationSeconds is 15min/1hr.")
        account = self.world.account_by_role(role_arn)
        if account is None:
            # What STS answers for a role that does not exist or does not trust the caller (STS common errors,
            # https://www.alibabacloud.com/help/en/oss/how-to-handle-the-common-errors-when-you-access-oss-by-using-sts).
            raise ApiError(403, "NoPermission",
                           "You are not authorized to do this action. You should be authorized by RAM. "
                           "No permission perform sts:AssumeRole on this Role. Maybe you are not in the trust "
                           "policy or the role does not exist.")
        expires_at = time.time() + int(duration)
        credential = self.world.add_credential(
            "STS.NT" + secrets.token_hex(12), secrets.token_urlsafe(30), secrets.token_urlsafe(60),
            account=account.account_id, expires_at=expires_at,
        )
        role_id = f"3{account.account_id[:17]}"
        return {
            "AssumedRoleUser": {"Arn": f"acs:ram::{account.account_id}:role/{role_arn.rsplit('/', 1)[1]}/{session}",
                                "AssumedRoleId": f"{role_id}:{session}"},
            "Credentials": {
                "AccessKeyId": credential.access_key_id,
                "AccessKeySecret": credential.secret,
                "SecurityToken": credential.security_token,
                "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires_at)),
            },
        }
