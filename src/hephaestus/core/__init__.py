"""Shared primitives every operation stands on; imports no operation."""
