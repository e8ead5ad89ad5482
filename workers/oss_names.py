"""OSS's rule for a bucket name, in one place: the slash grammar and the checks must agree on it.

Pure (no SDK), so the bot can validate what a user typed without loading the cloud clients.
"""

from __future__ import annotations

import re

BUCKET_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
"""3–63 lowercase letters, digits and hyphens, starting and ending with a letter or digit."""


def is_bucket_name(name: str) -> bool:
    return BUCKET_NAME_RE.match(name) is not None
