"""CPU time from /proc: what given processes used, and how busy the whole machine was."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def process_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far (0 for one that is gone)."""
    total = 0.0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += (int(fields[11]) + int(fields[12])) / TICK
    return total


@dataclass(frozen=True)
class MachineTicks:
    busy: int
    total: int
    stolen: int = 0  # ticks this virtual machine's CPUs were ready but the hypervisor ran someone else

    @classmethod
    def now(cls) -> MachineTicks:
        try:
            values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        except OSError:
            return cls(0, 0)
        idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
        return cls(sum(values) - idle, sum(values), values[7] if len(values) > 7 else 0)

    def busy_pct_since(self, before: MachineTicks) -> float:
        return self._pct_since(before, self.busy - before.busy)

    def stolen_pct_since(self, before: MachineTicks) -> float:
        return self._pct_since(before, self.stolen - before.stolen)

    def _pct_since(self, before: MachineTicks, ticks: int) -> float:
        total = self.total - before.total
        return round(100 * ticks / total, 1) if total else 0.0
