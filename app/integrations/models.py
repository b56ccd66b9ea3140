"""ORM models of the integrations domain."""
