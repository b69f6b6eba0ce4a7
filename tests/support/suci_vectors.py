"""Published SUCI test data shared by the unit and integration tests: the home network key
pairs of 3GPP TS 33.501 Annex C.4 (C.4.3 Profile A, X25519; C.4.4 Profile B, secp256r1,
compressed public key), as transcribed in typhon-sec/3gpp-security-toolkit
specs/ts33501-v20/sections/section-C-4.md (the IMSI sets also appear in magma
lte/gateway/python/magma/subscriberdb/tests/crypto/test_ECIES.py), and the TS 31.121 4.9.4
EF.SUCI_Calc_Info built from them (as in pySim tests/unittests/test_utils.py)."""

from __future__ import annotations

h = bytes.fromhex

A_HN_PRIVATE = h("c53c22208b61860b06c62e5406a7b330c2b577aa5558981510d128247d38bd1d")
A_HN_PUBLIC = h("5a8d38864820197c3394b92613b20b91633cbd897119273bf8e4a6f4eec0a650")
B_HN_PRIVATE = h("F1AB1074477EBCC7F554EA1C5FC368B1616730155E0041AC447D6301975FECDA")
B_HN_PUBLIC = h("0272DA71976234CE833A6907425867B82E074D44EF907DFB4B3E21C1C2256EBCD1")

# Protection scheme identifier (TS 33.501 Annex C: 1 Profile A, 2 Profile B) and private key
# of each published home network public key
PUBLISHED_HOME_NETWORK_KEYS = {A_HN_PUBLIC: (1, A_HN_PRIVATE), B_HN_PUBLIC: (2, B_HN_PRIVATE)}

# TS 31.121 4.9.4 EF.SUCI_Calc_Info: Profile B with the key at index 1 (identifier 27), then
# Profile A (index 2, identifier 30), then null
TS31121_CALC_INFO = (h("A006020101020000A14B80011B8121") + B_HN_PUBLIC + h("80011E8120")
                     + A_HN_PUBLIC)
