"""`euicc-emu shell`: look into a card (SGP.22 ISD-P records, notifications, credentials)."""
