"""The `ackmigrate` command: argv → the processes (serve, socket, worker, sandbox, demo) and the terminal
commands with their terminal renderers. It may import every other package; none imports it."""
