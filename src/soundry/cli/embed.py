"""``soundry embed SOURCE FILE... -o OUT``: per-file embeddings to .npy or .parquet."""

from __future__ import annotations

from soundry import api


def register(sub) -> None:
    p = sub.add_parser("embed", help="write per-file embeddings from a BEATs checkpoint or a classify bundle",
                       description="Embed audio files (or folders of them) with SOURCE: a checkpoint "
                                   "name (fetched on first use), an official BEATs .pt file, or a "
                                   "bundle folder made by `soundry export`. OUT.npy gets an (N, D) "
                                   "array and OUT.ids.txt the file ids in the same order; OUT.parquet "
                                   "gets id, path and embedding columns (needs pyarrow).")
    p.add_argument("source", help="checkpoint name, BEATs .pt file, or classify bundle folder")
    p.add_argument("files", nargs="+", help="audio files or folders")
    p.add_argument("-o", "--out", required=True, help="output file: .npy or .parquet")
    p.add_argument("--pooling", default="mean", choices=["mean", "max", "first", "last", "none"],
                   help="how tokens become one vector per file (none: keep tokens; .parquet only)")
    p.add_argument("--layer", type=int, help="BEATs layer to read (0-based, negative from the end; default last)")
    p.add_argument("--window", type=float, help="window length in seconds for long files")
    p.add_argument("--batch", type=int, default=8, help="windows per forward pass")
    p.add_argument("--cache", help="checkpoint cache folder")
    p.set_defaults(func=run)


def run(args) -> int:
    result = api.embed(args.source, args.files, out=args.out, pooling=args.pooling, layer=args.layer,
                       window_s=args.window, batch=args.batch, cache_dir=args.cache)
    print(f"{len(result.ids)} embeddings (dim {result.info['dim']}, pooling "
          f"{result.info['pooling']}) -> {', '.join(result.info['files'])}")
    return 0
