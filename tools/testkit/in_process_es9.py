"""ES9+ (SGP.22 5.6) called straight into the test SM-DP+ of the same process, without
HTTPS: the ``es9`` callable euicc_tools.lpa.download.download takes, as ``https_es9`` is
for an SM-DP+ on the network. A refusal comes out as over HTTPS: the SM-DP+'s subject and
reason codes in the LPA's :class:`~euicc_tools.lpa.es9.Es9Refused`."""

from __future__ import annotations

from euicc_tools.lpa.es9 import Es9Call, Es9Refused
from euicc_tools.smdp.es9 import Es9Error, Smdp


def es9_direct(smdp: Smdp) -> Es9Call:
    """ES9+ function name and JSON body -> the answer of ``smdp``'s implementation."""
    functions = {"initiateAuthentication": smdp.initiate_authentication,
                 "authenticateClient": smdp.authenticate_client,
                 "getBoundProfilePackage": smdp.get_bound_profile_package,
                 "handleNotification": smdp.handle_notification,
                 "cancelSession": smdp.cancel_session}

    def call(name: str, body: dict) -> dict | None:
        try:
            return functions[name](body)
        except Es9Error as exc:  # what server.py answers as a Failed functionExecutionStatus
            raise Es9Refused(name, exc.subject, exc.reason, exc.message) from exc

    return call
