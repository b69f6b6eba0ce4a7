"""The UICC file system side of the card (ETSI TS 102 221 8 "Files" and 11.1.1 SELECT)."""
