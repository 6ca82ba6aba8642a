"""DjangoDeviceSource: the :class:`mikromon.storage.protocols.DeviceSource` implementation."""

from __future__ import annotations

import logging

from mikromon.domain.devices import DeviceConfig
from mikromon.syslog.sources import KnownDevice
from mikromon.web.monitor.crypto import PasswordDecryptError
from mikromon.web.monitor.dbutil import close_connection, usable_connection
from mikromon.web.monitor.models import ConfigVersion, Device

log = logging.getLogger(__name__)


class DjangoDeviceSource:
    """Reads device configuration from the database (from any thread).

    Args:
        using: database alias.
    """

    def __init__(self, *, using: str = "default") -> None:
        self._using = using

    def load_devices(self) -> list[DeviceConfig]:
        """Return every device (enabled or not) with its decrypted password, by id.

        A device whose password cannot be decrypted is left out, logged, and gets
        the reason in its ``last_error`` so the UI shows it; the others load.
        """
        usable_connection(self._using)
        configs = []
        for device in Device.objects.using(self._using).order_by("pk"):
            try:
                configs.append(device.to_config())
            except PasswordDecryptError as err:
                log.error("device %s not loaded: %s", device.name, err)
                Device.objects.using(self._using).filter(pk=device.pk).update(last_error=str(err))
        return configs

    def syslog_devices(self) -> list[KnownDevice]:
        """Every device (enabled or not, whichever collector polls it) as the syslog
        receiver matches sources: id, name, configured host and the identity last
        stored (:class:`mikromon.schedule.syslog_runner.FleetAddresses`; one query,
        no password decrypted)."""
        usable_connection(self._using)
        rows = Device.objects.using(self._using).order_by("pk").values_list(
            "pk", "name", "host", "identity")
        return [KnownDevice(pk, name, host, identity) for pk, name, host, identity in rows]

    def config_version(self) -> str:
        """Return the configuration version token (one primary-key read); it changes
        with every ORM save/delete of a device, site or tag, also from other processes."""
        usable_connection(self._using)
        return ConfigVersion.current(using=self._using)

    def close(self) -> None:
        """Close this thread's database connection."""
        close_connection(self._using)
