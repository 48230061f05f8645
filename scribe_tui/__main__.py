"""Entry point for ``python -m scribe_tui``."""

from scribe_tui.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
