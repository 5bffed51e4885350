-- Each technology's colour, from the study: every chart draws it the same way.
alter table meta.study_technologies add column colour varchar;
