"""STORE DATA reassembly for ES10 (GlobalPlatform Card Specification 2.3 11.11 and
SGP.22 5.7.2 "Transport of ES10 commands"): P1 '11' announces more blocks, '91' the last
block; P2 is the block number, 00 for the first block of every ES10 command and then
incremented by one. The reassembled data is one ES10 request.

A chip model may take shorter blocks than a short APDU carries (``max_block``, the ISD-R's
FCI '9F65' "maximum length of data field in command message", GlobalPlatform Card
Specification 2.3 11.9.3.1): a longer block is refused with '6700' wrong length
(GlobalPlatform 2.3 11.1.3 general error conditions, ISO/IEC 7816-4 5.6: Nc not what the
card takes) and the ES10 command it belonged to is dropped, as a chip's buffer cannot hold
it; the LPA sends it again in shorter blocks (lpac LPAC_CUSTOM_ES10X_MSS, euicc-lpa
--block-size).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from euicc.apdu import CommandApdu
from euicc.channels import Channel
from euicc.sw import SW, SwError

P1_MORE_BLOCKS = 0x11
P1_LAST_BLOCK = 0x91
MAX_ES10_COMMAND = 64 * 1024  # far above any ES10 request; bounds memory per channel
STATE_KEY = "store_data"


@dataclass
class Reassembly:
    buffer: bytearray = field(default_factory=bytearray)
    next_block: int = 0


def accept_block(apdu: CommandApdu, channel: Channel,
                 max_block: int | None = None) -> bytes | None:
    """Add one STORE DATA block; return the complete command after the last block.
    ``max_block``: the longest data field taken (None: any a short or extended APDU
    carries)."""
    if apdu.p1 not in (P1_MORE_BLOCKS, P1_LAST_BLOCK):
        raise SwError(SW.INCORRECT_P1P2, f"STORE DATA P1 {apdu.p1:02X}")
    if max_block is not None and len(apdu.data) > max_block:
        channel.applet_state.pop(STATE_KEY, None)
        raise SwError(SW.WRONG_LENGTH, f"STORE DATA block of {len(apdu.data)} bytes, "
                                       f"at most {max_block}")
    state: Reassembly | None = channel.applet_state.get(STATE_KEY)
    if state is None:  # not setdefault: that would make a Reassembly for every block
        state = channel.applet_state[STATE_KEY] = Reassembly()
    if apdu.p2 == 0:
        state.buffer.clear()
        state.next_block = 0
    if apdu.p2 != state.next_block:
        expected = state.next_block
        channel.applet_state.pop(STATE_KEY, None)
        raise SwError(SW.INCORRECT_P1P2, f"block {apdu.p2}, expected {expected}")
    if len(state.buffer) + len(apdu.data) > MAX_ES10_COMMAND:
        channel.applet_state.pop(STATE_KEY, None)
        raise SwError(SW.NOT_ENOUGH_MEMORY, "ES10 command too long")
    state.buffer += apdu.data
    if apdu.p1 == P1_MORE_BLOCKS:
        state.next_block = (state.next_block + 1) & 0xFF
        return None
    channel.applet_state.pop(STATE_KEY, None)
    return bytes(state.buffer)
