"""The RouterBOARD models the emulator's profiles use: what
``/system/routerboard`` prints for each, which health capture its sensors
come from and which ports give PoE-out (``/interface/ethernet/poe``). A data table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

__all__ = ["BOARDS", "Board"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Board:
    """What ``/system/routerboard`` says about one RouterBOARD model.

    Attributes:
        name: ``board-name``, the same text as ``/system/resource`` ``board-name``.
        model: ``model`` (``"RBD52G-5HacD2HnD"``).
        firmware_type: ``firmware-type`` (``"ipq4000L"``).
        factory_firmware: ``factory-firmware``, the RouterBOOT the board shipped with.
        revision: ``revision`` (``"r2"``), or ``None`` for boards that print none.
        health: capture file the board's ``/system/health`` rows come from on 7.x
            (6.x boards use system_health.v6).
        poe_out: the ports that power other devices (PoE-out), from the product's
            specification; empty for boards without (the router then has no
            ``/interface/ethernet/poe`` menu).
    """

    name: str
    model: str
    firmware_type: str
    factory_firmware: str
    revision: str | None = None
    health: str = "system_health.v7"
    poe_out: tuple[str, ...] = ()


#: Boards the named profiles use, by ``board-name``. Sources: system_routerboard.v6
#: (hEX RB750Gr3 mt7621L, factory 6.48); system_resource.v7 (hAP ax^2 factory-software
#: 7.5); routerboard prints posted publicly for hAP ac^2 (RBD52G-5HacD2HnD, ipq4000L,
#: factory 6.45.9) and hAP ax^3 (ipq6000, the hAP ax^2's SoC family). The hAP lite's
#: firmware-type and the hAP ax^2 model code are reconstructed (product names), as
#: is the CCR2116's (an Annapurna Labs AL52400 SoC; the model code is the product
#: name, factory RouterOS 7.1, the first release for the board).
#: PoE-out ports from the product specifications on mikrotik.com (hEX PoE RB960PGS:
#: ether2-ether5; hEX S RB760iGS: ether5; RB5009UPr+S+IN: ether1-ether8;
#: CRS328-24P-4S+RM: ether1-ether24); the hAP ac^2, hAP lite, hAP ax^2 and hEX
#: (RB750Gr3) have none. The firmware-type and factory firmware of those four PoE
#: boards are reconstructed (their SoC families), as is the CRS328's revision.
BOARDS: Final[Mapping[str, Board]] = {b.name: b for b in (
    Board(name="hAP ac^2", model="RBD52G-5HacD2HnD", firmware_type="ipq4000L",
          factory_firmware="6.45.9", revision="r2"),
    Board(name="hAP lite", model="RB941-2nD", firmware_type="qca9531L",
          factory_firmware="6.40.8"),
    Board(name="hAP ax^2", model="C52iG-5HaxD2HaxD", firmware_type="ipq6000",
          factory_firmware="7.5"),
    Board(name="hEX", model="RB750Gr3", firmware_type="mt7621L", factory_firmware="6.48",
          health="system_health.v7-hex"),
    Board(name="hEX PoE", model="RB960PGS", firmware_type="mt7621L",
          factory_firmware="6.45.9", health="system_health.v7-hex",
          poe_out=("ether2", "ether3", "ether4", "ether5")),
    Board(name="hEX S", model="RB760iGS", firmware_type="mt7621L", factory_firmware="6.45.9",
          health="system_health.v7-hex", poe_out=("ether5",)),
    Board(name="RB5009UPr+S+IN", model="RB5009UPr+S+", firmware_type="mvebu",
          factory_firmware="7.6", poe_out=tuple(f"ether{k}" for k in range(1, 9))),
    Board(name="CRS328-24P-4S+", model="CRS328-24P-4S+", firmware_type="arm",
          factory_firmware="6.47.10", revision="r2",
          poe_out=tuple(f"ether{k}" for k in range(1, 25))),
    Board(name="CCR2116-12G-4S+", model="CCR2116-12G-4S+", firmware_type="al52400",
          factory_firmware="7.1"),
)}
