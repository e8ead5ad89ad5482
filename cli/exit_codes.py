"""The exit codes every `ackmigrate` command uses: 0 done, 1 failed (or could not run), 2 used wrongly."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
