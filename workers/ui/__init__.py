"""Every text a person reads in Slack, and all Block Kit, split by surface — no Slack client, no Redis here.

One module per surface: `request_message` (the channel message of a request, redrawn from the record),
`thread_replies` (one reply per event under it), `private_answers` (what one person is told: usage, "request
taken", refusals), `status` (`/ackmigrate status`), `plan_report` (the fleet readiness report), `modals`
(the form and the reject dialog), `home` (the App Home tab), `wave_message` (a wave's message, its thread
lines, its private answers, and the freeze announcements). Shared by all of them: `ids` (every
action/block/callback id, imported by the renderers and by the bot's listeners alike), `clock` (the one way a
time is shown), `kit` (Block Kit
pieces and Slack's limits), `checklist` (a precheck report as lines) and `words` (icons and nouns by state
and workflow).

Layering (import-linter, `pyproject.toml`): this package imports the records, the checks' models and
`slack_sdk.models`; never Redis, `workers.store`, `workers.cloud`, `workers.slack` or `bot`.
"""
