"""PIN management commands of the UICC: ETSI TS 102 221 11.1.9 VERIFY PIN, 11.1.10 CHANGE
PIN, 11.1.11 DISABLE PIN (with the universal PIN as alternative global key, P1 '91'),
11.1.12 ENABLE PIN and 11.1.13 UNBLOCK PIN; retry counters and status words per 9.5 and
10.2.1.5 ('63CX' X tries left, '6983' blocked, '6984' PIN disabled, '6985' not allowed,
'6A88' no such key reference).

The verification status is card-level (:attr:`PinCommands.verified`, one entry per PIN:
key reference and scope), cleared by :meth:`PinCommands.reset`. A key reference in P2 names
the PIN seen from the channel's current DF (local PINs belong to their application). PINs
and PUKs are the profile's :class:`Pin` objects, changed in place; every change of a
counter, value or enabled flag is reported to ``on_pin_change`` so the owner persists it.
PIN values never reach a log or an exception text.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping

from euicc.apdu import CommandApdu, ResponseApdu
from euicc.channels import Channel
from euicc.sw import SW, SwError

from .model import File, Pin
from .pins import UNIVERSAL_PIN, PinId, PinTable, is_adm, pin_id

PIN_LENGTH = 8
PAD = 0xFF
# DISABLE PIN P1: b8 set = the key in b5-b1 replaces the disabled PIN (TS 102 221 11.1.11)
P1_ALTERNATIVE_KEY = 0x80


def pad_pin(value: bytes) -> bytes:
    """A PIN as stored and compared: padded with 'FF' to 8 bytes."""
    return bytes(value).ljust(PIN_LENGTH, bytes([PAD]))


def _is_valid_user_pin(value: bytes) -> bool:
    """4 to 8 ASCII digits, padded with 'FF' (TS 102 221 9.5.2 PIN coding)."""
    digits = value.rstrip(bytes([PAD]))
    return 4 <= len(digits) and all(0x30 <= b <= 0x39 for b in digits)


def _tries(counter: int) -> int:
    return SW.VERIFICATION_FAILED | min(counter, 0x0F)


class PinCommands:
    """Handlers ``(apdu, channel) -> ResponseApdu`` for the five PIN commands."""

    def __init__(
        self,
        pins: PinTable,
        puks: Mapping[int, Pin] | None,
        on_pin_change: Callable[[Pin], None],
        current_df: Callable[[Channel], File],
    ) -> None:
        self.pins = pins
        self.puks: Mapping[int, Pin] = puks if puks is not None else {}
        self.on_pin_change = on_pin_change
        self.current_df = current_df
        self.verified: set[PinId] = set()

    @property
    def universal_for(self) -> set[PinId]:
        """Application PINs disabled with the universal PIN as replacement (TS 102 221
        9.5.1); kept on each PIN, so it is persisted with the PIN's other state."""
        return {pin_id(pin) for pin in self.pins if pin.replaced_by_universal}

    def reset(self) -> None:
        """Card reset: every PIN is unverified again."""
        self.verified.clear()

    # -- helpers ---------------------------------------------------------------------------
    def _pin(self, apdu: CommandApdu, channel: Channel) -> Pin:
        pin = self.pins.find(apdu.p2, self.current_df(channel))
        if pin is None:
            raise SwError(SW.REFERENCED_DATA_NOT_FOUND, f"no PIN {apdu.p2:02X}")
        return pin

    @staticmethod
    def _split(data: bytes, parts: int) -> list[bytes]:
        if len(data) != PIN_LENGTH * parts:
            raise SwError(SW.WRONG_LENGTH, f"expected {PIN_LENGTH * parts} bytes")
        return [data[i * PIN_LENGTH:(i + 1) * PIN_LENGTH] for i in range(parts)]

    def _changed(self, *pins: Pin) -> None:
        for pin in pins:
            self.on_pin_change(pin)

    def _present(self, pin: Pin, candidate: bytes) -> None:
        """Compare ``candidate`` with ``pin``: on a mismatch count the attempt down and
        raise '63CX'; on a match give the counter back its maximum."""
        if pin.blocked:
            raise SwError(SW.AUTH_METHOD_BLOCKED)
        if not hmac.compare_digest(pad_pin(candidate), pad_pin(pin.value)):
            pin.attempts_left -= 1
            if not pin.puk:
                self.verified.discard(pin_id(pin))
            self._changed(pin)
            raise SwError(_tries(pin.attempts_left), "wrong PIN")
        if pin.attempts_left != pin.max_attempts:
            pin.attempts_left = pin.max_attempts
            self._changed(pin)

    @staticmethod
    def _require_p1_zero(apdu: CommandApdu) -> None:
        if apdu.p1 != 0x00:
            raise SwError(SW.INCORRECT_P1P2)

    # -- commands --------------------------------------------------------------------------
    def verify(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """11.1.9: without data, the verification status ('63CX' or '9000')."""
        self._require_p1_zero(apdu)
        pin = self._pin(apdu, channel)
        if not apdu.data:
            if pin.blocked:
                raise SwError(SW.AUTH_METHOD_BLOCKED)
            if pin.enabled and pin_id(pin) not in self.verified:
                raise SwError(_tries(pin.attempts_left))
            return ResponseApdu()
        if len(apdu.data) > PIN_LENGTH:
            raise SwError(SW.WRONG_LENGTH)
        if not pin.enabled:
            raise SwError(SW.REFERENCE_DATA_NOT_USABLE, "PIN disabled")
        self._present(pin, apdu.data)
        self.verified.add(pin_id(pin))
        return ResponseApdu()

    def change(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """11.1.10: old PIN and new PIN, 8 bytes each."""
        self._require_p1_zero(apdu)
        pin = self._pin(apdu, channel)
        old, new = self._split(apdu.data, 2)
        if not pin.enabled:
            raise SwError(SW.REFERENCE_DATA_NOT_USABLE, "PIN disabled")
        if not pin.can_change:
            raise SwError(SW.CONDITIONS_NOT_SATISFIED, "PIN may not be changed")
        if not is_adm(pin.key_ref) and not _is_valid_user_pin(new):
            raise SwError(SW.WRONG_DATA, "new PIN is not 4-8 digits")
        self._present(pin, old)
        pin.value = pad_pin(new)
        self.verified.add(pin_id(pin))
        self._changed(pin)
        return ResponseApdu()

    def disable(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """11.1.11: P1 '00', or '91' to have the universal PIN replace the disabled PIN."""
        replacement = None
        if apdu.p1 & P1_ALTERNATIVE_KEY:
            replacement = apdu.p1 & 0x1F
            if apdu.p1 & 0x60 or replacement != UNIVERSAL_PIN:
                raise SwError(SW.INCORRECT_P1P2)
            if self.pins.find(UNIVERSAL_PIN, self.current_df(channel)) is None:
                raise SwError(SW.REFERENCED_DATA_NOT_FOUND, "no universal PIN")
        elif apdu.p1 != 0x00:
            raise SwError(SW.INCORRECT_P1P2)
        pin = self._pin(apdu, channel)
        (value,) = self._split(apdu.data, 1)
        if pin.blocked:
            raise SwError(SW.AUTH_METHOD_BLOCKED)
        if not pin.enabled:
            raise SwError(SW.CONDITIONS_NOT_SATISFIED, "PIN already disabled")
        if not pin.can_disable or is_adm(pin.key_ref) or pin.key_ref == replacement:
            raise SwError(SW.CONDITIONS_NOT_SATISFIED, "PIN may not be disabled")
        self._present(pin, value)
        pin.enabled = False
        pin.replaced_by_universal = replacement is not None
        self._changed(pin)
        return ResponseApdu()

    def enable(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """11.1.12."""
        self._require_p1_zero(apdu)
        pin = self._pin(apdu, channel)
        (value,) = self._split(apdu.data, 1)
        if pin.blocked:
            raise SwError(SW.AUTH_METHOD_BLOCKED)
        if pin.enabled:
            raise SwError(SW.CONDITIONS_NOT_SATISFIED, "PIN already enabled")
        self._present(pin, value)
        pin.enabled = True
        pin.replaced_by_universal = False
        self.verified.add(pin_id(pin))
        self._changed(pin)
        return ResponseApdu()

    def unblock(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """11.1.13: PUK and new PIN; without data, the PUK's tries left ('63CX')."""
        self._require_p1_zero(apdu)
        pin = self._pin(apdu, channel)
        puk = self.puks.get(pin.unblock_ref) if pin.unblock_ref is not None else None
        if puk is None:
            raise SwError(SW.REFERENCED_DATA_NOT_FOUND, f"no PUK for PIN {pin.key_ref:02X}")
        if not apdu.data:
            if puk.blocked:
                raise SwError(SW.AUTH_METHOD_BLOCKED)
            raise SwError(_tries(puk.attempts_left))
        code, new = self._split(apdu.data, 2)
        if not is_adm(pin.key_ref) and not _is_valid_user_pin(new):
            raise SwError(SW.WRONG_DATA, "new PIN is not 4-8 digits")
        self._present(puk, code)
        pin.value = pad_pin(new)
        pin.attempts_left = pin.max_attempts
        self.verified.add(pin_id(pin))
        self._changed(pin)
        return ResponseApdu()
