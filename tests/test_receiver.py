"""The test receiver tells a cut-off request from a forged one.

The crash test kills the server with SIGKILL while its worker may be half-way through
sending a webhook. The receiver then sees a request whose body never arrives. A real
receiver never verifies or acts on such a request, and the sender never had an answer,
so it retries. Counting it as a bad signature would fail the crash test for doing the
right thing; this test pins the difference.
"""

from __future__ import annotations

import socket
import time

from receiver import Receiver


def test_a_request_cut_off_mid_body_is_aborted_not_rejected():
    receiver = Receiver().start()
    try:
        with socket.create_connection(("127.0.0.1", receiver.port), timeout=5) as sock:
            sock.sendall(
                b"POST /hooks/crm HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b'Content-Length: 200\r\nwebhook-id: msg_cut\r\n\r\n{"type":'
            )
            time.sleep(0.1)  # the headers and a first piece of body are read, then the sender dies
        assert receiver.wait_for(lambda: receiver.aborted == 1, timeout=5)
        assert receiver.rejected == 0 and not receiver.requests and not receiver.messages
    finally:
        receiver.stop()
