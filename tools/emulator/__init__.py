"""The emulator's composition root: the one package that knows every layer (the card OS in
``euicc``, the applets in ``euicc_applets``, the shell in ``euicc_tools.shell``) and wires
them: :mod:`.card` assembles a card from its state, :mod:`.cli` is ``euicc-emu``.

Nothing below imports from here (``tests/unit/test_layering.py``). Kept empty so that
importing the command line does not bring in the applets or the shell before a command
needs them."""
