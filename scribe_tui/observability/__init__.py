"""What a running supervisor tells the world outside the front end: Prometheus metrics and
webhook notifications, fed from the engine's events and snapshots."""
