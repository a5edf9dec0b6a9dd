"""Maintenance scripts of the search package (not imported at runtime)."""
