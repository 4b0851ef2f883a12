"""``soundry convert BUNDLE --voice NAME IN... OUT``: voice conversion of audio files."""

from __future__ import annotations

from soundry import api
from soundry.errors import DataError


def allow_intermixed(parser) -> None:
    """Let ``parser`` take options between positionals (``BUNDLE --voice X IN OUT``).

    argparse hands all positionals out at the first option, so IN OUT after ``--voice`` would be
    rejected; its intermixed mode re-reads them, and the subparser action only calls
    ``parse_known_args``, hence the subclass swap.
    """
    base = type(parser)

    class _Intermixed(base):
        _busy = False

        def parse_known_args(self, args=None, namespace=None):
            if self._busy:
                return base.parse_known_args(self, args, namespace)
            self._busy = True
            try:
                return self.parse_known_intermixed_args(args, namespace)
            finally:
                self._busy = False

    parser.__class__ = _Intermixed


def register(sub) -> None:
    p = sub.add_parser("convert", help="convert audio files into a voice of a vc bundle",
                       description="Convert audio files into one of a vc bundle's voices (CPU, no torch). "
                                   "Outputs have the inputs' durations at the bundle's output rate.")
    p.add_argument("bundle", help="vc bundle folder made by `soundry export`")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="IN.wav OUT.wav, or several inputs with -o DIR")
    p.add_argument("-v", "--voice", required=True, help="target voice: name or index (see voices.toml)")
    p.add_argument("-o", "--out-dir", help="write <stem>-<voice>.wav for every input into this folder")
    p.add_argument("--pitch-shift", type=float, default=0.0, help="semitones (+12 = one octave up)")
    p.add_argument("--formant-shift", type=float, default=0.0, help="semitones (about -2..2 sounds natural)")
    p.add_argument("--index-rate", type=float, default=0.0, help="retrieval blend 0..1 (0 = off)")
    p.add_argument("--auto-pitch", action="store_true",
                   help="add the shift from each input's average pitch to the voice's")
    p.set_defaults(func=run)
    allow_intermixed(p)


def run(args) -> int:
    if args.out_dir:
        inputs, outputs = args.paths, args.out_dir
    elif len(args.paths) == 2:
        inputs, outputs = args.paths[:1], args.paths[1:]
    else:
        raise DataError("give IN.wav OUT.wav, or input files with -o DIR")
    if not inputs:
        raise DataError("no input files given")
    if not 0.0 <= args.index_rate <= 1.0:
        raise DataError(f"--index-rate must be between 0 and 1, got {args.index_rate}")
    for item in api.convert(args.bundle, inputs, outputs, args.voice, args.pitch_shift,
                            args.formant_shift, args.index_rate, args.auto_pitch):
        print(f"{item['input']} -> {item['output']} ({item['voice']}, pitch {item['pitch_shift']:+.1f}, "
              f"{item['seconds']:.2f} s)")
    return 0
