"""The Profile Package Interpreter (TCA eUICC Profile Package 2.x/3.x): profile elements in,
an ISD-P's file system, PINs, PUKs and AKA parameters out (a :class:`ProfileImage`, the type
the store keeps: :mod:`euicc.store_image`), and the elements as stored, without secrets."""

from euicc.store_image import AkaAlgorithmId, AkaConfig, ProfileImage

from .interpreter import (
    PeError,
    PeStatusCode,
    ProfileInterpreter,
    interpret,
    success_response,
)
from .secrets import blank_secrets, elements_without_secrets

__all__ = [
    "AkaAlgorithmId", "AkaConfig", "PeError", "PeStatusCode", "ProfileImage", "ProfileInterpreter",
    "blank_secrets", "elements_without_secrets", "interpret", "success_response",
]
