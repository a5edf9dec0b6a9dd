"""Moderation: the queue in front of every citizen contribution (interim approve/reject until
the full queue with screens, flags and appeals lands)."""
