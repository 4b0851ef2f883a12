"""soundry: train audio models from folders of audio and run what you train.

One workflow for every model family: prepare -> train -> export -> run. The public
Python API lives in :mod:`soundry.api`; nothing is imported or loaded at import time.
"""

__version__ = "0.1.0"
