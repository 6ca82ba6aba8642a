"""TLS settings for API-SSL (port 8729), one per :class:`~mikromon.domain.devices.TlsVerify` mode.

Source: shared/ROUTEROS-API.md §8 (a router without a certificate offers only
anonymous Diffie-Hellman suites; clients use ``ADH:@SECLEVEL=0``, no host name
check) and DESIGN.md "API-SSL without a certificate".
"""

from __future__ import annotations

import ssl

from mikromon.domain.devices import TlsVerify

__all__ = ["tls_context"]


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
