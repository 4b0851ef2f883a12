"""The public Python API: the same verbs as the command line.

    from soundry import api
    api.corpus_synth("demo/data")
    api.prepare("demo/data", "demo/prepared")
    result = api.train("classify", "demo/data", "demo/run", config=["demo"])
    bundle = api.export("demo/run")
    print(api.predict(bundle, ["a.wav"])[0].top(3))

Every function takes paths (str or Path) and raises ``soundry.errors.SoundryError`` subclasses
for problems a user can fix.
"""



from soundry.api.classify import classify, download, embed, list_checkpoints, load, predict
from soundry.api.data import (corpus_synth, data_config, format_report, inspect_audio, is_prepared,
                              prepare, recipe_names)
from soundry.api.demo import demo
from soundry.api.runs import cross_validate, export, read_run_info, resume, train
from soundry.api.vc import VC_MEASURES, convert, evaluate, list_audio_devices, load_voice_converter, stream

__all__ = [
    "VC_MEASURES", "classify", "convert", "corpus_synth", "cross_validate", "data_config", "demo", "download",
    "embed", "evaluate", "export", "format_report", "inspect_audio", "is_prepared", "list_audio_devices",
    "list_checkpoints", "load", "load_voice_converter", "predict", "prepare", "read_run_info",
    "recipe_names", "resume", "stream", "train",
]
