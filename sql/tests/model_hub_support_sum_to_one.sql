-- The support classes of a rivalry and month add up to every model counted: shares sum to
-- one and models to n_total.
select rivalry, month, sum(share) as total_share, sum(models) as models, max(n_total) as n_total
from marts.model_hub_support
group by rivalry, month
having abs(sum(share) - 1) > 1e-9 or sum(models) <> max(n_total) or min(n_total) <> max(n_total)
