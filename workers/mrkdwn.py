"""Slack mrkdwn built safely: user-typed text can never become a mention, a link or broken formatting.

Slack reads `<!channel>`, `<@U…>` and `<http://…|…>` as control sequences, so a cluster named
`<!channel>` would page everyone. Everything a person typed goes through `escape` before it is placed
in a message; the helpers here are the only way control sequences are written.
"""

from __future__ import annotations

import re

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")


def escape(text: str) -> str:
    """Slack's three escapes; `&` first so the others are not escaped twice."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def user(uid: str) -> str:
    """A mention of a user (or a user group, S…); anything not an id is shown as plain text."""
    if _USER_ID.match(uid):
        return f"<@{uid}>"
    if _GROUP_ID.match(uid):
        return f"<!subteam^{uid}>"
    return escape(uid)


def link(url: str, label: str) -> str:
    """`<url|label>`; a `|` in the url would end it early, so it is percent-encoded."""
    safe_url = escape(url).replace("|", "%7C")
    return f"<{safe_url}|{escape(label)}>"


def code(text: str) -> str:
    """Inline code. Slack has no escape for a backtick inside code, so one is shown as a quote."""
    return f"`{escape(text).replace('`', 'ˋ')}`"


def bold(text: str) -> str:
    return f"*{escape(text)}*"
