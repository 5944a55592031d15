"""The `frontdesk` command: serve the site, run the worker, and operate it.

- `base.py`     `CommandError`, logging, `run_with_db` (the one way a command opens the database)
- `serve.py`    `serve`, `check`, `migrate`
- `init.py`     `init DIR`: a new site folder
- `delivery.py` `worker`, `deliveries`
- `endpoints.py` `endpoints add|list|pause|disable|resume|rotate|remove|test`
- `staff.py`    `staff add|list|disable|enable|set-password`
- `tokens.py`   `tokens create|list|revoke`: API tokens for `/api/v1`
- `privacy.py`  `purge`, `erase`
- `backup.py`   `backup`, `restore`

Every subcommand reads settings from the environment once. Problems a person can fix (a bad setting, an
invalid content file, a missing account) print one clear line to stderr and exit with code 2, never a
traceback. The command modules import what they need inside their handlers, so building the parser (and
`frontdesk --version`) loads none of the site.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from frontdesk import __version__
from frontdesk.cli import backup, delivery, endpoints, init, privacy, serve, staff, tokens
from frontdesk.cli.base import CommandError
from frontdesk.settings import Settings, SettingsError

__all__ = ["CommandError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="frontdesk", description="Run and operate a Frontdesk site.")
    parser.add_argument("--version", action="version", version=f"frontdesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (init, serve, delivery, endpoints, staff, tokens, privacy, backup):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # --version and --help exit here, having loaded nothing of the site
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    from frontdesk.content import ContentError
    from frontdesk.logs import configure_logging

    try:
        if not getattr(args, "needs_settings", True):  # `init`: the settings of wherever it runs do not matter
            return int(args.handler(args, Settings()))
        settings = Settings.from_env()
        configure_logging(settings)
        return int(args.handler(args, settings))
    except SettingsError as exc:
        print(f"frontdesk: {exc}", file=sys.stderr)
        return 2
    except ContentError as exc:
        print(
            f"frontdesk: invalid content ({len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''}):",
            file=sys.stderr,
        )
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"frontdesk: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
