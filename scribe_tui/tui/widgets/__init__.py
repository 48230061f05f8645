"""The TUI's widgets, one a module: the keyed tables behind each pane, the throughput panel and the filter line."""
