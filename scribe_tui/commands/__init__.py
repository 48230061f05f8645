"""Operator commands (jobs, status, progress, metrics, health, simulate) and the
observability plumbing around the engine: Prometheus, tracing, webhook notifications."""
