"""One root exception for everything a user can cause or fix, with typed subclasses.

The CLI prints these as one line (no traceback) and exits 1; the web UI shows the message.
"""

__all__ = ["KGError", "WorkspaceError", "InputError", "BackendError", "QueryError"]


class KGError(Exception):
    """Base of IIKG's user-facing errors."""


class WorkspaceError(KGError):
    """The workspace cannot be read or written."""


class InputError(KGError):
    """A file or argument from the user is unusable as a whole (not a single bad row)."""


class BackendError(KGError):
    """A graph server is unreachable, refuses the credentials, or fails a query."""


class QueryError(KGError):
    """A named query does not exist or got bad parameters."""
