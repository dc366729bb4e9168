"""Write a drawn graph to a file, choosing the format from the extension."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import graphviz

__all__ = ["save"]

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
INSTALL = (
    "the Graphviz `dot` program is not installed (needed to render {fmt}); install it "
    "with `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
    "(macOS) or the project's setup script `bash .ci/setup`{instead}"
)


def save(graph: graphviz.Digraph, path: str | os.PathLike) -> Path:
    """Write ``graph`` to ``path`` as .svg, .png, .pdf, or .dot/.gv (DOT source).

    DOT source needs nothing else; the image formats need Graphviz's ``dot`` program
    on the PATH. Returns the path written.
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"save: cannot tell the format of {str(path)!r}; use one of {', '.join(FORMATS)}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "dot":
        path.write_text(graph.source, encoding="utf-8")
        return path
    if shutil.which("dot") is None:
        raise RuntimeError(INSTALL.format(fmt=fmt.upper(), instead=", or save as .dot"))
    path.write_bytes(graph.pipe(format=fmt))
    return path
