"""Pictures of :mod:`rnn.app.dynamics` results (needs the optional ``plots`` extra, matplotlib).

- :func:`plot_spectrum`: the Lyapunov exponents λ_1 ≥ λ_2 ≥ ... of each model;
- :func:`plot_products`: log σ of J_T ⋯ J_{T-k+1} against k (largest, median and smallest),
  beside gradflow's ‖∂L/∂h_{T-k}‖ / ‖∂L/∂h_T‖ on the same layer, which σ_max bounds;
- :func:`plot_fixed_points`: the eigenvalues of the Jacobian at each fixed point in the
  complex plane, with the unit circle (inside: the direction contracts).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .dynamics import Analysis
from .gradflow import PLOTS_HINT

# The spectrum's axis stops here (nats per step).
FLOOR = -12.0

__all__ = ["FIGURES", "plot_fixed_points", "plot_products", "plot_spectrum", "pyplot"]


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend; ImportError with the install hint."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(PLOTS_HINT) from exc
    return plt


def plot_spectrum(analyses: list[Analysis], path: str, title: str = "") -> None:
    """λ_i against i / D for each analysis (so sizes compare), zero marked."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for a in analyses:
        lam = np.where(np.isfinite(a.exponents), a.exponents, np.nan)
        ax.plot((np.arange(len(lam)) + 1) / a.dim, lam, marker=".", ms=3, label=a.name)
    ax.axhline(0, color="k", lw=0.8)
    lowest = min(
        (
            np.nanmin(np.where(np.isfinite(a.exponents), a.exponents, np.nan))
            for a in analyses
            if np.isfinite(a.exponents).any()
        ),
        default=-1.0,
    )
    if lowest < FLOOR:
        # per-step contractions beyond e^-12 are directions the step all but deletes
        # (dead ReLU units, saturated gates); their exact values are rounding
        ax.set_ylim(bottom=FLOOR)
        ax.text(
            0.02,
            0.03,
            f"axis cut at {FLOOR}: lower λ_i not shown",
            transform=ax.transAxes,
            fontsize="small",
        )
    ax.set_xlabel("i / D")
    ax.set_ylabel("λ_i (nats per step)")
    ax.set_title(title or "Lyapunov spectrum")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_products(analyses: list[Analysis], path: str, title: str = "") -> None:
    """Left: log10 σ_max, σ_median, σ_min of the product over k steps; right: log10 of
    gradflow's gradient ratio; both against the distance k."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for i, a in enumerate(analyses):
        colour = f"C{i % 10}"
        p = a.products
        logs = p.log_singular_values / np.log(10)
        mid = logs.shape[1] // 2
        left.plot(p.distances, logs[:, 0], color=colour, label=a.name)
        left.plot(p.distances, logs[:, mid], color=colour, ls="--", lw=0.8)
        left.plot(
            p.distances,
            np.where(np.isfinite(logs[:, -1]), logs[:, -1], np.nan),
            color=colour,
            ls=":",
            lw=0.8,
        )
        g = a.gradient_norms
        ok = g > 0
        right.plot(np.arange(len(g))[ok], np.log10(g[ok]), color=colour, label=a.name)
        right.plot(p.distances, logs[:, 0], color=colour, lw=0.6, ls="--")
    left.set_title("σ of J_T ⋯ J_{T-k+1}: max (—), median (--), min (··)")
    left.set_ylabel("log10")
    right.set_title("gradflow ‖∂L/∂h_{T-k}‖ / ‖∂L/∂h_T‖ (—), σ_max (--)")
    for ax in (left, right):
        ax.set_xlabel("distance k")
        ax.grid(alpha=0.3)
    right.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_fixed_points(analyses: list[Analysis], path: str, title: str = "") -> None:
    """Each fixed point's eigenvalues (filled: stable point, hollow: unstable), one panel
    per analysis, with the unit circle."""
    plt = pyplot()
    n = len(analyses)
    fig, axes = plt.subplots(1, n, figsize=(4 * n, 4), squeeze=False)
    circle = np.exp(1j * np.linspace(0, 2 * np.pi, 400))
    for ax, a in zip(axes[0], analyses, strict=True):
        ax.plot(circle.real, circle.imag, color="k", lw=0.8)
        for j, (eig, stable) in enumerate(zip(a.fixed.eigenvalues, a.fixed.stable, strict=True)):
            colour = f"C{j % 10}"
            face = colour if stable else "none"
            ax.scatter(eig.real, eig.imag, s=12, facecolors=face, edgecolors=colour)
        found = len(a.fixed.points)
        stable = int(a.fixed.stable.sum())
        ax.set_title(f"{a.name}: {found} fixed points, {stable} stable", fontsize="small")
        ax.set_aspect("equal")
        ax.set_xlabel("Re λ")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("Im λ")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# file name -> drawing function, as ``rnn dynamics -o DIR`` writes them
FIGURES = {
    "spectrum.png": plot_spectrum,
    "products.png": plot_products,
    "fixed_points.png": plot_fixed_points,
}
