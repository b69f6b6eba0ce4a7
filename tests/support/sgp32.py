"""What the SGP.32 tests share: an in-process IoT card (personality `iot`) with the
project's ES10 client (or one through pcscd), and SGP.32 requests sent and their answers
decoded."""

from __future__ import annotations

from euicc.asn1 import decode_exact, sgp32
from euicc_tools.emulator.card import build_card
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import DirectLink
from euicc_tools.personalities import load_personality
from euicc_tools.testkit.eim import SampleEim


def iot_client(store, credentials, personality: str = "iot") -> Es10Client:
    """An IoT card built on ``store`` (a new card from the same store: a restart);
    ``personality`` "iot12" is the SGP.32 v1.2 card."""
    card = build_card(store, credentials, personality=load_personality(personality))
    card.power_on()
    client = Es10Client(DirectLink(card))
    client.open()
    return client


def call(client, request: bytes, response_type: str):
    return decode_exact(sgp32(), response_type, client.store_data(request))


def add_eim(client, eim: SampleEim, **kwargs):
    return call(client, eim.add_initial_eim_request(**kwargs), "AddInitialEimResponse")


def pcsc_client(emulator):
    """(link, ES10 client) on ``emulator``'s card through pcscd, opened; close both."""
    from euicc_tools.lpa.link import PcscLink

    link = PcscLink(emulator.reader)
    es10 = Es10Client(link)
    es10.open()
    return link, es10
