"""The limits layer: rate-limit buckets, retry policy, circuit breakers and shared provider state.

Importing this package is cheap; submodules pull in pyrate-limiter and SQLite on use.
"""
