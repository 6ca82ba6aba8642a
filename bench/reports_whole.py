"""Time of the whole tables (CSV export, API without paging) of the reports over
ranges not aligned to days, on the month of bench/reports.py kept in a folder.

The first run fills ``--data-dir`` as bench/reports.py does (``--interfaces``
interfaces, 30 days of 5-minute rollups, the summaries backfilled and the next
day folded in); later runs reuse it, so that the code of two trees can be timed
one after the other on the same database: run it with ``PYTHONPATH`` set to each
tree's ``src`` in turn (twice each, alternating, for a ratio measured side by
side). Each run checks the answers against the whole table computed from every
average (``summaries=False``) once, then prints the median CPU and wall time of
``--repeat`` runs of the 95th-percentile table and the top talkers.

Run: ``python bench/reports_whole.py --data-dir /tmp/reports-month``. Loopback
only; nothing leaves the folder.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reports as month  # bench/reports.py


def main() -> None:
    """Fill the folder when empty, check the answers, time and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--interfaces", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7, help="runs of each (median)")
    args = parser.parse_args()
    fresh = not os.path.exists(os.path.join(args.data_dir, "mikromon.sqlite3"))
    os.makedirs(args.data_dir, exist_ok=True)
    month._setup(args.data_dir)
    from mikromon.web.monitor import report_summaries, report_summary_pass, reports
    from mikromon.web.monitor.models import MaintenanceState

    start = month.MONTH_START.timestamp()
    end = start + month.DAYS * 86400
    if fresh:
        month._fill(args.interfaces)
        report_summaries.backfill()
        MaintenanceState.objects.filter(name="rollup_300").update(value=int(end) + 86400 + 300)
        month._clock(end + 86400 + 330)
        report_summary_pass.update()
    month._clock(end + 86400 + 330)
    ranges = {
        "7 days not aligned to days": (start + 10 * 86400 + 26_000, start + 17 * 86400 + 26_000),
        "24.7 days not aligned to days": (start + 2 * 86400 + 7 * 3600 + 13 * 60,
                                          end - 3 * 86400 - 8 * 3600 - 13 * 60),
    }
    talk = {"kinds": ("interface",)}
    print(f"load average {os.getloadavg()[0]:.1f}; "
          f"CPU ms (wall ms), median of {args.repeat}")
    for label, (lo, hi) in ranges.items():
        for name, report, kwargs in (("95th percentile", reports.percentile_report, {}),
                                     ("top talkers", reports.top_talkers, talk)):
            if not month._same(report(lo, hi, summaries=False, **kwargs),
                               report(lo, hi, **kwargs)):
                raise SystemExit(f"{name}, {label}: the answer differs from the reference")
            wall, cpu, _ = month._timed(lambda r=report, k=kwargs, a=lo, b=hi: r(a, b, **k),
                                        args.repeat)
            print(f"| {name}, whole table, {label} | {cpu * 1000:.0f} ({wall * 1000:.0f}) |")


if __name__ == "__main__":
    main()
