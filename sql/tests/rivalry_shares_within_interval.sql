-- Every share lies in [0, 1] and inside its own interval.
select *
from marts.rivalry_shares
where share is null
    or share < 0 or share > 1
    or share_low > share + 1e-9
    or share_high < share - 1e-9
    or share_low < 0 or share_high > 1
