-- Which units each registry generation touched, so a reader that keeps the registry in memory
-- reads again only the units changed since the generation it holds, not all of them. Rows older
-- than a reader's generation may be pruned: a reader that finds its generation's successors gone
-- reads the whole registry again.
create table registry_change (
    generation integer not null,
    organization_id integer not null
);
create index registry_change_generation on registry_change (generation);

drop trigger organization_generation_insert;
drop trigger organization_generation_update;
drop trigger organization_link_generation_insert;
drop trigger organization_link_generation_update;

-- SQLite has row triggers only: each row moves the generation and names its unit.
create trigger organization_generation_insert after insert on organization
begin
    update generation set value = value + 1 where name = 'registry';
    insert into registry_change (generation, organization_id)
        select value, new.organization_id from generation where name = 'registry';
end;
create trigger organization_generation_update after update on organization
begin
    update generation set value = value + 1 where name = 'registry';
    insert into registry_change (generation, organization_id)
        select value, new.organization_id from generation where name = 'registry';
end;
create trigger organization_generation_delete after delete on organization
begin
    update generation set value = value + 1 where name = 'registry';
    insert into registry_change (generation, organization_id)
        select value, old.organization_id from generation where name = 'registry';
end;
create trigger organization_link_generation_insert after insert on organization_link
begin
    update generation set value = value + 1 where name = 'registry';
    insert into registry_change (generation, organization_id)
        select value, new.organization_id from generation where name = 'registry';
end;
create trigger organization_link_generation_update after update on organization_link
begin
    update generation set value = value + 1 where name = 'registry';
    insert into registry_change (generation, organization_id)
        select value, new.organization_id from generation where name = 'registry';
end;
create trigger organization_link_generation_delete after delete on organization_link
begin
    update generation set value = value + 1 where name = 'registry';
    insert into registry_change (generation, organization_id)
        select value, old.organization_id from generation where name = 'registry';
end;
