"""One call path for every aliyunsdkcore request (ACK's ROA, ECS/SLB/RAM's RPC).

It points the request at the endpoint, sends it with the SDK's own retries off (ours are bounded and
jittered, and know which calls are safe to repeat), decodes the JSON body, and turns SDK exceptions into
workers.errors with the request id.
"""

from __future__ import annotations

import json
import logging
from contextlib import AbstractContextManager
from typing import Any

from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import AcsRequest

from workers.cloud.credentials import CloudCredentials
from workers.cloud.endpoints import ApiEndpoint
from workers.cloud.limits import no_limit
from workers.cloud.retry import RetryPolicy, call_with_retry
from workers.cloud.translate import cloud_error
from workers.errors import CloudError, Unavailable

_SDK_NOT_JSON = "Failed to parse response as json format. Response:%s"


class _ArrayBodyIsJson(logging.Filter):
    """Drops aliyunsdkcore's "Failed to parse response as json format" warning when the body *is* JSON, an
    array: the SDK reads every answer as an object for its RequestId, and ACK answers DescribeClusterResources
    (https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/developer-reference/api-cs-2015-12-15-describeclusterresources)
    with a top-level array. Unfiltered, a 500-cluster plan logged 500 warnings, each with a cluster's whole
    resource list. A body that really is not JSON is still warned about."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != _SDK_NOT_JSON or not record.args:
            return True
        body = record.args[0] if isinstance(record.args, tuple) else record.args
        try:
            return not isinstance(json.loads(body), list)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return True


logging.getLogger("aliyunsdkcore.client").addFilter(_ArrayBodyIsJson())

_UNKNOWN_BODY_PREFIX = "ServerResponseBody: "
_STRING_TO_SIGN_MARKER = " server string to sign is:"


class AcsTransport:
    """Sends requests for one service in one region; shared by the threads of a precheck run."""

    def __init__(
        self,
        *,
        service: str,
        region: str,
        credentials: CloudCredentials,
        endpoint: ApiEndpoint | None,
        retry: RetryPolicy,
        timeout_s: float = 20.0,
        slot: AbstractContextManager[object] | None = None,
    ) -> None:
        self.service = service
        self._slot = slot if slot is not None else no_limit()
        self.region = region
        self._endpoint = endpoint
        self._retry = retry
        self._client = AcsClient(
            region_id=region,
            credential=credentials.for_aliyunsdkcore(),
            auto_retry=False,
            timeout=timeout_s,
            connect_timeout=5,
            pool_size=16,
        )

    def call(self, build: Any, *, action: str, idempotent: bool = True) -> Any:
        """Send the request `build()` returns (a fresh one per attempt: the SDK mutates requests)."""
        return call_with_retry(
            lambda: self._send(build(), action=action), policy=self._retry, idempotent=idempotent
        )

    def _send(self, request: AcsRequest, *, action: str) -> Any:
        with self._slot:  # held for this attempt only; the backoff between attempts waits outside it
            return self._send_now(request, action=action)

    def _send_now(self, request: AcsRequest, *, action: str) -> Any:
        if self._endpoint is not None:
            request.set_endpoint(self._endpoint.host)
            request.set_protocol_type(self._endpoint.protocol)
        else:
            request.set_protocol_type("https")
        try:
            body = self._client.do_action_with_exception(request)
        except ServerException as error:
            raise self._server_error(error, action=action) from error
        except ClientException as error:
            raise self._client_error(error, action=action) from error
        return json.loads(body) if body else {}

    def _server_error(self, error: ServerException, *, action: str) -> CloudError:
        code = str(error.get_error_code() or "")
        message = str(error.get_error_msg() or "")
        request_id = str(error.get_request_id() or "")
        if message.startswith(_UNKNOWN_BODY_PREFIX):
            # ACK answers {"code", "message", "requestId"}; aliyunsdkcore only reads Code/Message/RequestId.
            code, message, request_id = _lower_case_error(
                message[len(_UNKNOWN_BODY_PREFIX) :], code, request_id
            )
        # A signature mismatch echoes the whole string to sign: noise for an operator, who needs the verdict.
        message = message.split(_STRING_TO_SIGN_MARKER, 1)[0]
        return cloud_error(
            service=self.service,
            action=action,
            code=code,
            message=message,
            request_id=request_id,
            http_status=error.get_http_status(),
        )

    def _client_error(self, error: ClientException, *, action: str) -> CloudError:
        code = str(error.get_error_code() or "")
        if code == "SDK.HttpError":
            return Unavailable(
                service=self.service, action=action, code=code, message=str(error.get_error_msg())
            )
        return cloud_error(
            service=self.service,
            action=action,
            code=code,
            message=str(error.get_error_msg()),
            request_id="",
            http_status=None,
        )


def _lower_case_error(body: str, code: str, request_id: str) -> tuple[str, str, str]:
    try:
        parsed = json.loads(body)
    except ValueError:
        return code, body, request_id
    if not isinstance(parsed, dict):
        return code, body, request_id
    return (
        str(parsed.get("code") or parsed.get("Code") or code),
        str(parsed.get("message") or parsed.get("Message") or body),
        str(parsed.get("requestId") or parsed.get("request_id") or parsed.get("RequestId") or request_id),
    )
