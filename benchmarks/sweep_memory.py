"""Peak memory of a Monte Carlo sweep against its number of points: it should not grow.

Runs ``bargain sweep`` on the flagship scenario (no convexity check, no fallback,
Nash and Rubinstein, Parquet) for each size given, in a child process, and
samples the resident memory of that process and its workers from ``/proc``
every 0.1 s. Prints, per size, the peak of the whole process tree and of its
largest process, with the wall time and the size of the file. Linux only.

Usage (from the repository root)::

    python benchmarks/sweep_memory.py --points 1000000 10000000

A 10-million-point sweep writes about 3 GB (to a temporary folder, removed at
the end) and takes about a minute on two cores.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLAGSHIP = "scenarios/korea_us/september_2025_standoff.toml"
PAGE = 4096


def _tree(root: int) -> list[int]:
    """The process ``root`` and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _rss(pid: int) -> int:
    """Resident bytes of one process (0 if it has ended)."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError):
        return 0


def measure(points: int, folder: Path) -> dict[str, float]:
    """Run one sweep and sample its memory; returns peaks (bytes), seconds and file size."""
    out = folder / f"mc{points}.parquet"
    command = [
        sys.executable,
        "-m",
        "bargain.cli",
        "sweep",
        FLAGSHIP,
        "--no-convexity-check",
        "--no-fallback",
        "--samples",
        str(points),
        "--seed",
        "1",
        "--solver",
        "nash,rubinstein",
        "--out",
        str(out),
        "--quiet",
    ]
    start = time.perf_counter()
    child = subprocess.Popen(command)
    total = largest = 0
    while child.poll() is None:
        sizes = [_rss(pid) for pid in _tree(child.pid)]
        total, largest = max(total, sum(sizes)), max(largest, max(sizes))
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    if child.returncode:
        raise SystemExit(f"the sweep of {points:,} points failed ({child.returncode})")
    size = out.stat().st_size
    out.unlink()
    return {"total": total, "largest": largest, "seconds": seconds, "file": size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, nargs="+", default=[1_000_000, 10_000_000])
    args = parser.parse_args()
    if not Path("/proc/self/statm").exists():
        raise SystemExit("this benchmark reads /proc: Linux only")
    print(f"flagship: {FLAGSHIP}; bargain sweep, 2 workers by default, chunks of 50,000")
    with tempfile.TemporaryDirectory() as tmp:
        for points in args.points:
            m = measure(points, Path(tmp))
            print(
                f"{points:>12,} points: peak {m['total'] / 2**20:,.0f} MiB for all processes, "
                f"{m['largest'] / 2**20:,.0f} MiB for the largest; "
                f"{m['seconds']:.1f} s; file {m['file'] / 1e6:,.0f} MB"
            )


if __name__ == "__main__":
    main()
