"""Maintenance scripts of the course repository (run as ``python -m tools.<name>``)."""
