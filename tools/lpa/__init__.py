"""A small LPA for tests and tools: APDU links (direct or PC/SC) and an ES10 client that
talks to the ISD-R the way lpac and pySim-shell do (shared/docs/interop.md)."""
