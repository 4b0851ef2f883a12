"""``soundry stream BUNDLE --voice NAME``: live conversion from a microphone to a speaker."""

from __future__ import annotations

from soundry import api
from soundry.cli.convert import allow_intermixed
from soundry.errors import DataError


def register(sub) -> None:
    p = sub.add_parser("stream", help="live voice conversion between audio devices",
                       description="Convert the input device live into a voice of a vc bundle and play it "
                                   "on the output device. Type +1 / -1 / 0 and Enter to move the pitch, "
                                   "q to quit. Needs PortAudio (apt-get install libportaudio2).")
    p.add_argument("bundle", nargs="?", help="vc bundle folder made by `soundry export`")
    p.add_argument("-v", "--voice", help="target voice: name or index")
    p.add_argument("--input", help="input device: index or name (default: the system default)")
    p.add_argument("--output", help="output device: index or name (default: the system default)")
    p.add_argument("--block-ms", type=float, default=10.0,
                   help="milliseconds per model call, a multiple of 10 (more = less CPU, more latency)")
    p.add_argument("--pitch-shift", type=float, default=0.0, help="starting pitch shift in semitones")
    p.add_argument("--formant-shift", type=float, default=0.0, help="formant shift in semitones")
    p.add_argument("--index-rate", type=float, default=0.0, help="retrieval blend 0..1")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.add_argument("--list-devices", action="store_true", help="list audio devices and exit")
    p.set_defaults(func=run)
    allow_intermixed(p)


def run(args) -> int:
    if args.list_devices:
        for d in api.list_audio_devices():
            mark = (" (default input)" if d["default_input"] else "") + \
                   (" (default output)" if d["default_output"] else "")
            print(f"[{d['index']}] {d['name']} ({d['hostapi']}): {d['inputs']} in, {d['outputs']} out, "
                  f"{d['default_samplerate']:.0f} Hz{mark}")
        return 0
    if not args.bundle or args.voice is None:
        raise DataError("give a bundle and --voice NAME (or --list-devices)")
    stats = api.stream(args.bundle, args.voice, args.input, args.output, args.block_ms, args.pitch_shift,
                       args.formant_shift, args.index_rate, duration=args.duration)
    print(f"stopped: {stats['blocks']} blocks, {stats['underruns']} underruns")
    return 0
