-- The data-analysis report's narrative templates as staff edit them (the defaults live in the
-- code). Every save is a new version; a version without a body puts the default back.
create table writeup_template (
    writeup_template_id integer primary key autoincrement,
    lang text not null,
    name text not null,
    version integer not null,
    body text,
    created_at timestamp not null,
    created_by text not null
);
create unique index writeup_template_version on writeup_template (lang, name, version);
