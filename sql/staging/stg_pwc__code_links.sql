-- Links between papers and code repositories from Papers with Code's dump, repository
-- URLs normalised (https, lower-case host without www., no query, fragment, .git or
-- trailing slash; on github.com only owner/repo, lower case). Repositories on other
-- hosts are kept and flagged.
-- grain: one row per paper and repository
-- paper_url: the paper's Papers with Code page (joins stg_pwc__papers)
-- paper_title: the paper's title as the link dump has it
-- repo_url: the repository's normalised URL
-- repo_url_published: the repository URL as the dump has it
-- repo_host: the repository's host, lower case, without www.
-- is_github: true when the repository is on github.com
-- github_repo: 'owner/repo' for a GitHub repository, else null
-- is_official: the paper's authors published the repository
-- mentioned_in_paper: the paper mentions the repository
-- mentioned_in_github: the repository mentions the paper
-- framework: Papers with Code's framework label of the repository, lower case; 'none' when unknown or absent

with code_links as (
    select * from raw.pwc_code_links
),

latest as (
    -- the loader keeps one row per key; this guards the grain all the same
    select *
    from code_links
    qualify row_number() over (
        partition by paper_url, repo_url order by loaded_at desc, record_index
    ) = 1
),

final as (
    select
        paper_url,
        paper_title,
        repo_url,
        repo_url_published,
        repo_host,
        is_github,
        case
            when is_github and len(string_split(repo_url, '/')) = 5
                then regexp_extract(repo_url, '^https://github\.com/(.+)$', 1)
        end as github_repo,
        is_official,
        mentioned_in_paper,
        mentioned_in_github,
        coalesce(lower(trim(framework)), 'none') as framework
    from latest
)

select * from final
