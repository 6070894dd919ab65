"""localise."""
