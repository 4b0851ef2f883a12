"""``soundry prepare -d DATA -o OUT``: validate, report readiness, preprocess."""

from __future__ import annotations

import json

from soundry import api


def register(sub) -> None:
    p = sub.add_parser("prepare", help="check a data folder, report readiness and preprocess it",
                       description="Read every file once, report per label (files, minutes, quality, "
                                   "problems), and write resampled, sliced segments into OUT. The data "
                                   "folder is never modified.")
    p.add_argument("-d", "--data", required=True, help="folder with one sub-folder per label, a .csv or a .jsonl")
    p.add_argument("-o", "--out", required=True, help="output folder (report.json, segments, cache)")
    p.add_argument("--recipe", help="use this recipe's data settings and readiness thresholds")
    p.add_argument("-c", "--config", action="append", default=[], help="config file or preset name")
    p.add_argument("--json", action="store_true", help="print report.json instead of the table")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="data settings, e.g. data.sample_rates=[24000]")
    p.set_defaults(func=run)


def run(args) -> int:
    result = api.prepare(args.data, args.out, recipe=args.recipe, config=args.config, overrides=args.overrides)
    if args.json:
        print(json.dumps(result.report, indent=2))
    else:
        print(api.format_report(result.report))
        print(f"report: {result.out_dir}/report.json")
    return 0 if result.report.get("ready", True) else 1
