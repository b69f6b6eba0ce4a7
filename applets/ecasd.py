"""ECASD, the eUICC Certificate Authority Security Domain (SGP.22 2.2.2; GlobalPlatform
Card Specification 2.3 Amendment E; AID A0000005591010FFFFFFFF8900000200).

It holds the eUICC's credentials: SK.EUICC.ECDSA, CERT.EUICC.ECDSA, CERT.EUM.ECDSA and
the trusted CI public keys with their PKIDs (:class:`euicc.pki.CardCredentials`). Other
applets use those through this object; over the wire it answers GET DATA for the EID
('5A') and the eUICC certificate ('7F21'). Private keys never leave it.
"""

from __future__ import annotations

from euicc.apdu import CommandApdu, ResponseApdu
from euicc.applet import Applet
from euicc.channels import Channel
from euicc.dispatch import NO_DATA, ClassFamily, CommandSpec, CommandTable
from euicc.ins import Ins
from euicc.pki import CardCredentials
from euicc.sw import SW, SwError
from euicc.tlv import tlv

ECASD_AID = bytes.fromhex("A0000005591010FFFFFFFF8900000200")


class Ecasd(Applet):
    aid = ECASD_AID
    name = "ECASD"

    def __init__(self, credentials: CardCredentials) -> None:
        self.credentials = credentials
        self._commands = CommandTable(
            [CommandSpec(Ins.GET_DATA, ClassFamily.ANY, self._get_data, NO_DATA)]
        )

    @property
    def eid(self) -> str:
        return self.credentials.eid

    def process(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        return self._commands.dispatch(apdu, channel)

    def command_name(self, apdu: CommandApdu, channel: Channel) -> str | None:
        return self._commands.name_of(apdu)

    def command_names(self) -> list[str]:
        return self._commands.names()

    def _get_data(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """GET DATA (GlobalPlatform 11.3): P1P2 is the tag of the data object."""
        if apdu.p1p2 == 0x005A:
            return ResponseApdu(tlv(0x5A, bytes.fromhex(self.eid)))
        if apdu.p1p2 == 0x7F21:
            identity = self.credentials.identities[0]
            return ResponseApdu(tlv(0x7F21, identity.certificate_der))
        raise SwError(SW.REFERENCED_DATA_NOT_FOUND)
