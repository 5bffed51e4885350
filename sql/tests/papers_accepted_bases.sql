-- Attributions name a study technology and a documented basis, and every technology in
-- `technologies` has an attribution.
select papers.paper_id, attribution.technology, attribution.basis
from marts.papers, unnest(papers.attributions) as u (attribution)
left join meta.study_technologies on attribution.technology = study_technologies.technology
where attribution.basis not in ('pwc_label', 'mined_imports', 'paper_words')
    or study_technologies.technology is null
    or not list_contains(papers.technologies, attribution.technology)
