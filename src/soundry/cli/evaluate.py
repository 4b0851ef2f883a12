"""``soundry eval BUNDLE [--data DIR] [-o OUT]``: convert test utterances into every voice, report."""

from __future__ import annotations

from soundry import api


def register(sub) -> None:
    p = sub.add_parser("eval", aliases=["evaluate"], help="evaluate a vc bundle (report.html)",
                       description="Convert every utterance of DATA/<speaker>/ (default: held-out demo "
                                   "sentences) into every voice and write report.html + metrics.json "
                                   "with pitch tracking, speaker similarity and DNSMOS.")
    p.add_argument("bundle", help="vc bundle folder made by `soundry export`")
    p.add_argument("-d", "--data", help="folder of speaker folders with audio files")
    p.add_argument("-o", "--out", help="report folder (default: BUNDLE/eval)")
    p.add_argument("--measures", default=",".join(api.VC_MEASURES),
                   help="comma-separated subset of f0,speaker,dnsmos")
    p.add_argument("--no-auto-pitch", dest="auto_pitch", action="store_false",
                   help="convert without shifting each utterance to the voice's average pitch")
    p.set_defaults(func=run)


def run(args) -> int:
    measures = [m.strip() for m in args.measures.split(",") if m.strip()]
    report = api.evaluate(args.bundle, args.data, args.out, measures=measures, auto_pitch=args.auto_pitch)
    print(f"report: {report}")
    return 0
