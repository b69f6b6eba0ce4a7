"""Wireshark support: the ES10 dissector (``es10.lua``) and the generator that writes its
name tables from the card's own SGP.22 ASN.1 module and ES10 table."""
