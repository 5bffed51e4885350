-- Only the documented segments appear.
select distinct segment
from marts.adoption_monthly
where segment not in (
    'research_mentions', 'research_code', 'oss_imports',
    'industry_downloads', 'ecosystem_dependents', 'model_hub'
)
