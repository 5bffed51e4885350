"""A mined corpus as one compact, versioned file: export it, load it anywhere.

The file is a zip of Parquet tables and a manifest. It holds, for every repository of
the corpus, its outcome (mined, or why not), its month-end snapshots (the commit mined,
file counts) and, per month, how many files import each set of top-level modules; with
them, the papers and cohort listings that name those repositories. Every imported
top-level module is kept, not only the study's technologies, so any study rebuilds from
the file without mining again.

Compactly: the files of a month-end tree that import exactly the same top-level modules
are one group; each distinct module set is stored once (`module_sets`), and `presence`
says over which runs of consecutive months a repository's trees held how many files of
each set. Loading writes each set as one cached "blob" keyed `corpus:<digest>` (method
`corpus`), so the models count files per module exactly as for blobs mined here; the git
blob ids themselves are not shipped. A repository mined here later replaces nothing the
corpus loaded for the months it already has under the same commit.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from uptake.errors import SourceError
from uptake.mining import store
from uptake.mining.repositories import repository_name
from uptake.sources.local_files import read_bounded
from uptake.warehouse import Load, Warehouse, utcnow

FORMAT = "uptake-mined-corpus"
FORMAT_VERSION = 1
SOURCE = "mining_corpus"
SET_PREFIX = "corpus:"
MAX_MEMBER_BYTES = 512 * 1024 * 1024
MAX_CORPUS_BYTES = 1024 * 1024 * 1024


@dataclass(frozen=True)
class CopiedTable:
    """Rows of a source's raw table that name the corpus's repositories, copied as they are."""

    export_sql: str  # reads the rows, less load provenance, from temp tables export_corpus makes
    target: str  # the raw table they load back into
    key: str  # the columns that identify a row there: loading replaces rows of the same key


# name in the file -> how its rows are exported and loaded back
_COPIED_TABLES = {
    "paper_list_editions": CopiedTable(
        """
        select conference, year, edition_month, month_basis, papers, content_sha256, origin
        from raw.paper_list_editions
        where (conference, year) in (select (conference, year) from corpus_papers)
        order by conference, year
        """,
        "raw.paper_list_editions",
        "(conference, year)",
    ),
    "paper_list_papers": CopiedTable(
        """
        select conference, year, paper_id, title, status, track, site, code_field,
            github_repos, other_code_urls
        from corpus_papers
        order by conference, year, paper_id
        """,
        "raw.paper_list_papers",
        "(conference, year, paper_id)",
    ),
    "conference_paper_lists": CopiedTable(
        """
        select * exclude (load_id, loaded_at) from raw.conference_paper_lists
        where (conference, year) in (select (conference, year) from corpus_conference_papers)
        order by conference, year
        """,
        "raw.conference_paper_lists",
        "(conference, year)",
    ),
    "conference_papers": CopiedTable(
        "select * from corpus_conference_papers order by conference, year, paper_id",
        "raw.conference_papers",
        "(conference, year, paper_id)",
    ),
    "github_ranking": CopiedTable(
        """
        select * exclude (load_id, loaded_at) from raw.github_ranking
        where repo in (select lower(repo) from corpus_repos)
        order by cohort, month, rank
        """,
        "raw.github_ranking",
        "(cohort, month, repo)",
    ),
}


@dataclass(frozen=True)
class CorpusSummary:
    repositories: int
    mined: int
    months: int
    module_sets: int
    presence_runs: int
    papers: int
    bytes: int


def export_corpus(warehouse: Warehouse, destination: Path) -> CorpusSummary:
    """Write every repository with a mining outcome, and what names it, to `destination`."""
    con = warehouse.con
    repos = con.execute("select count(*) from raw.repo_mining_outcomes").fetchone()[0]
    if not repos:
        raise SourceError(
            "no mined repositories in the warehouse to export: run `uptake mine` first"
        )
    con.execute(
        "create or replace temp table corpus_repos as select repo from raw.repo_mining_outcomes"
    )
    con.execute(
        """
        create or replace temp table corpus_papers as
        select * exclude (load_id, loaded_at) from raw.paper_list_papers
        where len(list_intersect(github_repos, (select list(lower(repo)) from corpus_repos))) > 0
        """
    )
    con.execute(
        """
        create or replace temp table corpus_conference_papers as
        select * exclude (load_id, loaded_at) from raw.conference_papers
        where code_repo_is_github and lower(regexp_extract(code_repo_url, 'github\\.com/([^/]+/[^/]+)', 1))
            in (select lower(repo) from corpus_repos)
        """
    )
    tables = {
        name: con.sql(table.export_sql).to_arrow_table() for name, table in _COPIED_TABLES.items()
    }
    tables["repositories"] = con.sql(
        """
        select repo, outcome, reason, head_commit, months
        from raw.repo_mining_outcomes order by repo
        """
    ).to_arrow_table()
    tables["months"] = con.sql(
        """
        select repo, month, commit_sha, committed_at, python_files, notebook_files,
            fallback_files, skipped_files
        from raw.repo_snapshots
        where repo in (select repo from corpus_repos)
        order by repo, month
        """
    ).to_arrow_table()
    tables["module_sets"], tables["presence"] = _module_presence(con)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "extractor_version": store.EXTRACTOR_VERSION,
        "rows": {name: table.num_rows for name, table in sorted(tables.items())},
        "sha256": {},
    }
    destination.parent.mkdir(parents=True, exist_ok=True)
    members = {}
    for name, table in sorted(tables.items()):
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd", compression_level=19)
        members[f"{name}.parquet"] = buffer.getvalue()
        manifest["sha256"][name] = hashlib.sha256(members[f"{name}.parquet"]).hexdigest()
    partial = destination.with_name(destination.name + ".part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(_entry("manifest.json"), json.dumps(manifest, indent=1, sort_keys=True))
        for name, payload in members.items():
            archive.writestr(_entry(name), payload)
    partial.replace(destination)  # never a half-written corpus under the real name
    outcomes = tables["repositories"]["outcome"].to_pylist()
    return CorpusSummary(
        repositories=len(outcomes),
        mined=outcomes.count("mined"),
        months=tables["months"].num_rows,
        module_sets=tables["module_sets"].num_rows,
        presence_runs=tables["presence"].num_rows,
        papers=tables["paper_list_papers"].num_rows + tables["conference_papers"].num_rows,
        bytes=destination.stat().st_size,
    )


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # same data, same bytes
    info.compress_type = zipfile.ZIP_STORED
    return info


def _module_presence(con) -> tuple[pa.Table, pa.Table]:
    """Distinct module sets, and runs of consecutive months a repository held n files of each."""
    con.execute(
        """
        create or replace temp table corpus_month_sets as
        select s.repo, s.month, list_sort(b.import_roots) as roots, sum(s.files)::integer as files
        from raw.repo_snapshot_blobs as s
        join raw.blob_imports as b using (blob_sha)
        where s.repo in (select repo from corpus_repos) and len(b.import_roots) > 0
        group by all
        """
    )
    con.execute(
        """
        create or replace temp table corpus_sets as
        select row_number() over (order by roots)::integer - 1 as set_id, roots
        from (select distinct roots from corpus_month_sets)
        """
    )
    module_sets = con.sql(
        "select set_id, roots as import_roots from corpus_sets order by set_id"
    ).to_arrow_table()
    presence = con.sql(
        """
        with numbered as (
            select m.repo, c.set_id, m.month, m.files,
                (year(m.month) * 12 + month(m.month))
                    - row_number() over (partition by m.repo, c.set_id, m.files order by m.month)
                    as run
            from corpus_month_sets as m join corpus_sets as c using (roots)
        )
        select repo, set_id, min(month) as first_month, max(month) as last_month, files
        from numbered
        group by repo, set_id, files, run
        order by repo, set_id, first_month
        """
    ).to_arrow_table()
    return module_sets, presence


def read_corpus(path: Path, content: bytes | None = None) -> dict[str, pa.Table]:
    """The tables of a corpus file (or of its `content`, read already), checked against
    its manifest."""
    if content is None:
        content = read_bounded(str(path), MAX_CORPUS_BYTES, "a mined corpus")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (OSError, zipfile.BadZipFile) as exc:
        raise SourceError(f"{path} is not a mined corpus: {exc}") from None
    with archive:
        try:
            manifest = json.loads(_member(archive, "manifest.json", path))
        except ValueError as exc:
            raise SourceError(f"{path}: the manifest is not JSON: {exc}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise SourceError(f"{path} is not a mined corpus (no {FORMAT} manifest)")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise SourceError(
                f"{path} is corpus format {manifest.get('format_version')!r}; this uptake "
                f"reads format {FORMAT_VERSION}: export it again with this version"
            )
        tables = {}
        for name, digest in sorted((manifest.get("sha256") or {}).items()):
            payload = _member(archive, f"{name}.parquet", path)
            if hashlib.sha256(payload).hexdigest() != digest:
                raise SourceError(f"{path}: {name} does not match the manifest (corrupt file)")
            try:
                tables[name] = pq.read_table(pa.BufferReader(payload))
            except (pa.ArrowException, OSError) as exc:
                raise SourceError(f"{path}: {name} is not a Parquet table: {exc}") from None
    missing = {"repositories", "months", "module_sets", "presence", *_COPIED_TABLES} - tables.keys()
    if missing:
        raise SourceError(f"{path}: the corpus lacks {', '.join(sorted(missing))}")
    _check_repository_names(path, tables)
    return tables


def _check_repository_names(path: Path, tables: dict[str, pa.Table]) -> None:
    """Refuse a file naming a repository uptake could not have mined under that name: a
    name is a path segment of clones and a URL elsewhere, so it must be one."""
    for name in ("repositories", "months", "presence"):
        for repo in pc.unique(tables[name].column("repo")).to_pylist():
            try:
                repository_name(repo if isinstance(repo, str) else "")
            except SourceError as exc:
                raise SourceError(f"{path}: {name}: {exc}") from None


def _member(archive: zipfile.ZipFile, name: str, path: Path) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise SourceError(f"{path}: no {name} in the corpus") from None
    if info.file_size > MAX_MEMBER_BYTES:
        raise SourceError(f"{path}: {name} is larger than {MAX_MEMBER_BYTES >> 20} MB")
    with archive.open(info) as handle:
        return handle.read(MAX_MEMBER_BYTES + 1)


def load_corpus(warehouse: Warehouse, path: Path) -> dict:
    """Load a corpus file in one transaction; a file already loaded (same bytes) is skipped.

    Rows of the same repositories, months, papers and listings are replaced; everything
    else in the warehouse stays as it is.
    """
    content = read_bounded(str(path), MAX_CORPUS_BYTES, "a mined corpus")
    content_sha = hashlib.sha256(content).hexdigest()
    load = Load(SOURCE, {"corpus": Path(path).name, "sha256": content_sha})
    con = warehouse.con
    loaded_before = con.execute(
        "select count(*) from meta.loads where source = ? and status = 'succeeded' "
        "and parameters like ?",
        [SOURCE, f'%"sha256": "{content_sha}"%'],
    ).fetchone()[0]
    if loaded_before:
        load.items_skipped += 1
        with warehouse.load(SOURCE, load.parameters, load):
            pass
        return load.summary()
    tables = read_corpus(Path(path), content)
    now = utcnow()
    with warehouse.load(SOURCE, load.parameters, load):
        for name, table in tables.items():
            con.register(f"corpus_{name}", table)
        try:
            load.rows_loaded = _write(con, tables, load.load_id, now)
        finally:
            for name in tables:
                con.unregister(f"corpus_{name}")
    return load.summary()


def _write(con, tables: dict[str, pa.Table], load_id: str, now: datetime) -> int:
    rows = 0
    for name, copied in _COPIED_TABLES.items():
        target, key = copied.target, copied.key
        con.execute(f"delete from {target} where {key} in (select {key} from corpus_{name})")  # noqa: S608 (constants)
        con.execute(f"insert into {target} select *, ?, ? from corpus_{name}", [load_id, now])  # noqa: S608
        rows += tables[name].num_rows
    in_corpus = "repo in (select repo from corpus_repositories)"
    con.execute(f"delete from raw.repo_snapshots where {in_corpus}")  # noqa: S608 (constant)
    con.execute(f"delete from raw.repo_snapshot_blobs where {in_corpus}")  # noqa: S608 (constant)
    con.execute(
        "insert into raw.repo_snapshots select *, 'corpus', ?, ? from corpus_months", [load_id, now]
    )
    con.execute(
        f"""
        insert into raw.blob_imports
        select '{SET_PREFIX}' || sha256(array_to_string(import_roots, ',')), import_roots, [], [],
            'corpus', null, null, ?, ?
        from corpus_module_sets
        on conflict (blob_sha) do nothing
        """,  # noqa: S608 (constant prefix)
        [store.EXTRACTOR_VERSION, now],
    )
    con.execute(
        f"""
        insert into raw.repo_snapshot_blobs
        select p.repo, cast(m.month as date),
            '{SET_PREFIX}' || sha256(array_to_string(s.import_roots, ',')), p.files
        from corpus_presence as p
        join corpus_module_sets as s using (set_id),
            unnest(generate_series(p.first_month, p.last_month, interval 1 month)) as m (month)
        """  # noqa: S608 (constant prefix)
    )
    con.execute(
        """
        insert or replace into raw.repo_mining_outcomes
        select repo, outcome, reason, head_commit, months, 'corpus', ?, ? from corpus_repositories
        """,
        [load_id, now],
    )
    rows += sum(tables[n].num_rows for n in ("repositories", "months", "presence", "module_sets"))
    return rows
