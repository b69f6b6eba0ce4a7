"""How an LPA operation ends, for ``euicc-lpa``: the exit status, the message and SGP.22's
name for what went wrong, worked out in one table from the exception of the layer that
failed. Exit statuses: 0 success, 1 the card or the SM-DP+ refused or failed, 2 a usage
error (a request that cannot be made), 3 no reader or a transport failure (the card's link
or the network of the SM-DP+ or the eIM)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from .download import DownloadError
from .es9 import Es9Error, Es9Refused, Es9Unreachable
from .es10 import Es10Error
from .esipa import EsipaError, EsipaUnreachable
from .link import LinkError


class ExitStatus(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    TRANSPORT = 3


class RequestError(ValueError):
    """A request that cannot be made (an identifier that is neither ICCID nor AID, a
    nickname longer than SGP.22 allows): a usage error, found before the card is asked."""


class LpaFailure(RuntimeError):
    """The card or the SM-DP+ refused an operation: ``code`` is SGP.22's name for the
    refusal; ``data`` what the operation did get done (for the report)."""

    def __init__(self, message: str, code: str | None = None, data=None) -> None:
        super().__init__(message)
        self.code = code
        self.data = data


@dataclass(frozen=True)
class Failure:
    status: ExitStatus
    message: str
    code: str | None
    data: object = None


# Checked in order, the first matching type decides; subclasses before their bases.
_TABLE: tuple[tuple[type[BaseException], ExitStatus, Callable[[BaseException], str | None]],
              ...] = (
    (RequestError, ExitStatus.USAGE, lambda e: None),
    (LinkError, ExitStatus.TRANSPORT, lambda e: None),
    (Es9Unreachable, ExitStatus.TRANSPORT, lambda e: None),
    (EsipaUnreachable, ExitStatus.TRANSPORT, lambda e: None),
    (EsipaError, ExitStatus.FAILED, lambda e: None),
    (Es9Refused, ExitStatus.FAILED, lambda e: e.code),
    (Es9Error, ExitStatus.FAILED, lambda e: None),
    (DownloadError, ExitStatus.FAILED, lambda e: e.name),
    (LpaFailure, ExitStatus.FAILED, lambda e: e.code),
    (Es10Error, ExitStatus.FAILED, lambda e: None),
)


def classify(exc: BaseException) -> Failure | None:
    """The failure ``exc`` stands for, or None for an exception no layer raises (a bug)."""
    for kind, status, code in _TABLE:
        if isinstance(exc, kind):
            message = "; ".join([str(exc), *getattr(exc, "__notes__", ())])
            return Failure(status, message, code(exc), getattr(exc, "data", None))
    return None
