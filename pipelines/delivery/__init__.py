"""Delivering a rendered report to the destinations of the `deliver` setting."""
