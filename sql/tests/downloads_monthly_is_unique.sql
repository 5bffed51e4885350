-- downloads_monthly has one row per technology, project, month and source.
select technology, project, month, source, count(*) as n_rows
from marts.downloads_monthly
group by technology, project, month, source
having count(*) > 1
