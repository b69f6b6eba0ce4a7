"""Network access applications (USIM, ISIM): their authentication algorithms and the
AUTHENTICATE command logic, free of APDUs.

- :mod:`.milenage` MILENAGE (3GPP TS 35.205-35.208)
- :mod:`.tuak` TUAK on Keccak-f[1600] (3GPP TS 35.231-35.233)
- :mod:`.xor_test_algorithm` the test USIM algorithm (3GPP TS 34.108 8.1.2)
- :mod:`.sqn` the SQN array and its checks (3GPP TS 33.102 Annex C)
- :mod:`.authenticate` AUTHENTICATE (3GPP TS 31.102 / 31.103 7.1, TS 33.102 6.3 / 6.8.1.2)
- :mod:`.suci` SUCI calculation for GET IDENTITY (3GPP TS 31.102 7.5, TS 33.501 Annex C)
"""
