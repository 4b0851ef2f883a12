"""``soundry cv RECIPE -d DATA -o OUT [--folds-from fold|K]``: cross-validation."""

from __future__ import annotations

from soundry import api


def register(sub) -> None:
    p = sub.add_parser("cv", help="cross-validate: one run per fold, then mean and std",
                       description="Train one run per fold into OUT/fold-<k>/ and write OUT/cv.json "
                                   "with each fold's best metrics and their mean +- std. Folds come "
                                   "from a data column (ESC-50 and UrbanSound8K: fold) or are drawn "
                                   "(a number K, stratified by label).")
    p.add_argument("recipe", choices=["classify"], help="what to train")
    p.add_argument("-d", "--data", required=True, help="data folder, .csv, .jsonl, or a prepared folder")
    p.add_argument("-o", "--out", required=True, help="folder for the fold runs and cv.json")
    p.add_argument("--folds-from", default="fold", help="column with fold ids, or a number of folds")
    p.add_argument("-c", "--config", action="append", default=[], help="config file or preset name")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides")
    p.set_defaults(func=run)


def run(args) -> int:
    folds = int(args.folds_from) if str(args.folds_from).isdigit() else args.folds_from
    summary = api.cross_validate(args.recipe, args.data, args.out, folds_from=folds,
                                 config=args.config, overrides=args.overrides)
    for row in summary["folds"]:
        print(f"fold {row['fold']}: accuracy {row['accuracy']}, macro-F1 {row['macro_f1']}, mAP {row['mAP']}")
    for key in ("accuracy", "macro_f1", "mAP"):
        if key in summary:
            print(f"{key}: {summary[key]['mean']:.4f} +- {summary[key]['std']:.4f} over {summary[key]['n']} folds")
    print(f"summary: {args.out}/cv.json")
    return 0
