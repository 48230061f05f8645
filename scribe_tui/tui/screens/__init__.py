"""The TUI's screens, one a module: main, job detail, add documents, help."""
