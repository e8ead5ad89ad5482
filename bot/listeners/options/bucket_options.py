"""The bucket picker: the buckets in the region of the clusters offered (a migration's bucket must be there)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.pickers import PickerListener
from bot.services import Services


def listener(services: Services) -> Callable[..., Any]:
    return PickerListener(services, kind="buckets").answer
