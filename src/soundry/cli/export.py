"""``soundry export RUN [-o OUT] [--checkpoint best|latest|PATH]``."""

from __future__ import annotations

from soundry import api


def register(sub) -> None:
    p = sub.add_parser("export", help="write a run's model as a self-describing bundle",
                       description="Export the best (else latest) checkpoint of RUN as a bundle folder: "
                                   "ONNX model, weights, config and meta.json.")
    p.add_argument("run", help="run folder made by `soundry train`")
    p.add_argument("-o", "--out", help="bundle folder (default: RUN/export)")
    p.add_argument("--checkpoint", default="best", help="best, latest, or a checkpoint folder")
    p.set_defaults(func=run)


def run(args) -> int:
    out = api.export(args.run, args.out, checkpoint=args.checkpoint)
    print(f"bundle: {out}")
    return 0
