"""Routing: the pure engine (engine.py) and the stored trace."""
