"""One exception root for the whole project.

HocvusoError
├── PackError          a campaign pack failed to load or validate
├── NotAllowed         the person's role does not allow the action
├── InviteError        an invite code is unknown, expired or used up
└── InputRejected      input of the wrong kind, size or shape
"""

from __future__ import annotations


class HocvusoError(Exception):
    """Root of every error this project raises on purpose."""


class NotAllowed(HocvusoError):
    """The person's role does not allow this action."""


class InviteError(HocvusoError):
    """An invite code cannot be used; `reason` is unknown, expired or used_up."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InputRejected(HocvusoError):
    """Input of the wrong kind, size or shape; `reason` names which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
