"""Signature checks for every signing scheme the real SDKs use, recomputed from what arrived on the wire.

The sandbox is only worth having if a client that would be refused by Alibaba Cloud is refused here too:
a wrong secret, an unknown AccessKey or a missing STS token must fail in tests, not in production. Each
verifier rebuilds the string to sign from the request as received (the way the cloud does, not by
importing the SDK's signer) and raises `AuthFailure`; each service turns that into its own error shape.

Schemes (see reference/cloud-apis.md):
- ROA HMAC-SHA1 (aliyunsdkcore, ACK): `Authorization: acs AK:base64(hmac-sha1)`.
- ACS3-HMAC-SHA256 (alibabacloud-tea-openapi, e.g. alibabacloud-cs20151215): hex HMAC over a canonical request.
- RPC HMAC-SHA1 (aliyunsdkcore, ECS/SLB/RAM): `Signature` query parameter, key `secret + "&"`.
- RPC with ACS3-HMAC-SHA256 (the typed SDKs alibabacloud_ecs20140526, _slb20140515, _ram20150501): the
  action and version in the `x-acs-action`/`x-acs-version` headers, parameters in the query or a form body.
- OSS V1 (`OSS AK:sig`) and V4 (`OSS4-HMAC-SHA256 Credential=AK/DATE/REGION/oss/aliyun_v4_request`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, urlsplit

from sandbox.accounts import set_caller_account

if TYPE_CHECKING:
    from sandbox.httpserver import Request
    from sandbox.world import Credential, World


class AuthFailure(Exception):
    """Why a request's credentials were not accepted; the service words it as its real counterpart does.

    kind: missing (no credentials at all), unknown_key, bad_signature, bad_token (STS token missing or
    wrong), bad_request (a malformed Authorization header or a body that does not match its hash).
    """

    def __init__(self, kind: str, *, access_key_id: str = "", string_to_sign: str = "", detail: str = "") -> None:
        super().__init__(f"{kind}: {detail or access_key_id}")
        self.kind = kind
        self.access_key_id = access_key_id
        self.string_to_sign = string_to_sign
        self.detail = detail


@dataclass
class Verified:
    """Who signed the request (the credential) and with what scheme, for the call log and tests."""

    access_key_id: str
    scheme: str
    account: str  # the account the credential belongs to: what the caller may see


def _signed_by(credential: Credential, scheme: str) -> Verified:
    """The request is the credential's: from here on the call sees only that account's resources."""
    set_caller_account(credential.account)
    return Verified(credential.access_key_id, scheme, credential.account)


def _credential(world: World, access_key_id: str) -> Credential:
    credential = world.credentials.get(access_key_id)
    if credential is None:
        raise AuthFailure("unknown_key", access_key_id=access_key_id)
    if credential.expires_at is not None and time.time() >= credential.expires_at:
        raise AuthFailure("expired_token", access_key_id=access_key_id)
    return credential


def _check_token(credential: Credential, token: str | None) -> None:
    """STS credentials must carry their token; a long-term key must not be paired with a stray one."""
    if credential.security_token is None:
        if token:
            raise AuthFailure("bad_token", access_key_id=credential.access_key_id, detail="unexpected token")
        return
    if token != credential.security_token:
        raise AuthFailure("bad_token", access_key_id=credential.access_key_id, detail="token mismatch")


def _hmac_sha1_b64(key: str, text: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), text.encode(), hashlib.sha1).digest()).decode()


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


# --- ACK: ROA HMAC-SHA1 and ACS3-HMAC-SHA256 -----------------------------------------------------------


def verify_acs(world: World, request: Request) -> Verified:
    """ACK accepts both aliyunsdkcore's ROA signature and the newer SDK's ACS3 signature."""
    authorization = request.header("authorization")
    if authorization.startswith("acs "):
        return _verify_roa(world, request, authorization[4:])
    if authorization.startswith("ACS3-HMAC-SHA256 "):
        return _verify_acs3(world, request, authorization[len("ACS3-HMAC-SHA256 ") :])
    if not authorization:
        raise AuthFailure("missing", detail="no Authorization header")
    raise AuthFailure("bad_request", detail=f"unsupported Authorization scheme {authorization.split(' ')[0]!r}")


def roa_string_to_sign(request: Request) -> str:
    """aliyunsdkcore's roa_signature_composer.compose_string_to_sign, from the received request."""
    lines = [request.method]
    for name in ("accept", "content-md5", "content-type", "date"):
        lines.append(request.header(name))
    text = "\n".join(lines) + "\n"
    acs_headers = sorted((k, v) for k, v in request.headers.items() if k.startswith("x-acs-"))
    text += "".join(f"{k}:{v}\n" for k, v in acs_headers)
    path = _unquote_path(request.path)
    query = sorted(request.query, key=lambda kv: kv[0])
    if query:
        path += "?" + "&".join(f"{k}={v}" for k, v in query)
    return text + path


def _unquote_path(path: str) -> str:
    from urllib.parse import unquote

    return unquote(path)


def _verify_roa(world: World, request: Request, credentials: str) -> Verified:
    access_key_id, _, signature = credentials.strip().rpartition(":")
    if not access_key_id or not signature:
        raise AuthFailure("bad_request", detail="Authorization must be 'acs AccessKeyId:Signature'")
    credential = _credential(world, access_key_id)
    string_to_sign = roa_string_to_sign(request)
    if not _same(_hmac_sha1_b64(credential.secret, string_to_sign), signature):
        raise AuthFailure("bad_signature", access_key_id=access_key_id, string_to_sign=string_to_sign)
    _check_token(credential, request.header("x-acs-security-token") or None)
    return _signed_by(credential, "ROA-HMAC-SHA1")


def _parse_acs3(credentials: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in credentials.split(","):
        key, _, value = part.strip().partition("=")
        fields[key] = value
    if not {"Credential", "SignedHeaders", "Signature"} <= set(fields):
        raise AuthFailure("bad_request", detail="ACS3 Authorization needs Credential, SignedHeaders and Signature")
    return fields


def acs3_canonical_request(request: Request, signed_headers: list[str], payload_hash: str) -> str:
    """alibabacloud_tea_openapi.utils.Utils.get_authorization's canonical request, from the wire."""
    raw_path = urlsplit(request.raw_path).path or "/"
    query = sorted(request.query, key=lambda kv: kv[0])
    canonical_query = "&".join(f"{k}={quote(v, safe='~')}" for k, v in query)
    canonical_headers = "".join(f"{name}:{request.header(name).strip()}\n" for name in signed_headers)
    return "\n".join(
        [request.method, raw_path, canonical_query, canonical_headers, ";".join(signed_headers), payload_hash]
    )


def _verify_acs3(world: World, request: Request, credentials: str) -> Verified:
    fields = _parse_acs3(credentials)
    access_key_id = fields["Credential"]
    credential = _credential(world, access_key_id)
    payload_hash = hashlib.sha256(request.body).hexdigest()
    if request.header("x-acs-content-sha256") not in ("", payload_hash):
        raise AuthFailure("bad_request", access_key_id=access_key_id, detail="x-acs-content-sha256 does not match")
    signed_headers = [h for h in fields["SignedHeaders"].split(";") if h]
    canonical = acs3_canonical_request(request, signed_headers, payload_hash)
    string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    expected = hmac.new(credential.secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not _same(expected, fields["Signature"]):
        raise AuthFailure("bad_signature", access_key_id=access_key_id, string_to_sign=string_to_sign)
    _check_token(credential, request.header("x-acs-security-token") or None)
    return _signed_by(credential, "ACS3-HMAC-SHA256")


# --- ECS, SLB, RAM: RPC HMAC-SHA1 --------------------------------------------------------------------------


def _percent(text: str) -> str:
    """POP's percent-encoding: RFC 3986 unreserved characters stay, everything else is %XX."""
    return quote(text, safe="-_.~")


def rpc_params(request: Request) -> dict[str, str]:
    """Query parameters plus a form body's: aliyunsdkcore signs both together."""
    params = dict(request.query)
    if request.body and "application/x-www-form-urlencoded" in request.header("content-type"):
        params.update(parse_qsl(request.body.decode(), keep_blank_values=True))
    return params


def rpc_string_to_sign(method: str, params: dict[str, str]) -> str:
    """rpc_signature_composer.__compose_string_to_sign, with POP's canonical encoding."""
    canonical = "&".join(f"{_percent(k)}={_percent(v)}" for k, v in sorted(params.items()) if k != "Signature")
    return f"{method}&%2F&{_percent(canonical)}"


def rpc_action_and_version(request: Request) -> tuple[str, str]:
    """The POP action and API version: query/form parameters (aliyunsdkcore), or the `x-acs-action` and
    `x-acs-version` headers the official typed SDKs (alibabacloud_tea_openapi, ACS3) send instead."""
    params = rpc_params(request)
    action = params.get("Action") or request.header("x-acs-action")
    version = params.get("Version") or request.header("x-acs-version")
    return action, version


def verify_rpc(world: World, request: Request) -> Verified:
    """ECS, SLB and RAM accept both signatures their clients use: aliyunsdkcore's `Signature` parameter
    (HMAC-SHA1) and the typed SDKs' `Authorization: ACS3-HMAC-SHA256 …` header."""
    authorization = request.header("authorization")
    if authorization.startswith("ACS3-HMAC-SHA256 "):
        return _verify_acs3(world, request, authorization[len("ACS3-HMAC-SHA256 ") :])
    params = rpc_params(request)
    access_key_id = params.get("AccessKeyId", "")
    signature = params.get("Signature", "")
    if not access_key_id or not signature:
        raise AuthFailure("missing", detail="AccessKeyId and Signature are required")
    if params.get("SignatureMethod", "HMAC-SHA1") != "HMAC-SHA1":
        raise AuthFailure("bad_request", access_key_id=access_key_id, detail="SignatureMethod must be HMAC-SHA1")
    credential = _credential(world, access_key_id)
    string_to_sign = rpc_string_to_sign(request.method, params)
    if not _same(_hmac_sha1_b64(credential.secret + "&", string_to_sign), signature):
        raise AuthFailure("bad_signature", access_key_id=access_key_id, string_to_sign=string_to_sign)
    _check_token(credential, params.get("SecurityToken") or None)
    return _signed_by(credential, "RPC-HMAC-SHA1")


# --- OSS: V1 and V4 --------------------------------------------------------------------------------------

OSS_SUBRESOURCES = frozenset(
    [
        "acl", "uploadId", "uploads", "partNumber", "group", "link", "delete", "website", "location",
        "objectInfo", "objectMeta", "cors", "lifecycle", "restore", "qos", "referer", "stat",
        "bucketInfo", "append", "position", "security-token", "live", "comp", "status", "vod",
        "startTime", "endTime", "x-oss-process", "symlink", "callback", "callback-var", "tagging",
        "encryption", "versions", "versioning", "versionId", "policy", "requestPayment",
        "x-oss-traffic-limit", "qosInfo", "asyncFetch", "x-oss-request-payer", "sequential", "inventory",
        "inventoryId", "continuation-token", "worm", "wormId", "wormExtend", "replication",
        "replicationLocation", "replicationProgress", "transferAcceleration", "cname", "metaQuery",
        "resourceGroup", "style", "styleName", "x-oss-async-process", "regionList",
        "response-content-type", "response-content-language", "response-cache-control", "logging",
        "response-content-encoding", "response-expires", "response-content-disposition",
    ]
)
"""The query keys that are part of the V1 canonical resource (oss2.auth.ProviderAuth._subresource_key_set)."""


def verify_oss(world: World, request: Request, bucket: str, key: str) -> Verified:
    authorization = request.header("authorization")
    if authorization.startswith("OSS4-HMAC-SHA256 "):
        return _verify_oss_v4(world, request, bucket, key, authorization[len("OSS4-HMAC-SHA256 ") :])
    if authorization.startswith("OSS "):
        return _verify_oss_v1(world, request, bucket, key, authorization[4:])
    if not authorization:
        raise AuthFailure("missing", detail="anonymous access is not allowed")
    raise AuthFailure("bad_request", detail="unsupported Authorization scheme")


def oss_v1_string_to_sign(request: Request, bucket: str, key: str) -> str:
    date = request.header("x-oss-date") or request.header("date")
    oss_headers = sorted((k, v) for k, v in request.headers.items() if k.startswith("x-oss-"))
    headers = "".join(f"{k}:{v}\n" for k, v in oss_headers)
    resource = f"/{bucket}/{key}" if bucket else "/"
    sub = sorted((k, v) for k, v in request.query if k in OSS_SUBRESOURCES)
    if sub:
        resource += "?" + "&".join(f"{k}={v}" if v else k for k, v in sub)
    return "\n".join(
        [request.method, request.header("content-md5"), request.header("content-type"), date, headers + resource]
    )


def _verify_oss_v1(world: World, request: Request, bucket: str, key: str, credentials: str) -> Verified:
    access_key_id, _, signature = credentials.strip().rpartition(":")
    credential = _credential(world, access_key_id)
    string_to_sign = oss_v1_string_to_sign(request, bucket, key)
    if not _same(_hmac_sha1_b64(credential.secret, string_to_sign), signature):
        raise AuthFailure("bad_signature", access_key_id=access_key_id, string_to_sign=string_to_sign)
    _check_token(credential, request.header("x-oss-security-token") or None)
    return _signed_by(credential, "OSS-V1")


def _v4_encode(text: str, *, keep_slash: bool) -> str:
    return quote(text, safe="-_.~/" if keep_slash else "-_.~")


def oss_v4_canonical_request(request: Request, bucket: str, key: str, additional: list[str]) -> str:
    uri = _v4_encode(f"/{bucket}/{key}" if bucket else "/", keep_slash=True)
    params = sorted((_v4_encode(k, keep_slash=False), _v4_encode(v, keep_slash=False)) for k, v in request.query)
    query = "&".join(f"{k}={v}" if v else k for k, v in params)
    signed = sorted(
        (k, v)
        for k, v in request.headers.items()
        if k.startswith("x-oss-") or k in ("content-type", "content-md5") or k in additional
    )
    headers = "".join(f"{k}:{v}\n" for k, v in signed)
    payload = request.header("x-oss-content-sha256") or "UNSIGNED-PAYLOAD"
    return "\n".join([request.method, uri, query, headers, ";".join(sorted(additional)), payload])


def _verify_oss_v4(world: World, request: Request, bucket: str, key: str, credentials: str) -> Verified:
    fields: dict[str, str] = {}
    for part in credentials.split(","):
        name, _, value = part.strip().partition("=")
        fields[name] = value
    scope_parts = fields.get("Credential", "").split("/")
    if len(scope_parts) != 5 or scope_parts[4] != "aliyun_v4_request" or "Signature" not in fields:
        raise AuthFailure("bad_request", detail="Credential must be AK/DATE/REGION/oss/aliyun_v4_request")
    access_key_id, date, region, product, _ = scope_parts
    credential = _credential(world, access_key_id)
    additional = [h for h in fields.get("AdditionalHeaders", "").split(";") if h]
    canonical = oss_v4_canonical_request(request, bucket, key, additional)
    date_time = request.header("x-oss-date")
    scope = "/".join(scope_parts[1:])
    string_to_sign = "\n".join(
        ["OSS4-HMAC-SHA256", date_time, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    signing_key = ("aliyun_v4" + credential.secret).encode()
    for part in (date, region, product, "aliyun_v4_request"):
        signing_key = hmac.new(signing_key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not _same(expected, fields["Signature"]):
        raise AuthFailure("bad_signature", access_key_id=access_key_id, string_to_sign=string_to_sign)
    _check_token(credential, request.header("x-oss-security-token") or None)
    return _signed_by(credential, "OSS-V4")


def pop_error_body(*, code: str, message: str, request_id: str, host_id: str, product: str) -> dict[str, str]:
    """The POP gateway's error body: aliyunsdkcore reads Code, Message and RequestId from exactly these keys."""
    return {
        "RequestId": request_id,
        "HostId": host_id,
        "Code": code,
        "Message": message,
        "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}&product={product}&requestId={request_id}",
    }


def pop_auth_error(failure: AuthFailure) -> tuple[int, str, str]:
    """(HTTP status, Code, Message) as the POP gateway in front of ACK, ECS, SLB and RAM answers them.

    aliyunsdkcore compares the text after "server string to sign is:" with its own string to sign and
    turns a match into InvalidAccessKeySecret, so that text is kept exactly as the real gateway words it.
    """
    if failure.kind == "unknown_key":
        return 404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
    if failure.kind == "bad_signature":
        return (
            400,
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation. server string to sign is:"
            + failure.string_to_sign,
        )
    if failure.kind == "bad_token":
        if failure.detail == "unexpected token":
            return 400, "InvalidSecurityToken.Malformed", "Specified SecurityToken is malformed."
        return 400, "InvalidSecurityToken.MismatchWithAccessKey", "Specified SecurityToken mismatch with the AccessKey."
    if failure.kind == "expired_token":
        return 400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired."
    if failure.kind == "missing":
        return 400, "MissingAccessKeyId", f"AccessKeyId is mandatory for this action ({failure.detail})."
    return 400, "IncompleteSignature", f"The request signature does not conform to Aliyun standards. {failure.detail}"
