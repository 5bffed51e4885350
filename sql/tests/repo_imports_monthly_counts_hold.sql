-- A technology imported in a month is imported by at least one of the tree's files and
-- by no more files than the tree has; it is a study technology; the repository is one
-- marts.repos lists as mined.
select repo_imports_monthly.repo, repo_imports_monthly.month, repo_imports_monthly.technology,
    repo_imports_monthly.files_importing, repo_imports_monthly.python_files, repos.mining_outcome
from marts.repo_imports_monthly
left join marts.repos on repo_imports_monthly.repo = repos.repo
left join meta.study_technologies on repo_imports_monthly.technology = study_technologies.technology
where repo_imports_monthly.files_importing < 1
    or repo_imports_monthly.files_importing > repo_imports_monthly.python_files
    or study_technologies.technology is null
    or repos.repo is null
    or repos.mining_outcome is distinct from 'mined'
