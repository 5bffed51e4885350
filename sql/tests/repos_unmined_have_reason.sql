-- A repository uptake tried and did not mine has a reason (uptake.mining.outcomes says
-- what each outcome means).
select repo, mining_outcome, mining_reason
from marts.repos
where mining_outcome <> 'mined' and mining_reason is null
