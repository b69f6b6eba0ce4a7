"""ES9+ (SGP.22 5.6) called straight into the test SM-DP+ of the same process, without
HTTPS: the ``es9`` callable euicc_tools.lpa.download.download takes, as ``https_es9`` is
for an SM-DP+ on the network."""

from __future__ import annotations

from euicc_tools.lpa.download import Es9Call
from euicc_tools.smdp.es9 import Smdp


def es9_direct(smdp: Smdp) -> Es9Call:
    """ES9+ function name and JSON body -> the answer of ``smdp``'s implementation."""
    functions = {"initiateAuthentication": smdp.initiate_authentication,
                 "authenticateClient": smdp.authenticate_client,
                 "getBoundProfilePackage": smdp.get_bound_profile_package,
                 "handleNotification": smdp.handle_notification,
                 "cancelSession": smdp.cancel_session}
    return lambda name, body: functions[name](body)
