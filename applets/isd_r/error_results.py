"""The error results each ES10 function can give, by their SGP.22 names, read from the
RSPDefinitions module's named numbers (SGP.22 Annex H), and how an injected one is shaped
(the fault plan's ``error`` action, :mod:`euicc.faults`).

An ES10 function has one of three shapes of error result:

- a result code member of its response SEQUENCE (5.7.16-5.7.22 management functions:
  ``enableResult``, ``disableResult``, ``deleteResult``, ``setNicknameResult``,
  ``resetResult``, ``setDefaultDpAddressResult``, ``deleteNotificationStatus``);
- an error alternative of its response CHOICE, an INTEGER (5.7.14 CancelSession,
  5.7.15 GetProfilesInfo, 5.7.9 ListNotification, 5.7.10 RetrieveNotificationsList);
- an error alternative with the session's transactionId (5.7.13 AuthenticateServer,
  5.7.5 PrepareDownload): those go through the authentication's own refusal, which ends
  the session as a real refusal does.

``ok`` is no error and is left out. The parts of LoadBoundProfilePackage have the
ProfileInstallationResult's errorReason (5.5, ``ErrorReason``): the BPP loader answers those
through its own failure path (a signed result, kept as a pending notification).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from euicc.asn1 import integer_names


def named_numbers(type_name: str, member: str | None = None,
                  types: dict | None = None) -> dict[str, int]:
    """The named numbers of an INTEGER type, or of a member of a SEQUENCE / CHOICE type
    (following one type reference), ``ok`` left out; of the SGP.22 module unless ``types``
    (an IoT card's: :func:`euicc.asn1.sgp32_types`) says otherwise."""
    return {name: number for name, number in integer_names(type_name, member, types).items()
            if name != "ok"}


@dataclass(frozen=True)
class ErrorResult:
    """How ``code`` becomes the function's response: ``build(code, request)``."""

    codes: dict[str, int]
    build: Callable[[int, Any], Any]


def result_code(response_type: str, member: str, types: dict | None = None) -> ErrorResult:
    return ErrorResult(named_numbers(response_type, member, types),
                       lambda code, _: {member: code})


def error_alternative(response_type: str, alternative: str,
                      types: dict | None = None) -> ErrorResult:
    return ErrorResult(named_numbers(response_type, alternative, types),
                       lambda code, _: (alternative, code))


def refusal(codes_type: str, refuse: Callable[[int, Any], Any]) -> ErrorResult:
    return ErrorResult(named_numbers(codes_type), refuse)


ERROR_REASONS_TYPE = "ErrorReason"  # ProfileInstallationResult errorResult (SGP.22 5.5)


def bpp_error_reasons() -> dict[str, int]:
    return named_numbers(ERROR_REASONS_TYPE)
