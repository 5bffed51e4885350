-- A repository uptake tried to mine has one of the documented outcomes, and a reason
-- whenever it was not mined (uptake.mining.outcomes says what each means).
select repo, mining_outcome, mining_reason
from marts.repos
where mining_outcome is not null
    and (
        mining_outcome not in (
            'mined', 'no_python', 'empty', 'gone', 'private', 'not_fetched', 'unreadable', 'failed'
        )
        or (mining_outcome <> 'mined' and mining_reason is null)
    )
