"""Simulated OSS: the bucket and object APIs the migration needs, with oss2's signatures and OSS's XML.

oss2 addresses an IP endpoint path-style (`http://127.0.0.1:PORT/{bucket}/{key}`), so that is the only
addressing served. One sandbox endpoint stands for every region: a bucket's region is what
GetBucketInfo reports as its Location, which is what the oss-bucket precheck reads. Errors are OSS's
`<Error>` XML with the fields oss2 parses (Code, Message, RequestId, HostId, …) and the
`x-oss-request-id` header, so `oss2.exceptions` raises the same exception class as against the real OSS.
"""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass
from email.utils import formatdate
from functools import partial
from urllib.parse import unquote
from xml.sax.saxutils import escape

from sandbox.accounts import caller_account
from sandbox.httpserver import ApiError, Request, Response, Route, new_request_id
from sandbox.signing import AuthFailure, verify_oss
from sandbox.world import DEFAULT_REGION, Bucket, World

_BUCKET_ACTIONS = (("bucketInfo", "GetBucketInfo"), ("referer", "GetBucketReferer"))
_OBJECT_ACTIONS = {"PUT": "PutObject", "GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}


class OssError(ApiError):
    """An ApiError with the extra `<Error>` fields OSS adds for it (BucketName, StringToSign, …)."""

    def __init__(self, status: int, code: str, message: str, **fields: str) -> None:
        super().__init__(status, code, message)
        self.fields = fields


@dataclass(frozen=True)
class Target:
    """What a path-style request addresses: a bucket, and an object key when there is one."""

    bucket: str
    key: str


def parse_target(raw_path: str) -> Target:
    """`/bucket/` or `/bucket/some%2Fkey`: oss2 percent-encodes the key, slashes included."""
    path = raw_path.split("?", 1)[0].lstrip("/")
    bucket, _, key = path.partition("/")
    return Target(unquote(bucket), unquote(key))


def _action(request: Request, target: Target) -> str | None:
    """The API a request is for: a bucket subresource (`?bucketInfo`) or an object verb."""
    if target.key:
        return _OBJECT_ACTIONS.get(request.method)
    if request.method != "GET":
        return None
    query = {name for name, _ in request.query}
    return next((action for subresource, action in _BUCKET_ACTIONS if subresource in query), None)


class OssService:
    """The OSS endpoint (service name `oss`)."""

    name = "oss"

    def __init__(self, world: World) -> None:
        self.world = world

    # --- the Service protocol -------------------------------------------------------------------------

    def route(self, request: Request) -> Route | None:
        target = parse_target(request.raw_path)
        params = {"bucket": target.bucket, "key": target.key}
        if not target.bucket:
            # ListBuckets (GetService): `GET /` on the service endpoint; nothing else is served there.
            return Route("ListBuckets", self._list_buckets, params) if request.method == "GET" else None
        action = _action(request, target)
        if action is None:
            return None
        if target.key:
            return Route(action, partial(self._object_call, action=action, target=target), params)
        return Route(action, partial(self._bucket_call, action=action, target=target), params)

    def authenticate(self, request: Request, route: Route) -> None:
        bucket, key = route.params["bucket"], route.params["key"]
        try:
            verify_oss(self.world, request, bucket, key)
        except AuthFailure as failure:
            raise auth_error(failure, request) from None

    def error(self, request: Request, error: ApiError, request_id: str) -> Response:
        target = parse_target(request.raw_path)
        status, code, message = error.status, error.code, error.message
        if code == "InvalidAction.NotFound":  # no route: OSS says the operation is not implemented
            status, code = 501, "NotImplemented"
            message = f"The sandbox's OSS does not implement {request.method} {request.path}."
        fields = {"RequestId": request_id, "HostId": self._host_id(target.bucket)}
        fields.update(getattr(error, "fields", {}))
        body = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in fields.items())
        xml = f"{_XML_DECLARATION}<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>{body}</Error>"
        return Response(
            status=status,
            body=xml.encode() if request.method != "HEAD" else b"",
            headers={**_common_headers(request_id), "Content-Type": "application/xml"},
        )

    # --- buckets -----------------------------------------------------------------------------------------

    def _bucket_call(self, request: Request, *, action: str, target: Target) -> Response:
        with self.world.lock:
            bucket = self._bucket(target.bucket)
            xml = bucket_info_xml(bucket) if action == "GetBucketInfo" else referer_xml(bucket)
        return Response(status=200, body=xml.encode(), headers=_xml_headers())

    def _list_buckets(self, request: Request) -> Response:
        """Every bucket of the account, all regions, by name, paged by `marker` / `max-keys` (1–1000,
        default 100) and filtered by `prefix`, as OSS's ListBuckets answers
        (https://www.alibabacloud.com/help/en/oss/developer-reference/listbuckets)."""
        prefix, marker = request.arg("prefix") or "", request.arg("marker") or ""
        raw_max = request.arg("max-keys") or "100"
        if not raw_max.isdigit() or not 1 <= int(raw_max) <= 1000:
            raise OssError(400, "InvalidArgument", "max-keys must be between 1 and 1000.",
                           ArgumentName="max-keys", ArgumentValue=raw_max)
        with self.world.lock:
            names = sorted(n for n, b in self.world.buckets.items()
                           if b.account == caller_account() and n.startswith(prefix) and n > marker)
            page = [self.world.buckets[n] for n in names[: int(raw_max)]]
        xml = list_buckets_xml(page, prefix=prefix, marker=marker, max_keys=int(raw_max),
                               truncated=len(names) > len(page))
        return Response(status=200, body=xml.encode(), headers=_xml_headers())

    def _bucket(self, name: str) -> Bucket:
        bucket = self.world.buckets.get(name)
        if bucket is None:
            raise OssError(404, "NoSuchBucket", "The specified bucket does not exist.", BucketName=name)
        if bucket.account != caller_account():  # bucket names are global; another account's bucket is refused
            raise OssError(403, "AccessDenied", "You have no right to access this object because of bucket acl.",
                           BucketName=name)
        return bucket

    def _host_id(self, bucket_name: str) -> str:
        bucket = self.world.buckets.get(bucket_name)
        region = bucket.region_id if bucket is not None else DEFAULT_REGION
        endpoint = f"oss-{region}.aliyuncs.com"
        return f"{bucket_name}.{endpoint}" if bucket_name else endpoint

    # --- objects -----------------------------------------------------------------------------------------

    def _object_call(self, request: Request, *, action: str, target: Target) -> Response:
        with self.world.lock:
            bucket = self._bucket(target.bucket)
            if action == "PutObject":
                return _put_object(bucket, target.key, request)
            if action == "DeleteObject":
                bucket.objects.pop(target.key, None)  # OSS answers 204 whether or not the key existed
                return Response(status=204, headers=_common_headers(new_request_id()))
            stored = bucket.objects.get(target.key)
            if stored is None:
                raise OssError(404, "NoSuchKey", "The specified key does not exist.", Key=target.key)
            data, mtime, content_type = stored
        headers = {
            **_object_headers(data),
            "Content-Type": content_type,
            "Last-Modified": formatdate(mtime, usegmt=True),
            "x-oss-object-type": "Normal",
            "x-oss-storage-class": bucket.storage_class,
        }
        if action == "HeadObject":
            return Response(status=200, headers={**headers, "Content-Length": str(len(data))})
        return Response(status=200, body=data, headers=headers)


def _put_object(bucket: Bucket, key: str, request: Request) -> Response:
    """Store the body; a Content-MD5 that does not match it is refused, as OSS does."""
    data = request.body
    sent_md5 = request.header("content-md5")
    if sent_md5 and sent_md5 != base64.b64encode(hashlib.md5(data).digest()).decode():
        raise OssError(400, "InvalidDigest", "The Content-MD5 you specified was invalid.", Key=key)
    content_type = request.header("content-type") or "application/octet-stream"
    bucket.objects[key] = (data, time.time(), content_type)
    return Response(status=200, headers=_object_headers(data))


def _object_headers(data: bytes) -> dict[str, str]:
    """ETag, Content-MD5 and the CRC64 oss2 compares with its own (a mismatch raises InconsistentError)."""
    digest = hashlib.md5(data).digest()
    return {
        **_common_headers(new_request_id()),
        "ETag": f'"{digest.hex().upper()}"',
        "Content-MD5": base64.b64encode(digest).decode(),
        "x-oss-hash-crc64ecma": str(crc64_ecma(data)),
    }


# --- authentication errors ---------------------------------------------------------------------------------


def auth_error(failure: AuthFailure, request: Request) -> OssError:
    """The `<Error>` OSS answers for a refused signature, with the fields it adds to help debugging."""
    if failure.kind == "unknown_key":
        return OssError(
            403,
            "InvalidAccessKeyId",
            "The OSS Access Key Id you provided does not exist in our records.",
            OSSAccessKeyId=failure.access_key_id,
        )
    if failure.kind == "bad_signature":
        return OssError(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
            OSSAccessKeyId=failure.access_key_id,
            SignatureProvided=_signature_provided(request),
            StringToSign=failure.string_to_sign,
            StringToSignBytes=" ".join(f"{b:02X}" for b in failure.string_to_sign.encode()),
        )
    if failure.kind == "bad_token":
        return OssError(
            403,
            "InvalidAccessKeyId",
            "The security token you provided is invalid.",
            OSSAccessKeyId=failure.access_key_id,
        )
    if failure.kind == "expired_token":
        return OssError(403, "SecurityTokenExpired", "The security token you provided has expired.",
                        OSSAccessKeyId=failure.access_key_id)
    if failure.kind == "missing":
        return OssError(403, "AccessDenied", "You have no right to access this object because of bucket acl.")
    return OssError(400, "InvalidArgument", f"Authorization header is invalid. {failure.detail}".strip())


def _signature_provided(request: Request) -> str:
    authorization = request.header("authorization")
    if authorization.startswith("OSS "):
        return authorization.rpartition(":")[2]
    for part in authorization.split(","):
        name, _, value = part.strip().partition("=")
        if name == "Signature":
            return value
    return ""


# --- XML bodies ------------------------------------------------------------------------------------------

_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _oss_time(ts: float) -> str:
    """OSS's timestamp form in XML: 2026-11-25T06:02:11.000Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ts))


def bucket_info_xml(bucket: Bucket) -> str:
    """GetBucketInfo's body, every element oss2's parser requires plus the ones it reads if present."""
    region = bucket.region_id
    return (
        f"{_XML_DECLARATION}<BucketInfo><Bucket>"
        "<AccessMonitor>Disabled</AccessMonitor>"
        f"<CreationDate>{_oss_time(bucket.created)}</CreationDate>"
        f"<ExtranetEndpoint>oss-{escape(region)}.aliyuncs.com</ExtranetEndpoint>"
        f"<IntranetEndpoint>oss-{escape(region)}-internal.aliyuncs.com</IntranetEndpoint>"
        f"<Location>{escape(bucket.location)}</Location>"
        f"<StorageClass>{escape(bucket.storage_class)}</StorageClass>"
        "<TransferAcceleration>Disabled</TransferAcceleration>"
        "<CrossRegionReplication>Disabled</CrossRegionReplication>"
        f"<Name>{escape(bucket.name)}</Name>"
        "<ResourceGroupId>rg-acfmsandbox00001</ResourceGroupId>"
        f"<Owner><DisplayName>{bucket.account}</DisplayName><ID>{bucket.account}</ID></Owner>"
        f"<AccessControlList><Grant>{escape(bucket.acl)}</Grant></AccessControlList>"
        "<ServerSideEncryptionRule><SSEAlgorithm>None</SSEAlgorithm></ServerSideEncryptionRule>"
        "<BucketPolicy><LogBucket></LogBucket><LogPrefix></LogPrefix></BucketPolicy>"
        "<DataRedundancyType>LRS</DataRedundancyType>"
        "<Comment></Comment>"
        "<BlockPublicAccess>false</BlockPublicAccess>"
        "</Bucket></BucketInfo>"
    )


def list_buckets_xml(buckets: list[Bucket], *, prefix: str, marker: str, max_keys: int, truncated: bool) -> str:
    """ListBuckets' body: `ListAllMyBucketsResult` with the fields oss2's parse_list_buckets reads."""
    rows = "".join(
        "<Bucket>"
        f"<CreationDate>{_oss_time(b.created)}</CreationDate>"
        f"<ExtranetEndpoint>oss-{escape(b.region_id)}.aliyuncs.com</ExtranetEndpoint>"
        f"<IntranetEndpoint>oss-{escape(b.region_id)}-internal.aliyuncs.com</IntranetEndpoint>"
        f"<Location>{escape(b.location)}</Location>"
        f"<Name>{escape(b.name)}</Name>"
        f"<Region>{escape(b.region_id)}</Region>"
        f"<StorageClass>{escape(b.storage_class)}</StorageClass>"
        "<ResourceGroupId>rg-acfmsandbox00001</ResourceGroupId>"
        "</Bucket>"
        for b in buckets
    )
    paging = (f"<Prefix>{escape(prefix)}</Prefix><Marker>{escape(marker)}</Marker><MaxKeys>{max_keys}</MaxKeys>"
              f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
    if truncated:
        paging += f"<NextMarker>{escape(buckets[-1].name)}</NextMarker>"
    return (
        f"{_XML_DECLARATION}<ListAllMyBucketsResult>{paging}"
        f"<Owner><ID>{caller_account()}</ID><DisplayName>{caller_account()}</DisplayName></Owner>"
        f"<Buckets>{rows}</Buckets></ListAllMyBucketsResult>"
    )


def referer_xml(bucket: Bucket) -> str:
    """GetBucketReferer's body: a non-empty RefererList means hotlink protection is on."""
    referers = "".join(f"<Referer>{escape(r)}</Referer>" for r in bucket.referers)
    allow_empty = "true" if bucket.allow_empty_referer else "false"
    return (
        f"{_XML_DECLARATION}<RefererConfiguration>"
        f"<AllowEmptyReferer>{allow_empty}</AllowEmptyReferer>"
        "<AllowTruncateQueryString>true</AllowTruncateQueryString>"
        "<TruncatePath>false</TruncatePath>"
        f"<RefererList>{referers}</RefererList>"
        "</RefererConfiguration>"
    )


def _common_headers(request_id: str) -> dict[str, str]:
    return {"x-oss-request-id": request_id, "Server": "AliyunOSS", "Date": formatdate(usegmt=True)}


def _xml_headers() -> dict[str, str]:
    return {**_common_headers(new_request_id()), "Content-Type": "application/xml"}


# --- CRC-64/XZ ---------------------------------------------------------------------------------------------

_CRC64_POLY_REVERSED = 0xC96C5795D7870F42  # ECMA-182, bit-reversed


def _crc64_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _CRC64_POLY_REVERSED if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC64_TABLE = _crc64_table()


def crc64_ecma(data: bytes) -> int:
    """The `x-oss-hash-crc64ecma` OSS reports for an object (oss2.utils.Crc64 computes the same)."""
    crc = 0xFFFFFFFFFFFFFFFF
    for byte in data:
        crc = _CRC64_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFFFFFFFFFF
