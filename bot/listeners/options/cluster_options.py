"""The cluster picker: the region's dedicated clusters whose name or id contains what the person typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.pickers import PickerListener
from bot.services import Services


def listener(services: Services) -> Callable[..., Any]:
    return PickerListener(services, kind="clusters").answer
