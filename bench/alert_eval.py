"""CPU cost of alert evaluation with the default rules at 1,000 routers.

Feeds :class:`mikromon.alerting.runner.AlertingQueue` (the collector's hand-off to the
writer, as in the service; the writer replaced by a queue that drops everything)
the sample batches 1,000 routers produce, and ticks the engine twice a simulated
second, as the service does:

* a realtime poll (every 5 s): 8 system metrics, 9 health sensors (the v7 CCR
  capture: temperatures, fans, PSU states), 12 interfaces x 8 rates (bit, packet,
  error and drop rates) = 113 samples;
* a short poll (every 60 s): 12 interfaces' running flags, 2 BGP peers, 3 OSPF
  neighbours with their counts, 4 per-core loads = 23 samples;
* every router ``--hot`` percent of the time above the CPU and temperature levels
  (their alerts go pending and fire), and its BGP/OSPF/links flapping now and then.

Measured: process CPU (``time.process_time``) per realtime poll batch, with the
engine's ticks and the short batches included, against the collector's CPU per
realtime poll measured by bench/service_scale.py (about 3 ms, bench/RESULTS.md).

Run: ``python bench/alert_eval.py [--routers 1000] [--minutes 10] [--hot 10]``.
No network, no database. Record the output in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
from datetime import UTC, datetime, timedelta

from mikromon.alerting.defaults import default_rules
from mikromon.alerting.engine import AlertEngine
from mikromon.alerting.rule_parsing import rule_from_mapping
from mikromon.alerting.rules import DeviceInfo, RuleSet
from mikromon.alerting.runner import AlertingQueue
from mikromon.domain.samples import Sample, make_labels

#: The collector's CPU per realtime poll (bench/RESULTS.md, "Collector service at
#: scale": about 3 ms with everything the other tiers do in between).
COLLECTOR_MS_PER_POLL = 3.0

IFACES = [f"ether{i}" for i in range(1, 9)] + ["bridge1", "vlan10", "vlan11", "lo"]
RATES = ("rx_bps", "tx_bps", "rx_pps", "tx_pps", "rx_errors_ps", "tx_errors_ps",
         "rx_drops_ps", "tx_drops_ps")
HEALTH = (("temperature", 46.0), ("cpu-temperature", 58.0), ("sfp-temperature", 46.0),
          ("fan1-speed", 6090.0), ("fan2-speed", 6030.0), ("board-temperature1", 45.0),
          ("board-temperature2", 48.0), ("psu1-state", 1.0), ("psu2-state", 0.0))


class _Drop:
    def put_samples(self, device_id, samples):
        pass

    def put_events(self, events):
        pass

    def put_status(self, status):
        pass

    def put_inventory(self, device_id, snapshot):
        pass


def realtime(ts: datetime, hot: bool, rnd: random.Random) -> list[Sample]:
    cpu = 95.0 if hot else 20.0 + rnd.random() * 30
    out = [Sample("system.cpu.load_pct", cpu, ts),
           Sample("system.cpu.count", 4.0, ts),
           Sample("system.memory.used_pct", 55.0, ts),
           Sample("system.memory.free_bytes", 4e8, ts),
           Sample("system.memory.total_bytes", 1e9, ts),
           Sample("system.disk.used_pct", 31.0, ts),
           Sample("system.disk.free_bytes", 8e7, ts),
           Sample("system.uptime_seconds", 86400.0, ts)]
    for name, value in HEALTH:
        if hot and "temperature" in name:
            value += 20
        out.append(Sample(f"system.health.{name}", value, ts))
    for iface in IFACES:
        labels = make_labels(interface=iface)
        for rate in RATES:
            value = 0.0 if "errors" in rate or "drops" in rate else rnd.random() * 1e6
            out.append(Sample(f"iface.{rate}", value, ts, labels))
    return out


def short(ts: datetime, flap: bool) -> list[Sample]:
    out = [Sample("iface.running", 0.0 if flap and i == 1 else 1.0, ts,
                  make_labels(interface=iface)) for i, iface in enumerate(IFACES)]
    out += [Sample("bgp.established", 0.0 if flap else 1.0, ts, make_labels(peer="up1")),
            Sample("bgp.established", 1.0, ts, make_labels(peer="up2")),
            Sample("ospf.neighbors", 3.0, ts), Sample("ospf.neighbors_full", 3.0, ts)]
    out += [Sample("ospf.neighbor_full", 1.0, ts, make_labels(neighbor=f"10.0.0.{k}"))
            for k in range(3)]
    out += [Sample("system.cpu.core_load_pct", 20.0, ts, make_labels(cpu=f"cpu{k}"))
            for k in range(4)]
    return out


def run(routers: int, minutes: int, hot_pct: float) -> dict[str, object]:
    rules = tuple(rule_from_mapping({**r, "id": i}) for i, r in enumerate(default_rules(), 1))
    devices = {i: DeviceInfo(id=i, name=f"rtr-{i:04d}") for i in range(1, routers + 1)}
    t0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    engine = AlertEngine(started=t0)
    engine.set_rules(RuleSet(rules, {}, devices), t0)
    queue = AlertingQueue(_Drop(), engine)
    rnd = random.Random(7)
    # Batches are built before timing: the collector builds them, not the engine.
    hot = {i for i in devices if rnd.random() * 100 < hot_pct}
    polls = minutes * 12
    batches = []
    for k in range(polls):
        ts = t0 + timedelta(seconds=5 * k)
        rt = {i: realtime(ts, i in hot and (k // 60) % 2 == 0, rnd) for i in devices}
        sh = ({i: short(ts, i in hot and (k // 12) % 3 == 1) for i in devices}
              if k % 12 == 0 else {})
        batches.append((ts, rt, sh))
    transitions = 0
    started = time.process_time()
    wall = time.perf_counter()
    for ts, rt, sh in batches:
        for i, samples in rt.items():
            queue.put_samples(i, samples)
        for i, samples in sh.items():
            queue.put_samples(i, samples)
        for half in range(10):  # two ticks per second, 5 s per realtime round
            engine.tick(ts + timedelta(seconds=half * 0.5))
        transitions += len(engine.drain())
    cpu = time.process_time() - started
    wall = time.perf_counter() - wall
    per_poll_ms = cpu * 1000 / (routers * polls)
    samples = sum(len(s) for _, rt, sh in batches for s in (*rt.values(), *sh.values()))
    return {
        "routers": routers, "simulated_minutes": minutes, "hot_pct": hot_pct,
        "rules": len(rules), "realtime_polls": routers * polls, "samples": samples,
        "transitions": transitions, "open_at_end": engine.stats()["open"],
        "cpu_s": round(cpu, 3), "wall_s": round(wall, 3),
        "eval_us_per_realtime_poll": round(per_poll_ms * 1000, 1),
        "eval_us_per_sample": round(cpu * 1e6 / samples, 3),
        "share_of_collector_cpu_pct": round(100 * per_poll_ms / COLLECTOR_MS_PER_POLL, 2),
        "cores_at_this_fleet": round(per_poll_ms * routers / 5000, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--routers", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=10, help="simulated minutes")
    parser.add_argument("--hot", type=float, default=10.0,
                        help="percent of routers above the CPU/temperature levels")
    args = parser.parse_args()
    print(json.dumps({"python": platform.python_version(), "machine": platform.machine()}))
    for hot in (0.0, args.hot):
        print(json.dumps(run(args.routers, args.minutes, hot)))


if __name__ == "__main__":
    main()
