-- Which technologies each listed paper's code imports, read from its mined repository.
-- Rule: a paper's repository is read at the first month-end snapshot, from the paper's
-- month up to 12 months after it, whose tree holds Python files (.py or .ipynb). Code is
-- often published after the paper, or the repository opens with a README only; a tree
-- first holding Python more than 12 months after the paper is taken for later work and
-- attributes nothing. A paper with several repositories is attributed every technology
-- any of them imports at its snapshot.
-- grain: one row per paper, repository and technology imported (technology null when the snapshot imports none of the study's)
-- paper_key: conference, year and list id
-- title_key: lower-case letters and digits of the title
-- month: first day of the paper's month
-- repo: owner/name, lower case
-- snapshot_month: the month-end snapshot read
-- technology: study technology id, null when the snapshot imports none of the study's technologies

with paper_code_links as (
    select * from intermediate.int_paper_code_links
),

snapshots as (
    select * from staging.stg_mining__repo_snapshots
),

repo_month_technologies as (
    select * from intermediate.int_repo_month_technologies
),

python_snapshots as (
    select lower(repo) as repo, repo as mined_repo, month
    from snapshots
    where python_files + notebook_files > 0
),

read_at as (
    select
        paper_code_links.paper_key,
        paper_code_links.title_key,
        paper_code_links.month,
        paper_code_links.repo,
        min(python_snapshots.month) as snapshot_month,
        any_value(python_snapshots.mined_repo) as mined_repo
    from paper_code_links
    inner join python_snapshots
        on paper_code_links.repo = python_snapshots.repo
        and python_snapshots.month >= paper_code_links.month
        and python_snapshots.month <= paper_code_links.month + interval 12 month
    group by all
),

technologies_at as (
    select read_at.paper_key, read_at.repo, repo_month_technologies.technology
    from read_at
    inner join repo_month_technologies
        on repo_month_technologies.repo = read_at.mined_repo
        and repo_month_technologies.month = read_at.snapshot_month
),

final as (
    select
        read_at.paper_key,
        read_at.title_key,
        read_at.month,
        read_at.repo,
        read_at.snapshot_month,
        technologies_at.technology
    from read_at
    left join technologies_at
        on read_at.paper_key = technologies_at.paper_key
        and read_at.repo = technologies_at.repo
)

select * from final
