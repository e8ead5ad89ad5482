"""User-typed text in Slack messages stays text: no mentions, no links, no broken formatting."""

from __future__ import annotations

from workers import mrkdwn


def test_escape_turns_control_sequences_into_plain_text() -> None:
    assert mrkdwn.escape("<!channel> & <@U0BOB>") == "&lt;!channel&gt; &amp; &lt;@U0BOB&gt;"


def test_escape_of_an_escape_is_not_undone() -> None:
    assert mrkdwn.escape("&lt;!here&gt;") == "&amp;lt;!here&amp;gt;"


def test_user_mentions_ids_and_escapes_anything_else() -> None:
    assert mrkdwn.user("U0BOB") == "<@U0BOB>"
    assert mrkdwn.user("S0LEADS") == "<!subteam^S0LEADS>"
    assert mrkdwn.user("<!channel>") == "&lt;!channel&gt;"


def test_link_label_cannot_inject_and_pipe_in_url_cannot_end_it() -> None:
    assert mrkdwn.link("https://x.test/a|b", "<!here>") == "<https://x.test/a%7Cb|&lt;!here&gt;>"


def test_code_escapes_and_keeps_backticks_from_closing_it() -> None:
    assert mrkdwn.code("a`<b>") == "`aˋ&lt;b&gt;`"
