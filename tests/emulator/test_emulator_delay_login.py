"""The ``delay`` fault also holds back the login's reply (a router that answers
every command late answers its login late too), so a new session to such a router
takes the delay, as on the real router the fault stands for."""

from __future__ import annotations

import asyncio
import time

from mikromon.domain.devices import DeviceConfig
from mikromon.emulator.testing import running_emulators
from mikromon.routeros.client import connect


def test_delay_holds_back_the_login_reply() -> None:
    with running_emulators(count=1, profile="v7") as (router,):
        cfg = DeviceConfig(id=1, name="r", host=router.host, port=router.port,
                           username=router.username, password=router.password,
                           connect_timeout=5.0, command_timeout=5.0)

        async def login_seconds() -> float:
            started = time.monotonic()
            client = await connect(cfg)
            took = time.monotonic() - started
            await client.close()
            return took

        assert asyncio.run(login_seconds()) < 0.4
        router.set_fault(delay=0.5)
        assert asyncio.run(login_seconds()) >= 0.5
