-- The shares of a rivalry's technologies add up to one in every segment and month.
select rivalry, segment, month, sum(share) as total_share
from marts.rivalry_shares
group by rivalry, segment, month
having abs(sum(share) - 1) > 1e-9
