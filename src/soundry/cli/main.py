"""The ``soundry`` command: one small module per subcommand, all calling :mod:`soundry.api`."""

from __future__ import annotations

import argparse
import sys

from soundry import __version__
from soundry.cli import (convert, corpus, cv, demo, download, embed, evaluate, export, predict, prepare,
                         serve, stream, train)
from soundry.errors import SoundryError

COMMANDS = (prepare, train, export, predict, convert, stream, evaluate, embed, cv, download, corpus, serve, demo)


class _Parser(argparse.ArgumentParser):
    """argparse with the house error style: one line that says what to do, exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="soundry",
        description="Train audio models from folders of audio and run what you train: "
                    "prepare -> train -> export -> run.")
    parser.add_argument("--version", action="version", version=f"soundry {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; user errors print one line and return 2."""
    parser = build_parser()
    # key=value overrides may come after options (`-o run train.steps=5`), which argparse's
    # positional matching does not allow: collect the leftovers that look like overrides.
    args, extra = parser.parse_known_args(argv)
    if extra:
        if hasattr(args, "overrides") and all("=" in e and not e.startswith("-") for e in extra):
            args.overrides = list(args.overrides or []) + extra
        else:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return int(args.func(args) or 0)
    except SoundryError as exc:
        code = getattr(exc, "exit_code", 2)
        label = "stopped" if code == 130 else "error"
        print(f"soundry: {label}: {exc}", file=sys.stderr)
        return code
    except KeyboardInterrupt:
        print("soundry: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
