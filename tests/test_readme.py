"""The README's commands exist: the two make targets come first, every `soundry ...` line
parses, and every `api.` function it names is real."""

import re
import shlex
from pathlib import Path

from soundry import api
from soundry.cli.main import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"


def _code_lines() -> list[str]:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:bash|python)?\n(.*?)```", text, flags=re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]


def test_first_two_commands_are_make_demo_and_make_test():
    lines = [ln for ln in _code_lines() if ln]
    assert lines[:2] == ["make demo", "make test"]
    makefile = (README.parent / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, flags=re.M) and re.search(r"^test:", makefile, flags=re.M)


def test_every_soundry_command_parses():
    parser = build_parser()
    commands = [ln for ln in _code_lines() if ln.startswith("soundry ")]
    assert len(commands) >= 5
    for line in commands:
        args, extra = parser.parse_known_args(shlex.split(line)[1:])
        assert all("=" in e for e in extra), line
        assert callable(args.func), line


def test_every_api_function_named_exists():
    names = set(re.findall(r"api\.(\w+)\(", README.read_text(encoding="utf-8")))
    assert names and all(callable(getattr(api, n, None)) for n in names), names
