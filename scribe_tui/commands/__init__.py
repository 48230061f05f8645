"""Operator commands: ``jobs``, ``status``, ``progress``, ``metrics``, ``health`` and
``simulate`` — short-lived front ends that read or steer the job store and exit."""
