"""``soundry demo``: the whole workflow on the built-in corpus."""

from __future__ import annotations

from soundry import api


def register(sub) -> None:
    p = sub.add_parser("demo", help="synthesise the demo corpus, prepare, train, export and run",
                       description="Runs prepare -> train -> export -> run on the built-in demo corpus "
                                   "(speaker identification) and prints where everything is.")
    p.add_argument("-o", "--out", default="demo", help="folder for everything the demo writes")
    p.add_argument("-c", "--config", default="demo", help="classify preset or config file")
    p.add_argument("--engine", choices=["auto", "numpy", "espeak"], default="auto", help="corpus synthesiser")
    p.add_argument("overrides", nargs="*", metavar="key=value")
    p.set_defaults(func=run)


def run(args) -> int:
    s = api.demo(args.out, preset=args.config, engine=args.engine, overrides=args.overrides)
    print()
    print(f"demo corpus:      {s['data']}")
    print(f"readiness report: {s['report']}")
    print(f"run folder:       {s['run']}  (events.jsonl, tb/, checkpoints/)")
    print(f"bundle:           {s['bundle']}")
    print(f"held-out speaker accuracy: {s['heldout_accuracy']:.1%} on {s['heldout_files']} files")
    print(f"try it:           soundry classify {s['bundle']} {s['data']}/<speaker>/<file>.wav")
    return 0
