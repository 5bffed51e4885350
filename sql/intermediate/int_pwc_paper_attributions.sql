-- Which technologies each Papers with Code paper's code is attributed to, and on what
-- basis. Per repository: a GitHub repository that has been mined is attributed to the
-- technologies its code imports (basis 'mined_imports'), read from its month-end snapshot
-- at the paper's month, else the first later one (code is often published after the
-- paper), else its last; that takes precedence over Papers with Code's `framework`
-- label, which attributes every other repository (basis 'pwc_label': the technologies
-- whose study pwc_frameworks include the label; 'none' and unclaimed labels attribute
-- nothing).
-- grain: one row per paper, technology and basis
-- paper_url: the paper's Papers with Code page
-- month: first day of the paper's month; null when the paper has no date
-- technology: study technology id
-- basis: 'mined_imports' or 'pwc_label'

with code_links as (
    select * from staging.stg_pwc__code_links
),

papers as (
    select * from staging.stg_pwc__papers
),

pwc_frameworks as (
    select * from meta.study_pwc_frameworks
),

snapshots as (
    select * from staging.stg_mining__repo_snapshots
),

repo_imports as (
    select * from intermediate.int_repo_month_technologies
),

links as (
    select code_links.paper_url, code_links.github_repo, code_links.framework, papers.month
    from code_links
    left join papers on code_links.paper_url = papers.paper_url
),

mined_snapshot as (
    select
        links.paper_url,
        links.github_repo,
        coalesce(min(snapshots.month) filter (where snapshots.month >= links.month), max(snapshots.month))
            as snapshot_month
    from links
    inner join snapshots on lower(snapshots.repo) = links.github_repo
    group by links.paper_url, links.github_repo
),

mined_attributions as (
    select links.paper_url, links.month, repo_imports.technology, 'mined_imports' as basis
    from mined_snapshot
    inner join links
        on mined_snapshot.paper_url = links.paper_url
        and mined_snapshot.github_repo = links.github_repo
    inner join repo_imports
        on lower(repo_imports.repo) = mined_snapshot.github_repo
        and repo_imports.month = mined_snapshot.snapshot_month
),

label_attributions as (
    select links.paper_url, links.month, pwc_frameworks.technology, 'pwc_label' as basis
    from links
    inner join pwc_frameworks on links.framework = pwc_frameworks.framework
    left join mined_snapshot
        on mined_snapshot.paper_url = links.paper_url
        and mined_snapshot.github_repo = links.github_repo
    where mined_snapshot.paper_url is null
),

final as (
    select distinct * from mined_attributions
    union
    select distinct * from label_attributions
)

select * from final
