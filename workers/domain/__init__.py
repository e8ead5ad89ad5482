"""The domain: what a request is and how each workflow may move, with no I/O at all.

Pure on purpose (import-linter keeps it so): no Redis, no Slack, no cloud SDK. Everything else — the
store, the lifecycle, the queues, the UI — imports from here, never the other way round. The fleet's
rules live here too: waves and their scheduling decision, maintenance windows, risk order, freezes, and
the fleet summary the App Home tab shows.
"""
