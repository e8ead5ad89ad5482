"""The OSS bucket the migration stages data in: valid name, in the cluster's region, no hotlink protection."""

from __future__ import annotations

from workers.checks.catalog import result
from workers.checks.model import CheckResult, Outcome
from workers.cloud.models import BucketInfo, BucketReferer
from workers.oss_names import is_bucket_name


def bucket_name_problem(name: str) -> str | None:
    """Why `name` cannot be an OSS bucket name, or None when it can (checked before any call)."""
    if is_bucket_name(name):
        return None
    return (
        f"{name!r} is not a valid OSS bucket name: 3-63 characters, lowercase letters, digits and '-', "
        "starting and ending with a letter or digit"
    )


def migrate_bucket_endpoint(*, bucket: str, region: str, extranet_endpoint: str = "") -> str:
    """MigrateCluster's `oss_bucket_endpoint`: the bucket's own domain, `<bucket>.oss-<region>.aliyuncs.com`.

    Where the form comes from: the official SDK models document the field only as "The endpoint of the OSS
    bucket", and the one example Alibaba publishes is `*******.oss-cn-hangzhou.aliyuncs.com` (the Go SDK
    alibabacloud-go/cs-20151215 MigrateClusterRequest.OssBucketEndpoint), i.e. bucket name + the region's
    public endpoint. The Terraform provider and the SDK samples we could search do not call MigrateCluster.
    The region endpoint is taken from the bucket's own info (extranet_endpoint) when OSS gave one."""
    return f"{bucket}.{extranet_endpoint or f'oss-{region}.aliyuncs.com'}"


def check_no_bucket() -> CheckResult:
    return result(
        "oss-bucket",
        Outcome.WARN,
        "No bucket named, so the bucket was not checked.",
        "Name the bucket the migration will use (--bucket B).",
    )


def check_invalid_bucket(problem: str | None) -> CheckResult:
    """The bucket named cannot be checked: its name is not a bucket name (`bucket_name_problem`)."""
    return result("oss-bucket", Outcome.FAIL, f"{problem or 'not a valid bucket name'}.", "Name a valid bucket.")


def check_missing_bucket(*, bucket: str, region: str) -> CheckResult:
    return result(
        "oss-bucket",
        Outcome.FAIL,
        f"Bucket {bucket} does not exist.",
        f"Create bucket {bucket} in {region} (hotlink protection off), or name an existing one.",
    )


def check_oss_bucket(*, bucket: str, region: str, info: BucketInfo, referer: BucketReferer) -> CheckResult:
    expected = f"oss-{region}"
    if info.location != expected:
        return result(
            "oss-bucket",
            Outcome.FAIL,
            f"Bucket {bucket} is in {info.location or 'an unknown region'}, not in the cluster's region ({expected}).",
            f"Use a bucket in {region}.",
        )
    if referer.hotlink_protection:
        listed = ", ".join((*referer.referers, *referer.black_referers))
        return result(
            "oss-bucket",
            Outcome.FAIL,
            f"Bucket {bucket} has hotlink protection on (referers: {listed}).",
            "Turn hotlink protection off (clear the referer lists) in the OSS console.",
        )
    return result(
        "oss-bucket", Outcome.PASS, f"Bucket {bucket} is in {info.location}; hotlink protection is off."
    )
