"""Run a child Python as if some installed packages were not: a ``sitecustomize`` on
PYTHONPATH puts a finder first on ``sys.meta_path`` that refuses them. Every interpreter the
child starts (worker processes included) reads the same environment, so they miss them too."""

from __future__ import annotations

import os
from pathlib import Path

_SITECUSTOMIZE = '''\
import sys

HIDDEN = {hidden!r}


class _Hidden:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {{name!r}} (hidden by the test)", name=name)
        return None


sys.meta_path.insert(0, _Hidden())
'''


def env_without(tmp_path: Path, *packages: str) -> dict[str, str]:
    """The environment for a child process that cannot import ``packages``."""
    folder = tmp_path / "hide-packages"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(_SITECUSTOMIZE.format(hidden=tuple(packages)))
    existing = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": os.pathsep.join([str(folder), *([existing] if existing else [])])}
