"""The one exception ``annotate`` raises for a problem the user can fix."""


class AnnotateError(RuntimeError):
    """Bad arguments, an unreadable input, an output that cannot be resumed, a failed worker."""
