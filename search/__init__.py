"""Full-text search over published content; fed by forum events after commit."""
