"""The `ackmigrate` console script: one entry point for every process and terminal command.

Each subcommand imports what it runs only when chosen, so `ackmigrate worker` never loads Slack Bolt
and `ackmigrate sandbox` never loads the production code it simulates a cloud for. The sandbox itself
is optional (the container image leaves it out): only `sandbox` and `demo` import it, and without it
they say how to get it.

Output commands may be piped into `head` or `less` that stop reading early; that ends the command
quietly, as it would end `cat`, instead of with a BrokenPipeError traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from cli.exit_codes import EXIT_FAILED, EXIT_USAGE
from workers.config import ConfigError, Settings, load_dotenv

SANDBOX_MISSING = (
    "ackmigrate: the sandbox is not installed here (the production image leaves it out); "
    "install it from a clone with: pip install '.[sandbox]'"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ackmigrate",
        description="Migrate ACK dedicated clusters to ACK Pro, with approvals in Slack.",
    )
    parser.add_argument("--env-file", default=".env", metavar="FILE",
                        help="read settings from FILE too (default .env; variables already set win)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="the bot over HTTP (POST /slack/events, /healthz, /metrics)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--workers", type=int, default=2, help="HTTP worker processes (default 2)")

    sub.add_parser("socket", help="the bot over Socket Mode")

    worker = sub.add_parser("worker", help="an RQ worker with the scheduler, on all of ackmigrate's queues")
    worker.add_argument("--burst", action="store_true", help="exit when the queues are empty")

    precheck = sub.add_parser("precheck", help="run the migration prechecks from a terminal")
    precheck.add_argument("cluster", metavar="CLUSTER", help="cluster id (c…) or name")
    precheck.add_argument("--bucket", help="OSS bucket the migration will use")
    precheck.add_argument("--region", help="region id (default: ACKMIGRATE_REGION)")
    precheck.add_argument("--json", action="store_true", help="one JSON document on stdout")

    listing = sub.add_parser("list", help="the region's dedicated clusters, each ready or with its blocking check")
    listing.add_argument("--region", help="region id (default: ACKMIGRATE_REGION)")
    listing.add_argument("--json", action="store_true", help="one JSON document on stdout")

    health = sub.add_parser("health", help="liveness of this host's worker or Socket Mode bot (exit 0 alive)")
    health.add_argument("role", choices=("worker", "socket"))

    verify = sub.add_parser("verify", help="check that a migrated cluster works; exit 1 when it does not")
    verify.add_argument("cluster", metavar="CLUSTER", help="cluster id (c…) or name")
    verify.add_argument("--json", action="store_true", help="one JSON document on stdout")

    plan = sub.add_parser("plan", help="the fleet's readiness: every dedicated cluster in the configured accounts "
                                       "and regions, prechecked")
    plan.add_argument("--account", help="one configured account alias (default: all)")
    plan.add_argument("--region", help="one configured region (default: all)")
    plan_output = plan.add_mutually_exclusive_group()
    plan_output.add_argument("--json", action="store_true", help="one JSON document on stdout")
    plan_output.add_argument("--csv", action="store_true", help="the full table as CSV on stdout")

    status = sub.add_parser("status", help="migrations in flight and recent results")
    status.add_argument("cluster", nargs="?", metavar="CLUSTER")
    status.add_argument("--json", action="store_true")

    audit = sub.add_parser("audit", help="the audit log")
    audit.add_argument("--since", help="ISO time (2026-11-01T00:00) or age (30m, 12h, 7d)")
    audit.add_argument("--cluster", help="only entries about this cluster (id or name)")
    audit.add_argument("--request", help="one request's whole story, in order (its id, e.g. m-1a2b3c4d5e6f)")
    audit.add_argument("--json", action="store_true", help="one JSON object per line")

    sandbox = sub.add_parser("sandbox", help="all simulated cloud and Slack endpoints in one process")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8701, help="ACK port; the others follow it")
    sandbox.add_argument("--env-file", help="write the environment lines that point ackmigrate here")
    sandbox.add_argument("--speed", type=float, default=1.0, help="simulated time runs X times faster")
    sandbox.add_argument("--scenario", default="default", help="named set of clusters to start with")
    sandbox.add_argument(
        "--slack-request-url",
        help="where simulated users' commands and clicks are delivered (the bot's /slack/events)",
    )
    sandbox.add_argument(
        "--no-redis", action="store_true",
        help="do not start a private redis-server (REDIS_URL is then yours to add to the env file)",
    )

    ready = sub.add_parser("sandbox-ready", help="wait until the sandbox writing ENV_FILE (and its Redis) answers")
    ready.add_argument("env_file", metavar="ENV_FILE")
    ready.add_argument("--timeout", type=float, default=60.0, help="seconds to wait (default 60)")

    sub.add_parser("demo", help="the whole journey offline, narrated in the terminal")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = _dispatch(args)
        sys.stdout.flush()  # inside the try: a reader that left early is noticed here, not at exit
        return code
    except ConfigError as error:
        print(f"ackmigrate: configuration error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _reader_went_away()


def _reader_went_away() -> int:
    """stdout's reader (`| head`) closed it: stop quietly. Python would otherwise report the pipe again
    when it flushes stdout at exit, so stdout is pointed at /dev/null first (the recipe in Python's
    documentation of SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_FAILED


def _settings(env_file: str) -> Settings:
    load_dotenv(env_file)
    return Settings.from_env()


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command
    if command in ("sandbox", "sandbox-ready", "demo"):
        try:
            return _run_sandbox_command(args)
        except ModuleNotFoundError as error:
            if error.name is None or error.name.split(".")[0] not in ("sandbox", "cryptography"):
                raise
            print(SANDBOX_MISSING, file=sys.stderr)
            return EXIT_USAGE
    settings = _settings(args.env_file)
    return _run_command(args, settings)


def _run_sandbox_command(args: argparse.Namespace) -> int:
    """`sandbox`, `sandbox-ready` and `demo`: the only commands that import the sandbox package."""
    if args.command == "sandbox":
        from cli.sandbox import run_sandbox_command

        return run_sandbox_command(
            host=args.host,
            port=args.port,
            env_file=args.env_file,
            speed=args.speed,
            scenario=args.scenario,
            slack_request_url=args.slack_request_url,
            private_redis=not args.no_redis,
        )
    if args.command == "sandbox-ready":
        from sandbox.ready import wait_until_ready

        return wait_until_ready(args.env_file, timeout_s=args.timeout)
    from cli.demo import run_demo

    return run_demo()


def _run_command(args: argparse.Namespace, settings: Settings) -> int:
    command = args.command
    if command == "serve":
        from bot.server import serve

        return serve(settings, host=args.host, port=args.port, workers=args.workers)
    if command == "socket":
        from bot.socket_mode import run_socket_mode

        return run_socket_mode(settings)
    if command == "worker":
        from workers.worker import run_worker

        return run_worker(settings, burst=args.burst)
    if command == "precheck":
        from cli.precheck import run_precheck

        return run_precheck(
            settings, cluster=args.cluster, bucket=args.bucket, region=args.region, as_json=args.json
        )
    if command == "list":
        from cli.listing import run_list

        return run_list(settings, region=args.region, as_json=args.json)
    if command == "health":
        from cli.health import run_health

        return run_health(settings, args.role)
    if command == "verify":
        from cli.verify import run_verify

        return run_verify(settings, cluster=args.cluster, as_json=args.json)
    if command == "plan":
        from cli.plan import run_plan_cli

        output = "json" if args.json else "csv" if args.csv else "text"
        return run_plan_cli(settings, account=args.account, region=args.region, output=output)
    if command == "status":
        from cli.status import run_status

        return run_status(settings, cluster=args.cluster, as_json=args.json)
    if command == "audit":
        from cli.audit import run_audit

        return run_audit(settings, since=args.since, cluster=args.cluster, as_json=args.json, request=args.request)
    raise AssertionError(f"unhandled command {command}")  # argparse only lets known commands through


if __name__ == "__main__":
    sys.exit(main())
