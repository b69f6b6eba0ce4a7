"""Named BIT STRING values as asn1tools represents them: (bytes, number of bits), first
named bit in the most significant bit (ITU-T X.690 8.6, DER 11.2.2 trailing zeros removed).
"""

from __future__ import annotations

from collections.abc import Iterable


def bits_from_numbers(numbers: Iterable[int]) -> tuple[bytes, int]:
    numbers = sorted(set(numbers))
    if not numbers:
        return b"", 0
    length = numbers[-1] + 1
    value = bytearray((length + 7) // 8)
    for n in numbers:
        value[n // 8] |= 0x80 >> (n % 8)
    return bytes(value), length


def bit_is_set(value: tuple[bytes, int], number: int) -> bool:
    data, length = value
    return number < length and bool(data[number // 8] & (0x80 >> (number % 8)))


def set_bits(value: tuple[bytes, int]) -> set[int]:
    return {n for n in range(value[1]) if bit_is_set(value, n)}


def bits_from_names(type_name: str, names: Iterable[str]) -> tuple[bytes, int]:
    from euicc.asn1 import named_bits

    table = named_bits(type_name)
    return bits_from_numbers(table[name] for name in names)
