"""The base of every error the core raises on purpose.

Interfaces (CLI, API) show ``str(error)`` to the person as it is, so each message must say what
went wrong and, where it can, what to do about it. Anything else is a bug and is never shown.
"""


class OpenWitnessError(Exception):
    """An expected failure with a message meant for the person using OpenWitness."""


class NotInitialisedError(OpenWitnessError):
    """The data folder has no log key yet."""


class NotFoundError(OpenWitnessError):
    """The thing asked for does not exist (yet)."""


class InvalidRequestError(OpenWitnessError):
    """The caller asked for something impossible (a proof past the log's end, say)."""


class ForbiddenError(OpenWitnessError):
    """The caller may see the thing but not do this to it (another organisation's case)."""


class ConflictError(OpenWitnessError):
    """The request contradicts what is already recorded (a chunk out of order, say)."""
