"""Errors a user can cause.

Every subclass of :class:`SoundryError` carries a message that says what happened and
what to do about it. The CLI prints it on one line without a traceback and exits non-zero.
Anything else that escapes is a bug in soundry.
"""


class SoundryError(Exception):
    """Base class for every error caused by input, configuration or environment."""


class ConfigError(SoundryError):
    """A configuration key is unknown, has the wrong type, or a file cannot be parsed."""


class AudioError(SoundryError):
    """An audio file cannot be read or written."""


class DataError(SoundryError):
    """A data folder, manifest or table is missing, empty or malformed."""


class CheckpointError(SoundryError):
    """A run folder or checkpoint is missing, incomplete or does not match the model."""


class MissingDependencyError(SoundryError):
    """An optional package or system tool needed for this feature is not installed."""


class TrainingError(SoundryError):
    """Training cannot continue (for example, the loss stays non-finite after rollbacks)."""


class TrainingStopped(SoundryError):
    """Training was asked to stop (Ctrl-C or SIGTERM); a checkpoint was saved first.

    Not a failure: resuming with ``-r`` continues from exactly where it stopped.
    """

    exit_code = 130
