"""THE resume test: SIGKILL a training process after a checkpoint, resume, compare every loss."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import train_toy
from soundry.train import Trainer
from train_toy import stage_events, step_losses
from train_toy_script import toy_config


def _run_until_past_a_checkpoint(run: Path, workers: int) -> None:
    """Start the toy script, wait until a step after its first checkpoint is logged, SIGKILL it."""
    script = Path(__file__).with_name("train_toy_script.py")
    log = (run.parent / "script.log").open("w")
    proc = subprocess.Popen([sys.executable, str(script), str(run), "--workers", str(workers),
                             "--sleep", "0.05"], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)  # its own group: the loader workers die too
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            saved = stage_events(run, "checkpoint")
            if saved and max(step_losses(run), default=0) > saved[0]["step"]:
                break
            assert proc.poll() is None, (run.parent / "script.log").read_text()
            time.sleep(0.02)
        else:
            pytest.fail("the training script wrote no checkpoint within 60 s")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        log.close()
    assert proc.returncode == -signal.SIGKILL
    assert not stage_events(run, "done")


@pytest.mark.parametrize("workers", [0, 2])
def test_killed_run_resumes_to_identical_losses(tmp_path, workers):
    run = tmp_path / "killed"
    _run_until_past_a_checkpoint(run, workers)
    before_kill = [(e["step"], e["loss"]) for e in stage_events(run, "train") if "loss" in e]

    reference = tmp_path / "reference"
    Trainer(train_toy, toy_config(), reference).fit()
    Trainer(train_toy, toy_config(workers), run).fit(resume=True)

    expected = step_losses(reference)
    assert sorted(expected) == list(range(1, 11))
    assert step_losses(run) == expected
    assert all(expected[step] == loss for step, loss in before_kill)
    resumed = [e for e in stage_events(run, "train") if e.get("status") == "resumed"]
    assert len(resumed) == 1 and resumed[0]["checkpoint"].startswith("step-")
