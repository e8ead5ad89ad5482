"""`/ackmigrate status [CLUSTER]`: read from Redis only, so it is answered inside the acknowledgement.

The views themselves are workers.ui.status' (the same words the channel uses); this module picks the
records and builds the thread links from the team URL, without a Slack call per record.
"""

from __future__ import annotations

import time

from bot.services import Services
from workers.ui import private_answers
from workers.ui.kit import Message
from workers.ui.status import status_detail, status_overview

RECENT_DAYS = 7
RECENT_LIMIT = 10


def status_message(services: Services, *, cluster: str | None, now: float | None = None) -> Message:
    moment = time.time() if now is None else now
    store = services.store
    if cluster is None:
        in_flight = store.in_flight()
        recent = store.recent(limit=RECENT_LIMIT, since=moment - RECENT_DAYS * 86_400)
        links = {r.id: link for r in (*in_flight, *recent) if (link := services.permalink(r.channel, r.message_ts))}
        return status_overview(in_flight, recent, now=moment, permalinks=links)
    records = store.for_cluster(cluster)
    if not records:
        text = private_answers.no_request_for(cluster)
        return Message(text=text, blocks=[])
    latest = records[0]
    return status_detail(latest, now=moment, permalink=services.permalink(latest.channel, latest.message_ts))
