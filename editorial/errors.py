"""Refusals from the workflow services. Each carries a message a person can act on and the
HTTP status a view answers with; none of them is ever a 500."""


class WorkflowError(Exception):
    """Base: the action was refused and nothing was written."""

    status = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotPermitted(WorkflowError):
    """The actor may not do this (role, ownership or separation of duties)."""

    status = 403


class InvalidInput(WorkflowError):
    """Something the action needs is missing or wrong (a comment, a declaration). ``fields``
    names each input at fault with what is wrong with it, so a form can show every problem at
    once, beside its field."""

    status = 400

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


class TransitionRefused(WorkflowError):
    """The version (or assignment) is not in a state where this action applies."""


class ApprovalBlocked(WorkflowError):
    """Approval refused: unresolved citations, no quorum, or an open request for changes."""


class ConcurrentChange(WorkflowError):
    """Someone else changed the same thing at the same moment, and won."""
