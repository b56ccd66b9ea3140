"""ORM models of the volunteers domain."""
