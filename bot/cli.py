"""The `ackmigrate` console script: one entry point for every process and terminal command.

Each subcommand imports what it runs only when chosen, so `ackmigrate worker` never loads Slack Bolt
and `ackmigrate sandbox` never loads the production code it simulates a cloud for.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from workers.config import ConfigError, Settings, load_dotenv

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ackmigrate",
        description="Migrate ACK dedicated clusters to ACK Pro, with approvals in Slack.",
    )
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

    sub.add_parser("demo", help="the whole journey offline, narrated in the terminal")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ConfigError as error:
        print(f"ackmigrate: configuration error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _settings() -> Settings:
    load_dotenv()
    return Settings.from_env()


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command
    if command == "sandbox":
        from sandbox.cli import run_sandbox

        return run_sandbox(
            host=args.host,
            port=args.port,
            env_file=args.env_file,
            speed=args.speed,
            scenario=args.scenario,
            slack_request_url=args.slack_request_url,
        )
    if command == "demo":
        from sandbox.demo import run_demo

        return run_demo()
    settings = _settings()
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
        from workers.checks.terminal import run_precheck

        return run_precheck(
            settings, cluster=args.cluster, bucket=args.bucket, region=args.region, as_json=args.json
        )
    if command == "plan":
        from workers.fleet.terminal import run_plan_cli

        output = "json" if args.json else "csv" if args.csv else "text"
        return run_plan_cli(settings, account=args.account, region=args.region, output=output)
    if command == "status":
        from workers.reports import run_status

        return run_status(settings, cluster=args.cluster, as_json=args.json)
    if command == "audit":
        from workers.reports import run_audit

        return run_audit(settings, since=args.since, cluster=args.cluster, as_json=args.json, request=args.request)
    raise AssertionError(f"unhandled command {command}")  # argparse only lets known commands through


if __name__ == "__main__":
    sys.exit(main())
