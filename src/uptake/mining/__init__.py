"""Mining code for the study's technologies: which modules Python files and notebooks import.

`uptake.mining.imports` is the one import extractor every miner uses (local clones, the
GitHub API, BigQuery rows): `extract_imports(content, path)` never raises, and
`technologies_for(roots, import_roots)` maps module roots to the study's technologies.
"""
