"""``soundry demo``: the whole workflow on the built-in corpus."""

from __future__ import annotations

from soundry import api


def register(sub) -> None:
    p = sub.add_parser("demo", help="synthesise the demo corpus, prepare, train, export and run",
                       description="Runs prepare -> train -> export -> run on the built-in 4-speaker demo "
                                   "corpus and prints where everything is. vc (default): a phone encoder, "
                                   "then voice conversion, with held-out sentences converted into every "
                                   "voice and scored in eval/report.html. classify: speaker identification.")
    p.add_argument("-o", "--out", default="demo", help="folder for everything the demo writes")
    p.add_argument("--recipe", choices=["vc", "classify"], default="vc")
    p.add_argument("-c", "--config", default="demo", help="preset name or config file")
    p.add_argument("--engine", choices=["auto", "numpy", "espeak"], default="auto", help="corpus synthesiser")
    p.add_argument("overrides", nargs="*", metavar="key=value")
    p.set_defaults(func=run)


def run(args) -> int:
    s = api.demo(args.out, recipe=args.recipe, preset=args.config, engine=args.engine, overrides=args.overrides)
    print()
    print(f"demo corpus:      {s['data']}  ({s['engine']} voices; held-out sentences in {s['heldout']})")
    print(f"readiness report: {s['readiness']}")
    print(f"run folder:       {s['run']}  (config.yaml, events.jsonl, tb/, checkpoints/)")
    print(f"bundle:           {s['bundle']}")
    if s["recipe"] == "vc":
        figures = ", ".join(f"{k} {v:.3g}" for k, v in s["summary"].items() if isinstance(v, (int, float)))
        print(f"evaluation:       {s['report']}")
        print(f"                  {figures}")
        print(f"try it:           soundry convert {s['bundle']} --voice clara IN.wav OUT.wav")
    else:
        print(f"held-out speaker accuracy: {s['heldout_accuracy']:.1%} on {s['heldout_files']} files")
        print(f"try it:           soundry classify {s['bundle']} {s['data']}/<speaker>/<file>.wav")
    return 0
