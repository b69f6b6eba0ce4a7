"""The Profile Package Interpreter (TCA eUICC Profile Package 2.x/3.x): profile elements in,
an ISD-P's file system, PINs, PUKs and AKA parameters out."""

from .image import (
    AkaAlgorithmId,
    AkaConfig,
    ProfileImage,
    file_rows,
    image_from_rows,
    secret_rows,
)
from .interpreter import (
    PeError,
    PeStatusCode,
    ProfileInterpreter,
    interpret,
    success_response,
)

__all__ = [
    "AkaAlgorithmId", "AkaConfig", "PeError", "PeStatusCode", "ProfileImage", "ProfileInterpreter",
    "file_rows", "image_from_rows", "interpret", "secret_rows", "success_response",
]
