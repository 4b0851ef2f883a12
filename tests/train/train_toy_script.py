"""Train the toy recipe from a command line (the kill-and-resume tests run this in a subprocess).

    python train_toy_script.py RUN_DIR [--resume] [--workers N] [--sleep S]
"""

from __future__ import annotations

import argparse


def toy_config(workers: int = 0, sleep: float = 0.0):
    """The config the kill-and-resume tests share (checkpoints and evals at different steps)."""
    import train_toy

    return train_toy.make_config(steps=10, checkpoint_every=4, eval_every=3,
                                 num_workers=workers, toy={"sleep_s": sleep})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run_dir")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--sleep", type=float, default=0.0)
    args = parser.parse_args(argv)

    import train_toy
    from soundry.train import Trainer

    Trainer(train_toy, toy_config(args.workers, args.sleep), args.run_dir).fit(resume=args.resume)


if __name__ == "__main__":
    main()
