"""A test SM-DP+ (GSMA SGP.22 ES9+) for trying LPAs and the emulator end to end."""
