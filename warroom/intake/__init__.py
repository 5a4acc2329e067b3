"""Alerts turned into incidents and entries, through the one write path."""
