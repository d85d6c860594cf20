"""``haybale batch --ray`` with the CPU of the whole Ray cluster it starts, for the ``batch`` phase.

    python batch_ray.py batch rows.jsonl -o OUT_DIR --ray --actors 2 --concurrency 50 ...

Runs the ``haybale`` command in this process, with these arguments. The orchestrator's ``wait4``
sees only this process and the children it reaps: the Ray processes (GCS, raylet, agents, the
workers and actors) are started, and partly reaped, elsewhere in the tree, and die at
``ray.shutdown``. So ``ray.shutdown`` is wrapped: just before the cluster goes, the CPU of every
descendant of this process is read from ``/proc`` (user+sys, plus that of the children each has
reaped), with this process's own. CPU spent in the shutdown itself and at exit is not counted.

The command's affinity is widened to every core first, so the Ray processes share the machine with
the benchmark server instead of crowding onto the client core. Prints one JSON object (seconds):
the whole tree, the ``MapWorker`` actors alone (the processes that send the rows: what compares with
the local runner), the ``RateKeeper`` actor (paces every request of the job), and the sum of each
process's peak RSS (MB; an upper bound, shared pages counted once per process).
"""

from __future__ import annotations

import json
import os
import resource
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Keep the library names importable: this folder also holds scripts named like them. Ray hands the
# script's folder to its workers only when it is on sys.path, so they are kept clear of it too.
_HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[:] = [p for p in sys.path if os.path.realpath(p or os.curdir) != _HERE]

_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    cpu_s: float  # its own user+sys
    reaped_cpu_s: float  # user+sys of the children it has waited for
    cmdline: str
    peak_rss_mb: float


def read_proc(pid: int) -> Proc | None:
    """One process's figures from /proc, or None if it is gone."""
    folder = Path(f"/proc/{pid}")
    try:
        stat = (folder / "stat").read_text()
        cmdline = (folder / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        status = (folder / "status").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()  # the name in parentheses may hold spaces
    ticks = [int(value) for value in fields[11:15]]  # utime stime cutime cstime
    hwm = [line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")]
    return Proc(
        pid, int(fields[1]), (ticks[0] + ticks[1]) / _TICK, (ticks[2] + ticks[3]) / _TICK, cmdline,
        int(hwm[0]) / 1024 if hwm else 0.0,
    )  # fmt: skip


def descendants(root: int) -> list[Proc]:
    """Every living (or not yet reaped) process below ``root``, found through the ppid links."""
    procs = [proc for name in os.listdir("/proc") if name.isdigit() and (proc := read_proc(int(name)))]
    children: dict[int, list[Proc]] = {}
    for proc in procs:
        children.setdefault(proc.ppid, []).append(proc)
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child.pid)
    return found


def tree_figures() -> dict[str, float]:
    """The CPU of this process and everything it started, as it stands now."""
    tree = descendants(os.getpid())
    actors = [proc for proc in tree if "MapWorker" in proc.cmdline]
    if not actors:
        raise RuntimeError("no MapWorker process found before ray.shutdown: the actor figure would be 0")
    own = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    own_rss = own[0].ru_maxrss / 1024
    return {
        "tree_cpu_s": sum(u.ru_utime + u.ru_stime for u in own) + sum(p.cpu_s + p.reaped_cpu_s for p in tree),
        "actor_cpu_s": sum(proc.cpu_s for proc in actors),
        "keeper_cpu_s": sum(proc.cpu_s for proc in tree if "RateKeeper" in proc.cmdline),
        "peak_rss_mb": own_rss + sum(proc.peak_rss_mb for proc in tree),
    }


def main() -> int:
    os.sched_setaffinity(0, range(os.cpu_count() or 1))
    import ray

    from haybale.cli._main import main as haybale

    measured: list[dict[str, float]] = []
    shutdown = ray.shutdown

    def measured_shutdown(*args: Any, **kwargs: Any) -> None:
        if not measured and ray.is_initialized():
            measured.append(tree_figures())
        shutdown(*args, **kwargs)

    ray.shutdown = measured_shutdown
    status = haybale(sys.argv[1:])
    if status == 0 and not measured:
        raise RuntimeError("haybale batch --ray never called ray.shutdown: nothing was measured")
    if measured:
        print(json.dumps(measured[0]))
    return status


if __name__ == "__main__":
    sys.exit(main())
