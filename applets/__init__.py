"""Card-resident applications: the ISD-R (SGP.22 2.2.1), the ECASD (SGP.22 2.2.2) and the
UICC side with its NAAs (SGP.22 2.2.3). They build on the card OS (``euicc``) and know
nothing above it; a card is assembled from them by the composition root,
:func:`euicc_tools.emulator.card.build_card`."""
