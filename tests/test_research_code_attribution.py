"""research_code: a paper's mined repository speaks for it before Papers with Code's label."""

from datetime import date

from tests.git_repos import RepoBuilder
from tests.test_papers_with_code import build, dump, link, paper, rows
from uptake.mining.history_miner import mine_repositories
from uptake.sources.papers_with_code import load_links, load_papers


def test_mined_imports_take_precedence_over_the_pwc_label(warehouse, tmp_path):
    load_papers(
        warehouse,
        [dump(tmp_path / "papers.json.gz", [paper("a", "2019-05-03"), paper("b", "2019-05-20")])],
    )
    load_links(
        warehouse,
        [
            dump(
                tmp_path / "links.json.gz",
                [
                    link(
                        "a", "https://github.com/Lab/Model-A", "tf"
                    ),  # labelled tf, but its code imports torch
                    link(
                        "b", "https://github.com/lab/model-b", "tf"
                    ),  # not mined: the label stands
                ],
            )
        ],
    )
    repo = RepoBuilder(tmp_path / "model-a")
    repo.commit("2019-06-10T00:00:00Z", {"train.py": "import torch\nfrom torch import nn\n"})
    mine_repositories(warehouse, [("lab/model-a", repo.path)], until=date(2019, 8, 1), workers=1)

    build(warehouse)

    segment = rows(
        warehouse,
        "select technology, value, n_observations, source from intermediate.int_segment__research_code "
        "where month = '2019-05-01' and technology in ('pytorch', 'tensorflow') order by technology",
    )
    assert segment == [("pytorch", 1, 2, "mixed"), ("tensorflow", 1, 2, "mixed")]
    attributions = rows(
        warehouse, "select paper_id, attributions from marts.papers order by paper_id"
    )
    assert attributions == [
        ("pwc:a", [{"technology": "pytorch", "basis": "mined_imports"}]),
        ("pwc:b", [{"technology": "tensorflow", "basis": "pwc_label"}]),
    ]
    # Both are papers' code; only model-a was mined.
    assert rows(
        warehouse, "select repo, is_paper_code, mining_outcome from marts.repos order by repo"
    ) == [("lab/model-a", True, "mined"), ("lab/model-b", True, None)]
