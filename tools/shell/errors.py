"""The shell's failures: one exception type the commands raise (:class:`ShellError`, with
the exit status of ``euicc-emu shell -c``), and the one place where what the layers below
raise is put into words (:func:`explain`): the state directory and its SQLite store, the
PKI, the control socket, the card's status words (ISO 7816-4 5.6) and the SGP.22 ASN.1
codec. Exit statuses: 0 success, 1 a failure (refused ES10 result, unknown profile,
missing state or PKI, card not running), 2 a usage error (unknown command or option)."""

from __future__ import annotations

import sqlite3

import asn1tools

from euicc.asn1 import Asn1Error
from euicc.pki import PkiError
from euicc_tools.lpa.es10 import CardError, MalformedResponse
from euicc_tools.lpa.link import LinkError

FAILURE = 1
USAGE = 2


class ShellError(Exception):
    """A failure the shell reports as its message, with an exit status."""

    status = FAILURE


class UsageError(ShellError):
    status = USAGE


# Checked in order: the first type that matches words the message.
_EXPLANATIONS: tuple[tuple[type[BaseException], str], ...] = (
    (PkiError, "{0} (give the PKI the card runs with: --pki DIR)"),
    (FileNotFoundError, "{0}"),
    (sqlite3.Error, "the card's state cannot be read: {0}"),
    (CardError, "the card refused a command: {0}"),
    (MalformedResponse, "{0}"),
    (LinkError, "the card cannot be reached: {0}"),
    (Asn1Error, "the card's answer does not decode: {0}"),
    (asn1tools.Error, "not a valid request: {0}"),
    (ValueError, "{0}"),
    (OSError, "{0}"),
)


def explain(exc: BaseException) -> ShellError:
    """What to tell the user about ``exc``; unexpected exceptions say they are internal."""
    if isinstance(exc, ShellError):
        return exc
    for kind, words in _EXPLANATIONS:
        if isinstance(exc, kind):
            return ShellError(words.format(exc))
    return ShellError(f"internal error: {type(exc).__name__}: {exc}")
