"""The client's error boundary (:mod:`mikromon.routeros.boundary`): every socket
error becomes a DeviceError whose message says what happened."""

from __future__ import annotations

import errno

import pytest

from mikromon.domain.errors import ConnectionLost, DeviceUnreachable
from mikromon.routeros.boundary import Where, device_errors


@pytest.mark.parametrize(("error", "text"), [
    (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "connection refused"),
    (ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"), "connection reset"),
    (BrokenPipeError(errno.EPIPE, "Broken pipe"), "connection closed"),
    (OSError(errno.EHOSTUNREACH, "No route to host"), "No route to host"),
    (OSError(errno.ENETUNREACH, "Network is unreachable"), "Network is unreachable"),
    (OSError("socket gone"), "socket gone"),
    (OSError(), "OSError"),
])
@pytest.mark.parametrize("connecting", [True, False])
def test_socket_errors_say_what_happened(error: OSError, text: str, connecting: bool) -> None:
    expected = DeviceUnreachable if connecting else ConnectionLost
    with pytest.raises(expected) as caught, \
            device_errors("r1", Where(command="/interface/print"), connecting=connecting,
                          limit=5.0):
        raise error
    assert text in str(caught.value)
    assert "None" not in str(caught.value)
    assert caught.value.__cause__ is error


def test_a_failed_tls_handshake_says_so_with_the_reason() -> None:
    with pytest.raises(DeviceUnreachable, match="TLS handshake failed: No route to host"), \
            device_errors("r1", Where(tls=True), connecting=True, limit=5.0):
        raise OSError(errno.EHOSTUNREACH, "No route to host")
