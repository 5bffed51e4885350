"""Robustness under another study: a technology counted apart from the one that holds it.

The default study counts Keras with TensorFlow (its imports, paper words and Papers with
Code labels sit in TensorFlow's lists too). The alternative rule counts it apart: every
vocabulary entry of a technology that another technology's lists also hold is taken out
of the holder's lists. That changes what the SQL models count, so the rule cannot be
computed from the main marts: the warehouse is copied, the copy rebuilt with the
variant study and analysed, and the variant's rows are written beside the main ones
under the rule '<technology>_apart' (e.g. 'keras_apart'). The copy is deleted after.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from uptake.study import Study, Technology

VOCABULARIES = ("import_roots", "pypi_projects", "pwc_frameworks", "paper_words")


def nested_technologies(study: Study) -> dict[str, str]:
    """technology counted inside another -> the technology holding it ({'keras': 'tensorflow'})."""
    nested = {}
    for inner in study.technologies.values():
        for outer in study.technologies.values():
            if outer.id == inner.id or inner.id in nested:
                continue
            shared = [
                v
                for v in VOCABULARIES
                if getattr(inner, v) and set(getattr(inner, v)) <= set(getattr(outer, v))
            ]
            # held when every non-empty list of it but its own PyPI projects is in the other's
            held = [v for v in VOCABULARIES if v != "pypi_projects" and getattr(inner, v)]
            if held and set(held) <= set(shared):
                nested[inner.id] = outer.id
    return nested


def counted_apart(study: Study, inner_id: str) -> Study:
    """`study` with `inner_id`'s vocabulary taken out of every other technology's lists."""
    inner = study.technologies[inner_id]
    technologies: dict[str, Technology] = {}
    for technology in study.technologies.values():
        if technology.id == inner_id:
            technologies[technology.id] = technology
            continue
        changes = {
            v: tuple(entry for entry in getattr(technology, v) if entry not in getattr(inner, v))
            for v in VOCABULARIES
        }
        technologies[technology.id] = replace(technology, **changes)
    return replace(study, technologies=technologies)


def analyse_variants(warehouse, study: Study, **settings) -> list[str]:
    """Analyse each counted-apart variant of `study` on a copy; write its rows beside the
    main ones in `warehouse`. Returns the rules written."""
    from uptake.analysis import analyze, tables
    from uptake.models import build_models
    from uptake.warehouse import Warehouse

    if not _holds_study(warehouse.con, study):
        return []  # the warehouse was built with another study: its variant is not this one's
    rules = []
    for inner_id, outer_id in sorted(nested_technologies(study).items()):
        if not any(outer_id in r.technologies for r in study.rivalries.values()):
            continue
        rule = f"{inner_id}_apart"
        warehouse.con.execute("checkpoint")
        with tempfile.TemporaryDirectory(prefix="uptake-variant-") as folder:
            copy = Path(folder) / "variant.duckdb"
            shutil.copyfile(warehouse.path, copy)
            variant = counted_apart(study, inner_id)
            with Warehouse.open(copy) as variant_warehouse:
                variant_warehouse.sync_study(variant)
                build_models(variant_warehouse.con)
                result = analyze(
                    variant_warehouse, rule=rule, study=variant, write=False, **settings
                )
        # the variant's own research-counting rules come back as '<rule>, <research rule>'
        written = sorted({row["rule"] for row in result.crossovers + result.hypotheses} | {rule})
        tables.write_tables(warehouse.con, tables.analysis_rows(result, written), written)
        rules += written
    return rules


def _holds_study(con, study: Study) -> bool:
    held = {
        (rivalry, technology)
        for rivalry, technology in con.execute(
            "select rivalry, technology from meta.study_rivalries"
        ).fetchall()
    }
    return held == set(study.rivalry_members())
