"""TLS for API-SSL (port 8729): the client context for each
:class:`~mikromon.domain.devices.TlsVerify` mode (:func:`tls_context`), and telling
a handshake that failed because of those settings apart (:func:`tls_failure`).

Source: shared/ROUTEROS-API.md §8 (a router without a certificate offers only
anonymous Diffie-Hellman suites; clients use ``ADH:@SECLEVEL=0``, no host name
check) and DESIGN.md "API-SSL without a certificate".
"""

from __future__ import annotations

import ssl
from typing import Final

from mikromon.domain.devices import TlsVerify
from mikromon.domain.errors import TlsSetupFailed

__all__ = ["tls_context", "tls_failure"]


def tls_context(mode: TlsVerify) -> ssl.SSLContext:
    """Build the client TLS context for API-SSL (port 8729).

    Source: shared/ROUTEROS-API.md §8; DESIGN.md "API-SSL without a certificate".

    Args:
        mode: ``VERIFY``: system CAs and host name check. ``NO_VERIFY``: any
            certificate (self-signed) accepted, no host name check. ``ANONYMOUS_DH``:
            the router has no certificate (``certificate=none``): anonymous DH ciphers
            only (``ADH:@SECLEVEL=0``), TLS 1.2 at most (TLS 1.3 has no anonymous
            suites), no certificate, no host name check.

    Returns:
        A fresh ``ssl.SSLContext`` for a client.
    """
    if mode is TlsVerify.VERIFY:
        return ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if mode is TlsVerify.NO_VERIFY:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("ADH:@SECLEVEL=0")
    return context




#: OpenSSL reasons of a handshake the router refused for want of a common suite
#: (a client asking for a certificate meets a router that has none, or the other
#: way round): the alert the client receives, or the server's own reason.
_REFUSED_HANDSHAKE: Final = frozenset({
    "SSLV3_ALERT_HANDSHAKE_FAILURE", "NO_SHARED_CIPHER", "NO_CIPHERS_AVAILABLE",
    "TLSV1_ALERT_INSUFFICIENT_SECURITY",
})
#: OpenSSL reasons of a peer that does not speak TLS at all (the plain API port).
_NOT_TLS: Final = frozenset({"WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "HTTP_REQUEST"})



def tls_failure(err: BaseException, mode: TlsVerify, device: str = "") -> TlsSetupFailed | None:
    """Tell a TLS handshake failure caused by the device's TLS settings apart.

    Source: shared/ROUTEROS-API.md §8: a router whose API-SSL service has no
    certificate (``certificate=none``) offers only anonymous Diffie-Hellman suites,
    so a client that wants a certificate gets a handshake failure alert ("no shared
    cipher" on the router's side); some TLS stacks reset the connection instead of
    sending the alert (the emulator, behind asyncio's TLS layer, does).

    Args:
        err: what the handshake raised.
        mode: the device's :class:`TlsVerify` setting used for it.
        device: the device label for the message.

    Returns:
        A :class:`TlsSetupFailed` naming the cause and the setting that fixes it,
        or ``None`` when ``err`` says nothing about the settings.
    """
    if isinstance(err, ssl.SSLCertVerificationError):
        detail = err.verify_message or err.reason or "verify failed"
        return TlsSetupFailed(
            f"TLS certificate rejected ({detail}): the router's certificate is not "
            "trusted here or does not name the host; trust its CA, connect by the name "
            "in it, or set the device's TLS mode to no-verify (encrypted, unverified)",
            device=device, cause="certificate-rejected",
        )
    if isinstance(err, ssl.SSLError):
        reason = err.reason or ""
        if reason in _NOT_TLS:
            return TlsSetupFailed(
                f"the port does not speak TLS ({reason.lower().replace('_', ' ')}): it "
                "is probably the plain API port (8728); use the API-SSL port (8729) or "
                "turn the device's API-SSL setting off", device=device, cause="not-tls",
            )
        if reason not in _REFUSED_HANDSHAKE:
            return None
        what = f"handshake failure: {reason.lower().replace('_', ' ')}"
    elif isinstance(err, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        what = "connection reset during the handshake"
    else:
        return None
    if mode is TlsVerify.ANONYMOUS_DH:
        return TlsSetupFailed(
            f"TLS handshake refused ({what}): the router does not offer anonymous "
            "Diffie-Hellman, so its API-SSL service has a certificate; set the "
            "device's TLS mode to verify or no-verify",
            device=device, cause="certificate-present",
        )
    return TlsSetupFailed(
        f"TLS handshake refused ({what}): the router's API-SSL service probably has "
        "no certificate (then it offers only anonymous Diffie-Hellman); set the "
        "device's TLS mode to anonymous-dh, or give the service a certificate",
        device=device, cause="no-certificate",
    )
