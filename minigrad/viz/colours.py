"""A perceptual colour map (viridis) without matplotlib, and the legend that explains it.

Viridis is perceptually uniform and reads in greyscale, so a fade from yellow to
purple across time steps is a true fade in gradient norm, not an artefact of hue.
"""

from __future__ import annotations

import math

__all__ = ["NONFINITE", "VIRIDIS", "font_for", "legend_label", "viridis"]

# Viridis sampled at 0, 0.1, ..., 1 (the published matplotlib table); linear
# interpolation between neighbouring stops is indistinguishable at this spacing.
VIRIDIS: tuple[tuple[int, int, int], ...] = (
    (0x44, 0x01, 0x54),
    (0x48, 0x24, 0x75),
    (0x41, 0x44, 0x87),
    (0x35, 0x5F, 0x8D),
    (0x2A, 0x78, 0x8E),
    (0x21, 0x91, 0x8C),
    (0x22, 0xA8, 0x84),
    (0x44, 0xBF, 0x70),
    (0x7A, 0xD1, 0x51),
    (0xBD, 0xDF, 0x26),
    (0xFD, 0xE7, 0x25),
)
# The fill of a node whose gradient norm is infinite or NaN: off the map, and red.
NONFINITE = "#e8463a"


def viridis(x: float) -> str:
    """The viridis colour at ``x`` in [0, 1] (clipped; NaN maps to 0) as ``#rrggbb``."""
    if not x > 0.0:
        x = 0.0
    x = min(x, 1.0) * (len(VIRIDIS) - 1)
    k = min(int(x), len(VIRIDIS) - 2)
    frac = x - k
    lo, hi = VIRIDIS[k], VIRIDIS[k + 1]
    r, g, b = (round(a + (c - a) * frac) for a, c in zip(lo, hi, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def font_for(colour: str) -> str:
    """Black or white text, whichever reads better on ``colour`` (by luminance)."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "white"


def legend_label(lo: float, hi: float, nonfinite: bool = False, cells: int = 9) -> str:
    """An HTML-like Graphviz label: a colour bar from ``lo`` to ``hi`` (log10 units),
    and, when ``nonfinite``, the colour of an infinite or NaN norm."""
    bar = "".join(
        f'<TD BGCOLOR="{viridis(k / (cells - 1))}" WIDTH="14" HEIGHT="14"></TD>'
        for k in range(cells)
    )
    ends = (
        f'<TD COLSPAN="{cells // 2}" ALIGN="LEFT">{_fmt(lo)}</TD>'
        f'<TD COLSPAN="{cells - cells // 2}" ALIGN="RIGHT">{_fmt(hi)}</TD>'
    )
    extra = (
        f'<TR><TD BGCOLOR="{NONFINITE}" WIDTH="14" HEIGHT="14"></TD>'
        f'<TD COLSPAN="{cells - 1}" ALIGN="LEFT">inf or NaN</TD></TR>'
        if nonfinite
        else ""
    )
    return (
        '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
        f'<TR><TD COLSPAN="{cells}">log10 ‖grad‖</TD></TR>'
        f"<TR>{bar}</TR><TR>{ends}</TR>{extra}</TABLE>>"
    )


def _fmt(v: float) -> str:
    return f"{v:.1f}" if math.isfinite(v) else str(v)
