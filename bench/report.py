"""Collects, prints and saves benchmark figures."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kib = 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "system": platform.platform(),
        "database": connection.vendor,
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class Report:
    def __init__(self) -> None:
        self.figures: list[dict] = []

    def figure(self, name: str, value: float, unit: str) -> None:
        value = round(value, 3) if isinstance(value, float) else value
        self.figures.append({"name": name, "value": value, "unit": unit})
        print(f"{name} {value} {unit}", flush=True)

    def timings(self, name: str, samples_ms: list[float]) -> None:
        """Median and p95 of a list of durations in milliseconds."""
        self.figure(f"{name}.median", statistics.median(samples_ms), "ms")
        self.figure(f"{name}.p95", percentile(samples_ms, 0.95), "ms")

    def save(self) -> Path:
        out = Path(settings.VAR_DIR) / "bench"
        out.mkdir(parents=True, exist_ok=True)
        path = out / "latest.json"
        payload = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "figures": self.figures,
        }
        path.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
        return path


def time_calls(call: Callable[[], object], repeat: int, warmup: int = 20) -> list[float]:
    """Durations in milliseconds of `repeat` calls, after a few unmeasured ones."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples
