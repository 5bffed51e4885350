"""The Prefect flows, importable as `uptake.flows` (see pyproject.toml); prefect.yaml
points its entrypoints at these files."""
