"""Suite-wide test configuration: Hypothesis profiles and the import path.

Profiles: ``ci`` (deterministic, 30 examples, no deadline) is loaded by default, so the
README's test command is the one CI runs and a green run is reproducible; ``dev`` (100
random examples) explores more: ``HYPOTHESIS_PROFILE=dev python -m pytest``.
``HYPOTHESIS_PROFILE=<name>`` picks any registered profile.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

# The project is normally installed editable (.ci/setup); fall back to the repository root.
if importlib.util.find_spec("minigrad") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Both profiles build on Hypothesis's own defaults, not on whatever profile is loaded now
# (Hypothesis itself loads a built-in "ci" profile whenever CI is in the environment).
_BASE = settings.get_profile("default")
settings.register_profile(
    "ci",
    parent=_BASE,
    derandomize=True,
    deadline=None,
    max_examples=30,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", parent=_BASE, deadline=None, max_examples=100)


def _profile_name() -> str:
    return os.environ.get("HYPOTHESIS_PROFILE") or "ci"


settings.load_profile(_profile_name())
