"""The volatile RSP session of the ISD-R (SGP.22 3.1.3 "Profile Download and Installation"
and 5.7.7 GetEUICCChallenge): the eUICC challenge and, once the server is authenticated,
the transaction. Cleared on reset; never persisted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass
class RspSession:
    euicc_challenge: bytes | None = None
    transaction_id: bytes | None = None  # set by AuthenticateServer
    smdp_oid: str | None = None

    def new_challenge(self) -> bytes:
        """A fresh challenge ends any previous session (SGP.22 5.7.7)."""
        self.clear()
        self.euicc_challenge = os.urandom(16)
        return self.euicc_challenge

    def clear(self) -> None:
        self.euicc_challenge = None
        self.transaction_id = None
        self.smdp_oid = None
