"""ORM models of the care domain."""
