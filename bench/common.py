"""Shared tools for `make bench`: a report, timers and percentiles.

Each benchmark module is ``bench/b<NN>_<area>.py`` with ``def run(report: Report) -> None``.
Modules run in file-name order against the bench database, which ``b10_seed`` fills with the
full book first; a module may change data (open cases, plan reminders) for the ones after it.
"""

import math
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass, field


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile of ``samples`` (pct in 0..100)."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@contextmanager
def stopwatch():
    """``with stopwatch() as elapsed: ...`` then ``elapsed()`` gives the seconds taken."""
    start = time.perf_counter()
    end = None

    def elapsed():
        return (end or time.perf_counter()) - start

    try:
        yield elapsed
    finally:
        end = time.perf_counter()


def time_requests(client, paths: list[str], repeat: int = 20) -> list[float]:
    """Server time in ms of GETting each path ``repeat`` times with a Django test client
    (already logged in); the first round warms caches and is not counted."""
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    samples = []
    for _ in range(repeat):
        for path in paths:
            start = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (path, response.status_code)
    return samples


@dataclass
class Row:
    area: str
    metric: str
    value: str
    target: str = ""
    passed: bool | None = None
    # Latency rows keep their samples (ms), so a module can re-read another module's page timings
    # (b95_growth runs b20/b40/b70's page functions against other book sizes).
    samples_ms: list[float] | None = field(default=None, repr=False)


@dataclass
class Report:
    scale: int
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, area: str, metric: str, value: str, target: str = "", passed: bool | None = None) -> None:
        self.rows.append(Row(area, metric, value, target, passed))
        mark = {True: "PASS", False: "FAIL", None: ""}[passed]
        print(f"[{area}] {metric}: {value} {('(target ' + target + ') ') if target else ''}{mark}", flush=True)

    def add_latency(self, area: str, metric: str, samples_ms: list[float], target_p95_ms: float) -> None:
        p95 = percentile(samples_ms, 95)
        self.add(
            area,
            metric,
            f"p50 {statistics.median(samples_ms):.1f} ms, p95 {p95:.1f} ms (n={len(samples_ms)})",
            f"p95 < {target_p95_ms:g} ms",
            p95 < target_p95_ms,
        )
        self.rows[-1].samples_ms = list(samples_ms)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def markdown(self, header: str) -> str:
        lines = [header, "", "| area | metric | result | target | |", "|---|---|---|---|---|"]
        for row in self.rows:
            mark = {True: "✅", False: "❌", None: ""}[row.passed]
            lines.append(f"| {row.area} | {row.metric} | {row.value} | {row.target} | {mark} |")
        if self.notes:
            lines += ["", "Notes:", ""] + [f"- {n}" for n in self.notes]
        return "\n".join(lines) + "\n"
