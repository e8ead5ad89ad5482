"""The simulated Slack workspace: people, a user group, channels, and every message the bot left behind.

Tests and the demo read this model (through the control API) the way a person reads the channel: which
messages exist, what they say now, what they said before an edit, who saw which private reply. The Web
API handlers in `sandbox.slack` and the delivery code in `sandbox.slack_delivery` change it, always under
`World.lock`.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.slack_pace import ChannelPace

TEAM_ID = "T0SANDBOX"
TEAM_DOMAIN = "ackmigrate-sandbox"
TEAM_NAME = "ackmigrate sandbox"
APP_ID = "A0ACKMIGRATE"
BOT_USER_ID = "U0ACKBOT"
BOT_ID = "B0ACKBOT"
SLACKBOT_ID = "USLACKBOT"
VERIFICATION_TOKEN = "sandboxverificationtoken0"  # the deprecated per-app token Slack still sends in payloads

RESPONSE_URL_USES = 5
RESPONSE_URL_TTL_S = 30 * 60
TRIGGER_TTL_S = 3.0
"""Slack's own limits: a response_url works five times in 30 minutes; a trigger_id for 3 seconds, once."""

SCOPES = "app_mentions:read,chat:write,channels:history,groups:history,commands,usergroups:read,files:write"


@dataclass
class User:
    id: str
    name: str  # the handle, @alice
    real_name: str
    title: str = ""
    email: str = ""
    tz: str = "Asia/Shanghai"
    tz_label: str = "China Standard Time"
    tz_offset: int = 8 * 3600
    is_admin: bool = False
    is_bot: bool = False
    bot_id: str | None = None
    color: str = "9f69e7"

    def to_api(self) -> dict[str, Any]:
        """The `user` object of users.info / users.list, with the fields Slack always sends."""
        first, _, last = self.real_name.partition(" ")
        profile: dict[str, Any] = {
            "title": self.title,
            "phone": "",
            "skype": "",
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": "" if self.is_bot else self.name,
            "display_name_normalized": "" if self.is_bot else self.name,
            "fields": None,
            "status_text": "",
            "status_emoji": "",
            "status_expiration": 0,
            "avatar_hash": self.id.lower()[-8:],
            "first_name": first,
            "last_name": last,
            "image_24": f"https://avatars.slack-edge.com/sandbox/{self.id}_24.png",
            "image_48": f"https://avatars.slack-edge.com/sandbox/{self.id}_48.png",
            "image_72": f"https://avatars.slack-edge.com/sandbox/{self.id}_72.png",
            "team": TEAM_ID,
        }
        if self.email:
            profile["email"] = self.email
        if self.bot_id:
            profile["bot_id"] = self.bot_id
            profile["api_app_id"] = APP_ID
            profile["always_active"] = True
        return {
            "id": self.id,
            "team_id": TEAM_ID,
            "name": self.name,
            "deleted": False,
            "color": self.color,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": self.tz_label,
            "tz_offset": self.tz_offset,
            "profile": profile,
            "is_admin": self.is_admin,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1700000000,
            "is_email_confirmed": not self.is_bot,
            "who_can_share_contact_card": "EVERYONE",
        }


@dataclass
class Usergroup:
    id: str
    handle: str
    name: str
    description: str
    users: list[str]
    created: int = 1700000000

    def to_api(self, *, include_users: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "team_id": TEAM_ID,
            "is_usergroup": True,
            "is_subteam": True,
            "name": self.name,
            "description": self.description,
            "handle": self.handle,
            "is_external": False,
            "date_create": self.created,
            "date_update": self.created,
            "date_delete": 0,
            "auto_type": None,
            "created_by": "U0BOB",
            "updated_by": "U0BOB",
            "deleted_by": None,
            "prefs": {"channels": [], "groups": []},
            "user_count": len(self.users),
        }
        if include_users:
            data["users"] = list(self.users)
        return data


@dataclass
class Channel:
    id: str
    name: str
    members: set[str]
    topic: str = ""
    purpose: str = ""
    is_private: bool = False
    im_user: str | None = None  # a direct message channel between the bot and this user
    created: int = 1700000000

    @property
    def is_im(self) -> bool:
        return self.im_user is not None

    def to_api(self, *, for_user: str, include_num_members: bool = False) -> dict[str, Any]:
        """The `channel` object of conversations.info, as the caller (`for_user`) sees it."""
        if self.im_user is not None:
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "context_team_id": TEAM_ID,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
            }
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "created": self.created,
            "is_archived": False,
            "is_general": self.name == "general",
            "unlinked": 0,
            "name_normalized": self.name,
            "is_shared": False,
            "is_org_shared": False,
            "is_ext_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": TEAM_ID,
            "creator": "U0BOB",
            "is_member": for_user in self.members,
            "topic": {"value": self.topic, "creator": "U0BOB", "last_set": self.created},
            "purpose": {"value": self.purpose, "creator": "U0BOB", "last_set": self.created},
            "previous_names": [],
        }
        if include_num_members:
            data["num_members"] = len(self.members)
        return data


@dataclass
class Message:
    """A message in a channel (or a thread reply), with every earlier version kept in `edits`."""

    channel: str
    ts: str
    user: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    reply_broadcast: bool = False
    bot_id: str | None = None
    metadata: dict[str, Any] | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)  # earlier versions, oldest first
    edited: dict[str, str] | None = None
    deleted: bool = False
    replies: list[str] = field(default_factory=list)  # ts of replies, when this is a thread parent
    files: list[dict[str, Any]] = field(default_factory=list)  # files shared with it (files.completeUploadExternal)

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def to_api(self, *, with_metadata: bool = True) -> dict[str, Any]:
        """The message object Slack returns from chat.postMessage, history and block_actions payloads."""
        data: dict[str, Any] = {"type": "message", "user": self.user, "text": self.text, "ts": self.ts, "team": TEAM_ID}
        if self.bot_id:
            data["bot_id"] = self.bot_id
            data["app_id"] = APP_ID
            data["bot_profile"] = {
                "id": self.bot_id,
                "app_id": APP_ID,
                "name": "ackmigrate",
                "deleted": False,
                "team_id": TEAM_ID,
                "icons": {"image_48": "https://avatars.slack-edge.com/sandbox/ackmigrate_48.png"},
            }
        if self.blocks:
            data["blocks"] = self.blocks
        if self.attachments:
            data["attachments"] = self.attachments
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        if self.is_reply:
            data["parent_user_id"] = self.user
            if self.reply_broadcast:
                data["subtype"] = "thread_broadcast"
        if self.replies:
            data["reply_count"] = len(self.replies)
            data["latest_reply"] = self.replies[-1]
        if self.edited:
            data["edited"] = dict(self.edited)
        if self.metadata and with_metadata:
            data["metadata"] = self.metadata
        if self.files:
            data["files"] = list(self.files)
            data["upload"] = True
        return data

    def to_record(self) -> dict[str, Any]:
        """What the control API shows tests: the message as it is now, and how it got there."""
        return {
            "channel": self.channel,
            "ts": self.ts,
            "user": self.user,
            "text": self.text,
            "blocks": self.blocks,
            "attachments": self.attachments,
            "thread_ts": self.thread_ts,
            "reply_broadcast": self.reply_broadcast,
            "reply_count": len(self.replies),
            "edits": list(self.edits),
            "edited": self.edited,
            "metadata": self.metadata,
            "bot_id": self.bot_id,
            "files": list(self.files),
        }


@dataclass
class Ephemeral:
    """A message only `user` sees: chat.postEphemeral, a slash command's answer, or a response_url post."""

    channel: str
    user: str  # who sees it
    ts: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    source: str = "chat.postEphemeral"  # chat.postEphemeral | command_response | response_url | slack
    sender: str = BOT_USER_ID
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": "message", "user": self.sender, "text": self.text, "ts": self.ts}
        if self.blocks:
            data["blocks"] = self.blocks
        if self.sender == BOT_USER_ID:
            data["bot_id"] = BOT_ID
            data["app_id"] = APP_ID
        return data

    def to_record(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "user": self.user,
            "ts": self.ts,
            "text": self.text,
            "blocks": self.blocks,
            "thread_ts": self.thread_ts,
            "source": self.source,
            "sender": self.sender,
            "edits": list(self.edits),
        }


@dataclass
class ResponseUrl:
    """Where a slash command or a click came from, so a post to its response_url lands in the right place."""

    id: str
    kind: str  # command | block_actions
    channel: str
    user: str
    message_ts: str | None = None  # the message holding the clicked button
    is_ephemeral: bool = False
    created: float = field(default_factory=time.time)
    uses: int = 0


@dataclass
class Trigger:
    id: str
    user: str
    created: float = field(default_factory=time.time)
    used: bool = False


@dataclass
class OpenedView:
    id: str
    user: str
    trigger_id: str | None
    view: dict[str, Any]
    method: str
    time: float = field(default_factory=time.time)

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user": self.user,
            "trigger_id": self.trigger_id,
            "view": self.view,
            "method": self.method,
            "time": self.time,
        }


@dataclass
class HomeTab:
    """What one person's Home tab of the app shows: the last view published to them, and how often."""

    user: str
    id: str
    view: dict[str, Any]
    hash: str
    publishes: int = 1
    published_at: float = field(default_factory=time.time)

    def to_record(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "view_id": self.id,
            "view": self.view,
            "hash": self.hash,
            "publishes": self.publishes,
            "published_at": self.published_at,
        }


def _seed_users() -> dict[str, User]:
    people = [
        User("U0ALICE", "alice", "Alice Chen", "Site Reliability Engineer", "alice@example.com"),
        User("U0BOB", "bob", "Bob Martin", "Platform Lead", "bob@example.com", is_admin=True, color="e7392d"),
        User("U0CAROL", "carol", "Carol Wang", "Platform Lead", "carol@example.com", color="3c989f"),
        User("U0DAVE", "dave", "Dave Okafor", "Backend Developer", "dave@example.com", tz="Europe/Berlin",
             tz_label="Central European Time", tz_offset=3600, color="4bbe2e"),
        User(BOT_USER_ID, "ackmigrate", "ackmigrate", is_bot=True, bot_id=BOT_ID, tz="America/Los_Angeles",
             tz_label="Pacific Standard Time", tz_offset=-8 * 3600, color="757575"),
        User(SLACKBOT_ID, "slackbot", "Slackbot", is_bot=False, tz="America/Los_Angeles",
             tz_label="Pacific Standard Time", tz_offset=-8 * 3600, color="757575"),
    ]
    return {user.id: user for user in people}


HUMANS = ("U0ALICE", "U0BOB", "U0CAROL", "U0DAVE")


class SlackWorkspace:
    """One team, seeded the same way every time so tests and the demo can name people and channels."""

    def __init__(self, *, bot_token: str, signing_secret: str, request_url: str | None = None) -> None:
        self.bot_token = bot_token
        self.signing_secret = signing_secret
        self.request_url = request_url
        self.trigger_ttl_s = TRIGGER_TTL_S
        self.users = _seed_users()
        self.usergroups = {
            "S0PLATFORM": Usergroup(
                "S0PLATFORM", "platform-leads", "Platform leads",
                "People who approve production cluster changes", ["U0BOB", "U0CAROL"],
            )
        }
        self.channels = {
            "C0PLATFORM": Channel(
                "C0PLATFORM", "platform-ops", {*HUMANS, BOT_USER_ID},
                topic="Cluster operations · ACK migrations", purpose="Where the platform team runs production changes",
            ),
            "C0OTHER": Channel("C0OTHER", "random", set(HUMANS), purpose="Non-work banter"),
        }
        self.messages: dict[str, list[Message]] = {}
        self.ephemerals: list[Ephemeral] = []
        self.response_urls: dict[str, ResponseUrl] = {}
        self.triggers: dict[str, Trigger] = {}
        self.views: list[OpenedView] = []
        self.homes: dict[str, HomeTab] = {}  # user id → their Home tab (views.publish)
        self.pace = ChannelPace()  # every chat.postMessage / chat.update per channel, and the posting limit
        self.deliveries: list[dict[str, Any]] = []  # what was sent to the bot, and what it answered
        self.uploads: dict[str, Any] = {}  # file id → sandbox.slack_files.Upload
        self._last_us = 0
        self._ts_lock = threading.Lock()

    # --- identifiers ---------------------------------------------------------------------------------

    def next_ts(self) -> str:
        """A message timestamp in Slack's "seconds.micros" form, strictly increasing as Slack's are."""
        with self._ts_lock:
            self._last_us = max(int(time.time() * 1_000_000), self._last_us + 1)
            us = self._last_us
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def new_trigger(self, user: str) -> Trigger:
        trigger = Trigger(id=f"{int(time.time())}.{secrets.randbelow(10**10):010d}.{secrets.token_hex(16)}", user=user)
        self.triggers[trigger.id] = trigger
        return trigger

    def new_response_url(self, base_url: str, **origin: Any) -> tuple[str, ResponseUrl]:
        entry = ResponseUrl(id=f"{TEAM_ID}/{secrets.randbelow(10**12)}/{secrets.token_urlsafe(18)}", **origin)
        self.response_urls[entry.id] = entry
        return f"{base_url.rstrip('/')}/response/{entry.id}", entry

    # --- lookups -------------------------------------------------------------------------------------

    def user(self, ref: str) -> User | None:
        """A user by id (U0ALICE) or handle (alice, @alice)."""
        if ref in self.users:
            return self.users[ref]
        handle = ref.lstrip("@")
        return next((u for u in self.users.values() if u.name == handle), None)

    def channel(self, ref: str) -> Channel | None:
        """A channel by id (C0PLATFORM) or name (platform-ops, #platform-ops)."""
        if ref in self.channels:
            return self.channels[ref]
        name = ref.lstrip("#")
        return next((c for c in self.channels.values() if c.name == name and not c.is_im), None)

    def im_channel(self, user_id: str) -> Channel:
        """The bot's direct-message channel with a user, opened on first use as Slack does."""
        channel_id = "D" + user_id[1:]
        if channel_id not in self.channels:
            self.channels[channel_id] = Channel(channel_id, "", {user_id, BOT_USER_ID}, im_user=user_id)
        return self.channels[channel_id]

    def message(self, channel_id: str, ts: str) -> Message | None:
        return next((m for m in self.messages.get(channel_id, []) if m.ts == ts and not m.deleted), None)

    def ephemeral(self, channel_id: str, user_id: str, ts: str) -> Ephemeral | None:
        return next(
            (e for e in self.ephemerals if e.channel == channel_id and e.user == user_id and e.ts == ts and not e.deleted),
            None,
        )

    # --- changes -------------------------------------------------------------------------------------

    def add_message(self, message: Message) -> Message:
        self.messages.setdefault(message.channel, []).append(message)
        if message.is_reply:
            assert message.thread_ts is not None
            parent = self.message(message.channel, message.thread_ts)
            if parent is not None:
                parent.replies.append(message.ts)
                if parent.thread_ts is None:
                    parent.thread_ts = parent.ts
        return message

    def edit_message(
        self, message: Message | Ephemeral, *, text: str, blocks: list[dict[str, Any]], editor: str
    ) -> None:
        """Replace a message's content, keeping the version it replaces (Slack shows "(edited)")."""
        edit_ts = self.next_ts()
        message.edits.append({"ts": edit_ts, "text": message.text, "blocks": message.blocks})
        message.text = text
        message.blocks = blocks
        if isinstance(message, Message):
            message.edited = {"user": editor, "ts": edit_ts}

    def thread(self, channel_id: str, thread_ts: str) -> list[Message]:
        """A thread as conversations.replies shows it: the parent first, then the replies in order."""
        return [
            m
            for m in self.messages.get(channel_id, [])
            if not m.deleted and (m.ts == thread_ts or m.thread_ts == thread_ts)
        ]

    def channel_view(self, channel_id: str) -> list[Message]:
        """What the channel itself shows: top-level messages and replies also sent to the channel."""
        return [
            m
            for m in self.messages.get(channel_id, [])
            if not m.deleted and (not m.is_reply or m.reply_broadcast)
        ]

    def permalink(self, channel_id: str, message: Message) -> str:
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel_id}/p{message.ts.replace('.', '')}"
        if message.is_reply:
            link += f"?thread_ts={message.thread_ts}&cid={channel_id}"
        return link
