"""``soundry train RECIPE -d DATA -o RUN [-c CONFIG] [-r] [key=value ...]``."""

from __future__ import annotations

from soundry import api


def register(sub) -> None:
    p = sub.add_parser("train", help="train a recipe on a data folder (or resume a run)",
                       description="Train RECIPE on DATA into the run folder RUN. DATA is prepared into "
                                   "RUN/prepared first (re-using earlier work). -r resumes from the last "
                                   "checkpoint exactly where it stopped.")
    p.add_argument("recipe", choices=api.recipe_names(), help="what to train")
    p.add_argument("-d", "--data", help="data folder, .csv, .jsonl, or a folder made by `soundry prepare`")
    p.add_argument("-o", "--out", required=True, help="run folder (config, checkpoints, events.jsonl, tb/)")
    p.add_argument("-c", "--config", action="append", default=[],
                   help="config file or shipped preset name (tiny, demo, small); repeatable, applied in order")
    p.add_argument("-r", "--resume", action="store_true", help="continue from the run's last checkpoint")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides, e.g. train.steps=2000")
    p.set_defaults(func=run)


def run(args) -> int:
    result = api.train(args.recipe, args.data, args.out, config=args.config, overrides=args.overrides,
                       resume=args.resume)
    print(f"run: {args.out}  steps: {result.steps}  checkpoint: {result.last_checkpoint}")
    if result.best_checkpoint:
        print(f"best checkpoint: {result.best_checkpoint}")
    print(f"next: soundry export {args.out}")
    return 0
