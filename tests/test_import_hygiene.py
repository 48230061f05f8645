"""The core and the engine stay importable without Textual (DESIGN.md: two front ends over
one engine); checked in a fresh interpreter so nothing else has imported it first."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

HEADLESS = ["scribe_tui.config", "scribe_tui.store", "scribe_tui.documents", "scribe_tui.providers.registry",
            "scribe_tui.limits.gateway", "scribe_tui.cache", "scribe_tui.engine.supervisor",
            "scribe_tui.engine.worker", "scribe_tui.engine.monitor", "scribe_tui.batch", "scribe_tui.simulator",
            "scribe_tui.commands.registry", "scribe_tui.observability.observers"]


def test_headless_modules_do_not_import_textual() -> None:
    script = ("import importlib, sys\n"
              f"for name in {HEADLESS!r}:\n"
              "    importlib.import_module(name)\n"
              "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
              "print(len(bad))\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0"
