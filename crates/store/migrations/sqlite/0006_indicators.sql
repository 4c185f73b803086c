-- Coverage indicators (覆盖率): staff-defined indicators (the built-ins live in the code), their
-- targets by year and level, and a counter the registry's writes move so that computed
-- indicators can be kept until the registry changes.

create table indicator (
    indicator_id integer primary key autoincrement,
    code text not null,
    version integer not null,
    -- The definition as JSON (shanghui_core::indicator::Indicator).
    definition text not null,
    current boolean not null,
    retired boolean not null default 0,
    created_at timestamp not null,
    created_by text not null
);
create unique index indicator_code_version on indicator (code, version);
create index indicator_current on indicator (current, code);

create table indicator_target (
    indicator_target_id integer primary key autoincrement,
    indicator text not null,
    year integer not null,
    -- A federation level's code, or '' for every node.
    level text not null default '',
    value real not null,
    direction text not null,
    updated_at timestamp not null,
    updated_by text not null
);
create unique index indicator_target_key on indicator_target (indicator, year, level);

-- name → a number every write of that part moves (several servers share it).
create table generation (
    name text primary key,
    value integer not null
);
insert into generation (name, value) values ('registry', 0);

create trigger organization_generation_insert after insert on organization
begin update generation set value = value + 1 where name = 'registry'; end;
create trigger organization_generation_update after update on organization
begin update generation set value = value + 1 where name = 'registry'; end;
create trigger organization_link_generation_insert after insert on organization_link
begin update generation set value = value + 1 where name = 'registry'; end;
create trigger organization_link_generation_update after update on organization_link
begin update generation set value = value + 1 where name = 'registry'; end;
