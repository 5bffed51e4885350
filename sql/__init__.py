"""The SQL models, shipped inside the uptake package as `uptake.sql` (package data).

In a checkout they stay at the top level, where dbt users expect them; pyproject.toml
maps this folder to `uptake.sql`, so `importlib.resources` finds the same files in an
editable install and in a wheel.
"""
