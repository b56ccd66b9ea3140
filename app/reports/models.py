"""ORM models of the reports domain."""
