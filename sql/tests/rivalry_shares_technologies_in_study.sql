-- Every (rivalry, technology) pair in the shares is one the study declares.
select distinct rivalry_shares.rivalry, rivalry_shares.technology
from marts.rivalry_shares
left join meta.study_rivalries
    on rivalry_shares.rivalry = study_rivalries.rivalry
    and rivalry_shares.technology = study_rivalries.technology
where study_rivalries.rivalry is null
