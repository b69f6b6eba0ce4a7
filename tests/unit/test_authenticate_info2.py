"""SGP.22 5.7.13 AuthenticateServer: euiccSigned1 carries the eUICC's EUICCInfo2 as
GetEUICCInfo2 (5.7.8) would give it at that moment. The card keeps the last encoding and
encodes again when the value changed: after an install its free memory and installed
applications (extCardResource, ETSI TS 102 226 8.2.1.7.2) are not those of the first
session, and the second session's signed data must say so."""

from __future__ import annotations

from euicc.asn1 import decode_exact, rsp
from euicc.tlv import tlv
from euicc_tools.lpa.download import download
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import DirectLink
from euicc_tools.testkit.in_process_es9 import es9_direct
from tests.support.downloads import ADDRESS


def test_each_session_signs_the_euicc_info2_of_its_moment(card, smdp):
    signed, asked = [], []
    with Es10Client(DirectLink(card)) as es10:
        store_data = es10.store_data

        def recording(command: bytes) -> bytes:
            response = store_data(command)
            if command[:2] == b"\xbf\x38":
                answer = decode_exact(rsp(), "AuthenticateServerResponse", response)
                signed.append(answer[1]["euiccSigned1"]["euiccInfo2"])
            return response

        es10.store_data = recording
        for name in ("TINY", "BIG"):
            asked.append(es10.call("GetEuiccInfo2Request", {}, "EUICCInfo2"))
            result = download(es10, es9_direct(smdp), ADDRESS, name,
                              confirmation_code="1234" if name == "BIG" else None)
            assert result.ok, result.result
        asked.append(es10.call("GetEuiccInfo2Request", {}, "EUICCInfo2"))
        store_data(tlv(0xBF2D, b""))  # the card still answers
    assert signed == asked[:2]
    assert asked[0]["extCardResource"] != asked[1]["extCardResource"] != asked[2][
        "extCardResource"]
