"""`soundry convert`, `stream` and `eval`: help, and one-line errors that need no bundle or device."""

import pytest

from soundry.cli.main import main
from soundry.errors import MissingDependencyError
from soundry.runtime import live


@pytest.mark.parametrize("command", ["convert", "stream", "eval", "evaluate"])
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0 and "usage: soundry" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["convert", "{tmp}/nope", "--voice", "a", "in.wav", "out.wav"],
    ["stream", "{tmp}/nope", "--voice", "a"],
    ["eval", "{tmp}/nope"],
])
def test_missing_bundle_is_one_line(argv, tmp_path, capsys):
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope" in err[0] and "soundry export" in err[0]


def _no_portaudio():
    raise MissingDependencyError("live streaming needs the PortAudio library (not found): install "
                                 "PortAudio (apt-get install libportaudio2)")


def test_stream_without_portaudio_is_one_line(monkeypatch, capsys):
    monkeypatch.setattr(live, "sounddevice_module", _no_portaudio)
    assert main(["stream", "--list-devices"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "libportaudio2" in err[0]


def test_stream_lists_no_devices(monkeypatch, capsys):
    import types

    sd = types.SimpleNamespace(query_devices=lambda: [], query_hostapis=lambda: [],
                               default=types.SimpleNamespace(device=(-1, -1)))
    monkeypatch.setattr(live, "sounddevice_module", lambda: sd)
    assert main(["stream", "--list-devices"]) == 0 and capsys.readouterr().out == ""


def test_stream_needs_a_voice(capsys):
    assert main(["stream"]) == 2
    assert "--voice" in capsys.readouterr().err
