"""``soundry download NAME [--cache DIR]`` and ``soundry download --list``."""

from __future__ import annotations

import json

from soundry import api


def register(sub) -> None:
    p = sub.add_parser("download", help="fetch a named pretrained checkpoint into the cache",
                       description="Download and verify a named checkpoint (e.g. a BEATs backbone) "
                                   "into the cache, or list the known names. Training with "
                                   "model.checkpoint=NAME fetches it on first use as well.")
    p.add_argument("name", nargs="?", help="checkpoint name (see --list)")
    p.add_argument("--list", action="store_true", help="list the known checkpoints and whether each is cached")
    p.add_argument("--cache", help="cache folder (default: $SOUNDRY_CACHE/checkpoints or ~/.cache/soundry/checkpoints)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.list or not args.name:
        entries = api.list_checkpoints(cache_dir=args.cache)
        if args.json:
            print(json.dumps(entries, indent=2))
            return 0
        for e in entries:
            mark = "cached" if e["cached"] else "      "
            print(f"{e['name']:<30} {e['family']:<10} {mark}  {e['description']}")
        if not args.list:
            print("\nname one of these: soundry download NAME")
        return 0
    path = api.download(args.name, cache_dir=args.cache)
    print(json.dumps({"name": args.name, "path": str(path)}) if args.json else f"{args.name}: {path}")
    return 0
