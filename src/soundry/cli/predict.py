"""``soundry classify BUNDLE FILE...``: labels with probabilities."""

from __future__ import annotations

import json

from soundry import api


def register(sub) -> None:
    p = sub.add_parser("classify", help="label audio files with an exported classifier",
                       description="Print the top labels with probabilities for each file.")
    p.add_argument("bundle", help="bundle folder made by `soundry export`")
    p.add_argument("files", nargs="+", help="audio files")
    p.add_argument("-k", "--top", type=int, default=3, help="how many labels to show per file")
    p.add_argument("--json", action="store_true", help="print JSON lines instead of text")
    p.set_defaults(func=run)


def run(args) -> int:
    for pred in api.predict(args.bundle, args.files):
        top = pred.top(args.top)
        if args.json:
            print(json.dumps({"path": pred.path, "labels": [{"label": lb, "prob": p} for lb, p in top]}))
        else:
            print(f"{pred.path}: " + ", ".join(f"{lb} {p:.3f}" for lb, p in top))
    return 0
