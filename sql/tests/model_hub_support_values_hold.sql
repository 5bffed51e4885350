-- Accepted values: support is 'only' (naming one of the rivalry's technologies) or 'both'
-- (naming none); counts are whole and within the total; every share lies in [0, 1] and
-- inside its interval.
select model_hub_support.*
from marts.model_hub_support
left join meta.study_rivalries
    on model_hub_support.rivalry = study_rivalries.rivalry
    and model_hub_support.technology = study_rivalries.technology
where model_hub_support.support not in ('only', 'both')
    or (model_hub_support.support = 'only' and study_rivalries.technology is null)
    or (model_hub_support.support = 'both' and model_hub_support.technology is not null)
    or model_hub_support.month is null
    or model_hub_support.models < 0 or model_hub_support.models > model_hub_support.n_total
    or model_hub_support.n_total <= 0
    or model_hub_support.share_low < 0 or model_hub_support.share_high > 1
    or model_hub_support.share_low > model_hub_support.share + 1e-9
    or model_hub_support.share_high < model_hub_support.share - 1e-9
