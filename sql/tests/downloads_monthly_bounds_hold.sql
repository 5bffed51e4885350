-- Censored rows have no point value; every row's bounds are ordered and non-negative.
select *
from marts.downloads_monthly
where (is_censored and downloads is not null)
    or (not is_censored and downloads is null)
    or downloads_low < 0
    or downloads_low > downloads_high
    or (is_censored and censor_limit is null)
