"""The Slack surface of ackmigrate: command grammar, listeners, authorisation, serving."""
