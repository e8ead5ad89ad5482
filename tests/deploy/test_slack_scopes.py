"""deploy/slack-app-manifest.yml asks for exactly the Slack scopes the code needs: no fewer, no more.

The Web API methods are read from the code (every `WebClient` method called in bot/ and workers/,
mapped to its API method through slack_sdk's own source), the scopes each needs are Slack's documented
ones, and the events and the slash command add theirs. A new call without its scope fails here, not in
a workspace with `missing_scope`; a scope nothing uses fails here too (least privilege).
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import yaml
from slack_sdk import WebClient

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "deploy" / "slack-app-manifest.yml"

METHOD_SCOPES: dict[str, frozenset[str]] = {
    # https://api.slack.com/methods/<method>: "Required scopes" (bot token)
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.postEphemeral": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),
    "chat.getPermalink": frozenset(),
    "conversations.replies": frozenset({"channels:history", "groups:history"}),  # public and private channels
    "conversations.history": frozenset({"channels:history", "groups:history"}),
    "usergroups.users.list": frozenset({"usergroups:read"}),
    "views.open": frozenset(),
    "views.update": frozenset(),
    "views.publish": frozenset(),
    "auth.test": frozenset(),
    # https://docs.slack.dev/reference/methods/files.getUploadURLExternal and …/files.completeUploadExternal
    "files.getUploadURLExternal": frozenset({"files:write"}),
    "files.completeUploadExternal": frozenset({"files:write"}),
}
"""Every Web API method the code may call and the bot scopes Slack documents for it."""

NON_METHOD_SCOPES = {
    "commands": "the /ackmigrate slash command (features.slash_commands)",
    "app_mentions:read": "the app_mention event (settings.event_subscriptions.bot_events)",
}


def _api_method(client_method: str) -> str | None:
    """slack_sdk's WebClient method → the API method it calls (read from its `api_call("…")`)."""
    function = getattr(WebClient, client_method, None)
    if function is None or not callable(function):
        return None
    found = re.search(r'api_call\(\s*"([a-zA-Z.]+)"', inspect.getsource(function))
    return found.group(1) if found else None


def api_methods_called_by_code() -> set[str]:
    found: set[str] = set()
    for path in [*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("workers").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and re.fullmatch(r"[a-z]+_[A-Za-z_]+", node.attr):
                method = _api_method(node.attr)
                if method is not None:
                    found.add(method)
    return found


def test_the_scan_finds_the_calls_we_know_about() -> None:
    assert {"chat.postMessage", "chat.update", "conversations.replies", "usergroups.users.list"} <= (
        api_methods_called_by_code())


def test_every_called_method_has_its_documented_scopes_listed_here() -> None:
    unknown = api_methods_called_by_code() - set(METHOD_SCOPES)
    assert not unknown, f"add the documented scopes of {sorted(unknown)} to METHOD_SCOPES"


def test_the_manifest_asks_for_exactly_the_scopes_the_code_needs() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    needed = set(NON_METHOD_SCOPES).union(*(METHOD_SCOPES[m] for m in api_methods_called_by_code()))
    assert granted - needed == set(), f"scopes nothing uses (least privilege): {sorted(granted - needed)}"
    assert needed - granted == set(), f"scopes the code needs but the manifest lacks: {sorted(needed - granted)}"
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_mention", "app_home_opened"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True  # else views.publish is `not_enabled`
    assert manifest["features"]["slash_commands"][0]["command"] == "/ackmigrate"
