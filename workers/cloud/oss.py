"""OSS (oss2): the bucket the migration stages the masters' data in."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TypeVar

import oss2
from oss2.exceptions import OssError

from workers.cloud.credentials import CloudCredentials
from workers.cloud.endpoints import ApiEndpoint, public_oss_endpoint
from workers.cloud.limits import no_limit
from workers.cloud.models import BucketInfo, BucketReferer, BucketSummary
from workers.cloud.retry import RetryPolicy, call_with_retry
from workers.cloud.translate import cloud_error
from workers.errors import CloudError, InvalidRequest, Unavailable

SERVICE = "oss"
T = TypeVar("T")
_LIST_PAGE = 1000  # ListBuckets' largest page
_REQUEST_ERROR_STATUS = -2  # oss2: the request never got an HTTP answer (refused, reset, timeout)


class OssClient:
    """Reads bucket facts; endpoint override → path-style on an IP (oss2 does that itself)."""

    def __init__(
        self,
        *,
        region: str,
        credentials: CloudCredentials,
        endpoint: ApiEndpoint | None,
        retry: RetryPolicy,
        timeout_s: float = 20.0,
        slot: AbstractContextManager[object] | None = None,
    ) -> None:
        self.region = region
        self._slot = slot if slot is not None else no_limit()
        self._endpoint = endpoint or public_oss_endpoint(region)
        # V4 binds the signature to the region; the region is always known here.
        self._auth = credentials.for_oss2(v4=True)
        self._retry = retry
        self._timeout_s = timeout_s
        self._session = oss2.Session()

    def bucket_info(self, bucket: str) -> BucketInfo:
        result = self._call(bucket, "GetBucketInfo", lambda b: b.get_bucket_info())
        return BucketInfo(
            name=str(result.name),
            location=str(result.location or ""),
            extranet_endpoint=str(result.extranet_endpoint or ""),
            intranet_endpoint=str(result.intranet_endpoint or ""),
            creation_date=str(result.creation_date or ""),
            # The owner's uid is the account in the bucket's RAM resource names (acs:oss:…:ACCOUNT:bucket/…).
            owner_id=str(getattr(result.owner, "id", "") or ""),
        )

    def bucket_referer(self, bucket: str) -> BucketReferer:
        result = self._call(bucket, "GetBucketReferer", lambda b: b.get_bucket_referer())
        return BucketReferer(
            allow_empty_referer=bool(result.allow_empty_referer),
            referers=tuple(str(r) for r in result.referers or []),
            black_referers=tuple(str(r) for r in getattr(result, "black_referers", None) or []),
        )

    def list_buckets(self) -> list[BucketSummary]:
        """Every bucket the credentials can see, in all regions (ListBuckets pages through them all).

        ListBuckets is `GET /` on the service endpoint
        (https://www.alibabacloud.com/help/en/oss/developer-reference/listbuckets); oss2.BucketIterator
        follows `NextMarker` while `IsTruncated`.
        """
        def attempt() -> list[BucketSummary]:
            service = oss2.Service(self._auth, self._endpoint.url, session=self._session,
                                   connect_timeout=self._timeout_s, region=self.region)
            try:
                return [BucketSummary(name=str(b.name), location=str(b.location or ""))
                        for b in oss2.BucketIterator(service, max_keys=_LIST_PAGE)]
            except OssError as error:
                raise _translate(error, action="ListBuckets") from error

        return call_with_retry(attempt, policy=self._retry)

    def _bucket(self, name: str) -> oss2.Bucket:
        return oss2.Bucket(
            self._auth,
            self._endpoint.url,
            name,
            session=self._session,
            connect_timeout=self._timeout_s,
            region=self.region,
        )

    def _call(self, bucket: str, action: str, operation: Callable[[oss2.Bucket], T]) -> T:
        def attempt() -> T:
            try:
                with self._slot:
                    return operation(self._bucket(bucket))
            except OssError as error:
                raise _translate(error, action=action) from error

        return call_with_retry(attempt, policy=self._retry)


def _translate(error: OssError, *, action: str) -> CloudError:
    status = int(error.status)
    if status == _REQUEST_ERROR_STATUS:
        return Unavailable(service=SERVICE, action=action, code="RequestError", message=str(error.body))
    if status < 0:  # client-side: invalid bucket name, inconsistent CRC…
        return InvalidRequest(service=SERVICE, action=action, code="ClientError", message=str(error.body))
    message = str(error.message or "")
    endpoint = error.details.get("Endpoint") if error.details else None
    if endpoint:
        message = f"{message} (the bucket is served by {endpoint})"
    return cloud_error(
        service=SERVICE,
        action=action,
        code=str(error.code or ""),
        message=message,
        request_id=str(error.request_id or ""),
        http_status=status,
    )
