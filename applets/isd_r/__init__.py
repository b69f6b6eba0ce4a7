"""ISD-R: the eUICC's root security domain and its ES10 functions (SGP.22 5.7)."""

from .applet import ISD_R_AID, IsdR
from .config import EuiccConfig

__all__ = ["ISD_R_AID", "EuiccConfig", "IsdR"]
