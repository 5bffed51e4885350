-- Which of the study's technologies each mined repository imports, month by month, with
-- the month-end snapshot they were read from (counting rule: int_repo_month_technologies).
-- grain: one row per repository, month and technology imported that month
-- tests: unique(repo, month, technology);
--     not_null(repo, month, technology, files_importing, python_files, commit, is_active)
-- repo: repository
-- month: first day of the month
-- technology: study technology id
-- files_importing: .py and .ipynb files of the month-end tree importing it
-- python_files: .py and .ipynb files in the tree
-- commit: the month-end commit mined
-- is_active: true when the repository had a commit during the month

with snapshots as (
    select * from staging.stg_mining__repo_snapshots
),

repo_month_technologies as (
    select * from intermediate.int_repo_month_technologies
),

final as (
    select
        repo_month_technologies.repo,
        repo_month_technologies.month,
        repo_month_technologies.technology,
        cast(repo_month_technologies.files_importing as integer) as files_importing,
        snapshots.python_files + snapshots.notebook_files as python_files,
        snapshots.commit_sha as commit,
        snapshots.is_active
    from repo_month_technologies
    inner join snapshots
        on repo_month_technologies.repo = snapshots.repo
        and repo_month_technologies.month = snapshots.month
)

select * from final
