"""The run as text: a table per workload, then the ratios of all workloads together."""

from __future__ import annotations

from typing import Any

from .machine import format_load

MIB = 2**20


def _mm(s: dict[str, float], fmt: str) -> str:
    return f"{s['median']:{fmt}} ({s['min']:{fmt}}–{s['max']:{fmt}})"


def _check_note(check: dict | None) -> str:
    if check is None:
        return "reference"
    e = check["errors"]
    note = f"loss {e['loss']:.0e}, W_hh {e['weight_hh']:.0e}"
    return note if check["ok"] else "WARNING: disagrees with the reference: " + note


def print_workload(name: str, r: dict[str, Any], skipped: dict[str, str]) -> None:
    """One workload: CPU and wall ms per step, per-round ratios to the reference, checks."""
    w = r["workload"]
    print(
        f"\n{name}: {w['cell']} I={w['I']} H={w['H']} V={w['V']} T={w['T']} B={w['B']} "
        f"({w['input']}), loss {r['loss']:.5f}; {format_load(r.get('loadavg'))}"
    )
    print(
        f"  {'impl':<12}{'CPU ms (min–max)':>26}{'CPU ratio (min–max)':>24}"
        f"{'wall ms':>10}{'wall ratio':>12}  check"
    )
    for k, t in r["timing"].items():
        print(
            f"  {k:<12}{_mm(t['cpu_ms'], '.2f'):>26}{_mm(t['cpu_ratio'], '.2f'):>24}"
            f"{t['wall_ms']['median']:>10.2f}{t['wall_ratio']['median']:>12.2f}  "
            f"{_check_note(r['checks'].get(k))}"
        )
    for k, note in skipped.items():
        print(f"  {k:<12}{note}")
    if "first_call_cpu_ms" in r and "compiled" in r["first_call_cpu_ms"]:
        first = r["first_call_cpu_ms"]["compiled"]
        eager = r["timing"]["eager"]["cpu_ms"]["median"] if "eager" in r["timing"] else None
        extra = f" = {first / eager:.1f} eager steps" if eager else ""
        print(f"  compiled: first call (capture and plan) {first:.1f} CPU ms{extra}")
    if "peak_memory_bytes" in r:
        print("  peak memory (tracemalloc): what one step allocates; building the step + 3 steps")
        for k, b in r["peak_memory_bytes"].items():
            b3 = r["peak_memory_build_3_steps_bytes"].get(k)
            built = f"{b3 / MIB:>9.1f} MiB" if b3 is not None else f"{'–':>13}"
            extra = "  (torch allocations not visible)" if k.startswith("torch") else ""
            print(f"    {k:<12}{b / MIB:>9.1f} MiB{built}{extra}")
        if "compiled" in r["peak_memory_bytes"]:
            print(
                "    compiled: its planned buffers exist before the step, so the first column\n"
                "    is only what one replay allocates; the buffers count in the second"
            )


def print_summary(workloads: dict[str, dict[str, Any]]) -> None:
    """CPU-time ratios to the reference: median (min–max) of per-round ratios."""
    impls: list[str] = []
    for r in workloads.values():
        impls += [k for k in r["timing"] if k not in impls]
    print("\nCPU-time ratio to the reference, median of per-round ratios (min–max):")
    print("  " + f"{'':<5}" + "".join(f"{k:>20}" for k in impls))
    for name, r in workloads.items():
        cells = []
        for k in impls:
            t = r["timing"].get(k)
            cells.append(f"{_mm(t['cpu_ratio'], '.2f'):>20}" if t else f"{'–':>20}")
        print(f"  {name:<5}" + "".join(cells))


def print_scaling(sc: dict[str, Any]) -> None:
    print(f"\nT-scaling ({sc['sizes']}), median CPU ms per step:")
    for k, v in sc["cpu_median_ms"].items():
        lo, hi = sc["cpu_min_max_ms"][k]
        print(f"  {k:<18}{v:>10.2f}   ({lo:.2f}–{hi:.2f})")
    for k, v in sc["ratio_T1000_over_T100"].items():
        print(f"  {k}: T=1000 / T=100 = {v:.2f} (median of per-round ratios; target ≤ 11)")
