"""LPA conformance (issue 12): what the card saw, decoded from its own trace, for cases to be
judged on. :mod:`.trace` reads the card's pcap into ES10 exchanges."""
