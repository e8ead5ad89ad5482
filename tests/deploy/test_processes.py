"""The Procfiles and the Dockerfile start processes the CLI actually has (the manifests: test_manifests)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]


def _procfile(path: Path) -> dict[str, str]:
    entries = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = command.strip()
    return entries


def _ackmigrate_commands(command: str) -> list[list[str]]:
    """The arguments after `ackmigrate` of every command in a shell line (`a && exec b`), with the port
    expressions (`${PORT:-3000}`, `$PORT`, `$((PORT + 100))`) filled in with a number."""
    filled = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", command)
    filled = re.sub(r"\$\(\([^)]*\)\)|\$PORT\b", "5000", filled)
    commands = []
    for part in filled.split("&&"):
        words = shlex.split(part)
        if words[0] == "exec":
            words = words[1:]
        assert words[0] == "ackmigrate", command
        commands.append(words[1:])
    return commands


@pytest.mark.parametrize("procfile", ["Procfile", "deploy/Procfile.sandbox"])
def test_every_procfile_process_is_a_valid_ackmigrate_command(procfile: str) -> None:
    entries = _procfile(ROOT / procfile)
    assert {"web", "worker"} <= set(entries)
    for command in entries.values():
        for args in _ackmigrate_commands(command):
            build_parser().parse_args(args)  # exits (SystemExit) on an unknown option


def test_image_runs_as_non_root_from_the_hashed_lock() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "--require-hashes -r requirements.lock" in dockerfile
    assert re.search(r"^USER \d+$", dockerfile, re.MULTILINE), "the image must not run as root"
    lock = (ROOT / "requirements.lock").read_text()
    for package in ("slack-bolt", "kubernetes", "aliyun-python-sdk-core", "oss2", "redis", "rq", "gunicorn", "tzdata"):
        assert re.search(rf"^{package}==\S+ \\$", lock, re.MULTILINE), f"{package} is not pinned in the lock"
    assert "--hash=sha256:" in lock
