"""``soundry corpus synth OUT``: the built-in demo corpus, made offline."""

from __future__ import annotations

from soundry import api


def register(sub) -> None:
    p = sub.add_parser("corpus", help="make or fetch corpora")
    csub = p.add_subparsers(dest="corpus_command", metavar="ACTION")
    csub.required = True
    s = csub.add_parser("synth", help="synthesise the multi-speaker demo corpus with transcripts",
                        description="Write OUT/<speaker>/<speaker>_NNN.wav with .txt transcripts. Uses "
                                    "espeak-ng when installed, else a built-in source-filter synthesiser.")
    s.add_argument("out", help="output folder")
    s.add_argument("--speakers", type=int, default=4)
    s.add_argument("--sentences", type=int, default=30, help="sentences per speaker")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--engine", choices=["auto", "numpy", "espeak"], default="auto")
    s.add_argument("--sample-rate", type=int, default=22050)
    s.set_defaults(func=run_synth)


def run_synth(args) -> int:
    info = api.corpus_synth(args.out, speakers=args.speakers, sentences=args.sentences, seed=args.seed,
                            engine=args.engine, sample_rate=args.sample_rate)
    print(f"corpus: {args.out} ({info})")
    return 0
