"""The simulated OSS answers oss2 (V1 and V4 signatures) the way the real OSS does, errors included."""

from __future__ import annotations

from collections.abc import Iterator

import oss2
import pytest

from sandbox.httpserver import ServiceServer
from sandbox.oss import OssService, crc64_ecma
from sandbox.world import World

ACCESS_KEY_ID = "LTAI5tOssTestKey0001"
SECRET = "oss-test-secret"
BUCKET = "ack-migrate-hz"


@pytest.fixture
def world() -> World:
    world = World()
    world.add_credential(ACCESS_KEY_ID, SECRET)
    world.create_bucket({"name": BUCKET, "region_id": "cn-hangzhou"})
    return world


@pytest.fixture
def endpoint(world: World) -> Iterator[str]:
    server = ServiceServer(world=world, service=OssService(world), host="127.0.0.1", port=0)
    server.start()
    yield server.url
    server.stop()


AUTHS = {
    "v1": lambda secret: oss2.Auth(ACCESS_KEY_ID, secret),
    "v4": lambda secret: oss2.AuthV4(ACCESS_KEY_ID, secret),
}


def _bucket(endpoint: str, version: str, name: str = BUCKET, secret: str = SECRET) -> oss2.Bucket:
    return oss2.Bucket(AUTHS[version](secret), endpoint, name, region="cn-hangzhou")


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_bucket_info_reports_the_bucket_region_and_endpoints(endpoint: str, version: str) -> None:
    info = _bucket(endpoint, version).get_bucket_info()

    assert info.name == BUCKET
    assert info.location == "oss-cn-hangzhou"
    assert info.extranet_endpoint == "oss-cn-hangzhou.aliyuncs.com"
    assert info.intranet_endpoint == "oss-cn-hangzhou-internal.aliyuncs.com"
    assert info.storage_class == "Standard"
    assert info.acl.grant == "private"
    assert info.creation_date.endswith(".000Z")


def test_bucket_in_another_region_reports_that_region(world: World, endpoint: str) -> None:
    world.create_bucket({"name": "ack-migrate-sh", "region_id": "cn-shanghai"})

    info = _bucket(endpoint, "v4", name="ack-migrate-sh").get_bucket_info()

    assert info.location == "oss-cn-shanghai"


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_referer_of_a_plain_bucket_shows_hotlink_protection_off(endpoint: str, version: str) -> None:
    referer = _bucket(endpoint, version).get_bucket_referer()

    assert referer.allow_empty_referer is True
    assert referer.referers == []


def test_referer_of_a_protected_bucket_lists_its_referers(world: World, endpoint: str) -> None:
    world.create_bucket({"name": "hotlinked", "referers": ["https://*.example.com"]})

    referer = _bucket(endpoint, "v4", name="hotlinked").get_bucket_referer()

    assert referer.allow_empty_referer is False
    assert referer.referers == ["https://*.example.com"]


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_object_round_trip_put_get_delete(world: World, endpoint: str, version: str) -> None:
    bucket = _bucket(endpoint, version)

    put = bucket.put_object("etcd/snap shot.db", b"etcd data")
    body = bucket.get_object("etcd/snap shot.db").read()  # oss2 checks the CRC64 header as it reads
    bucket.delete_object("etcd/snap shot.db")

    assert put.status == 200
    assert put.crc == crc64_ecma(b"etcd data")
    assert body == b"etcd data"
    assert "etcd/snap shot.db" not in world.buckets[BUCKET].objects
    with pytest.raises(oss2.exceptions.NoSuchKey) as raised:
        bucket.get_object("etcd/snap shot.db")
    assert raised.value.details["Key"] == "etcd/snap shot.db"


def test_crc64_matches_oss2s_own() -> None:
    crc = oss2.utils.Crc64()
    crc.update(b"123456789")

    assert crc64_ecma(b"123456789") == crc.crc == 0x995DC9BBDF1939FA


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_missing_bucket_raises_no_such_bucket_with_oss_error_fields(endpoint: str, version: str) -> None:
    with pytest.raises(oss2.exceptions.NoSuchBucket) as raised:
        _bucket(endpoint, version, name="no-such-bucket").get_bucket_info()

    error = raised.value
    assert error.status == 404
    assert error.details["BucketName"] == "no-such-bucket"
    assert error.details["HostId"] == "no-such-bucket.oss-cn-hangzhou.aliyuncs.com"
    assert error.request_id and error.request_id == error.details["RequestId"]


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_wrong_secret_is_refused_with_signature_does_not_match(world: World, endpoint: str, version: str) -> None:
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch) as raised:
        _bucket(endpoint, version, secret="not-the-secret").get_bucket_info()

    error = raised.value
    assert error.status == 403
    assert error.details["OSSAccessKeyId"] == ACCESS_KEY_ID
    assert error.details["StringToSign"]
    prefix = "OSS4-HMAC-SHA256\n" if version == "v4" else "GET\n"
    assert error.details["StringToSign"].startswith(prefix)
    assert [(c.action, c.status, c.error_code) for c in world.calls.list(service="oss")] == [
        ("GetBucketInfo", 403, "SignatureDoesNotMatch")
    ]


def test_unknown_access_key_is_refused_with_invalid_access_key_id(endpoint: str) -> None:
    bucket = oss2.Bucket(oss2.AuthV4("LTAI5tNobodyKnowsMe", SECRET), endpoint, BUCKET, region="cn-hangzhou")

    with pytest.raises(oss2.exceptions.OssError) as raised:
        bucket.get_bucket_referer()

    assert (raised.value.status, raised.value.code) == (403, "InvalidAccessKeyId")
    assert raised.value.details["OSSAccessKeyId"] == "LTAI5tNobodyKnowsMe"


def test_injected_fault_reaches_oss2_as_an_oss_error(world: World, endpoint: str) -> None:
    world.faults.add({"service": "oss", "action": "GetBucketInfo", "http_status": 503, "count": 1})

    with pytest.raises(oss2.exceptions.ServerError) as raised:
        _bucket(endpoint, "v4").get_bucket_info()

    assert raised.value.status == 503
    assert _bucket(endpoint, "v4").get_bucket_info().name == BUCKET  # only the next call failed
