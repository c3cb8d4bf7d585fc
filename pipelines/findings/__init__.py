"""Findings: what in the inventory is worth cleaning, with bytes and $/month (see findings.py)."""
