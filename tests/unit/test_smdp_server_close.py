"""The test SM-DP+'s HTTPS server (tools/smdp/server.py) leaves no thread behind when it is
stopped: a device's kept-alive connection (SGP.22 6.5, HTTP/1.1 between the ES9+ functions
of a download), a connection still in its TLS handshake and a plain-HTTP one are hung up
and their threads joined by ``shutdown`` (and ``server_close``), instead of each thread
waiting out the idle timeout (60 s) - a thread that outlived its test once deadlocked a
test session."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading

import pytest

from euicc_tools.smdp.es9 import Smdp
from euicc_tools.smdp.server import serve
from tests.support.fleet import SMDP_NAME, profiles_folder


def connection_threads() -> set[threading.Thread]:
    """The live threads of the test SM-DP+'s connections (named by the client address)."""
    return {t for t in threading.enumerate() if t.name.startswith("es9plus connection")}


@pytest.mark.parametrize("tls", [True, False])
def test_server_close_ends_kept_alive_and_handshaking_connections(pki_dir, tmp_path, tls):
    before = connection_threads()
    smdp = Smdp(SMDP_NAME, pki_dir, profiles_folder(tmp_path / "profiles"))
    httpd = serve(smdp, "127.0.0.1", 0, tls=tls)
    port = httpd.server_address[1]
    if tls:
        context = ssl.create_default_context(cafile=None)
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        kept = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
    else:
        kept = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    # one answered ES9+ call (a refusal is an answer) on a connection then left open
    kept.request("POST", "/gsma/rsp2/es9plus/initiateAuthentication",
                 json.dumps({"euiccChallenge": "AA=="}),
                 {"Content-Type": "application/json", "X-Admin-Protocol": "gsma/rsp/v2.2.0"})
    answer = kept.getresponse()
    assert answer.status == 200 and answer.getheader("Connection") != "close"
    answer.read()
    silent = socket.create_connection(("127.0.0.1", port))  # no TLS ClientHello, no request
    try:
        for _ in range(100):  # until the server's thread for the silent one has started
            if len(connection_threads() - before) == 2:
                break
            threading.Event().wait(0.02)
        ours = connection_threads() - before
        assert len(ours) == 2
        httpd.shutdown()  # some callers stop there: it ends the connections already
        assert not [t for t in ours if t.is_alive()]
        httpd.server_close()
        # the client sees its kept-alive connection closed, as it would after a timeout
        assert kept.sock.recv(1) == b""
    finally:
        kept.close()
        silent.close()


def test_a_closed_server_accepts_no_connection(pki_dir, tmp_path):
    smdp = Smdp(SMDP_NAME, pki_dir, profiles_folder(tmp_path / "profiles"))
    httpd = serve(smdp, "127.0.0.1", 0)
    port = httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)
