"""Readers for the remote and local data sources, each loading one raw table."""
