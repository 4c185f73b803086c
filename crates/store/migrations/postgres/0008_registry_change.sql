-- Which units each registry generation touched, so a reader that keeps the registry in memory
-- reads again only the units changed since the generation it holds, not all of them. Rows older
-- than a reader's generation may be pruned: a reader that finds its generation's successors gone
-- reads the whole registry again.
create table registry_change (
    generation bigint not null,
    organization_id bigint not null
);
create index registry_change_generation on registry_change (generation);

drop trigger organization_generation on organization;
drop trigger organization_link_generation on organization_link;
drop function registry_generation_bump();

-- Once per statement, with the statement's rows: a bulk insert moves the generation once. The
-- update of the generation row locks it until the writer commits, so generations are numbered
-- in the order writers commit and a reader never sees a later one before an earlier one.
create function registry_changed() returns trigger language plpgsql as $$
declare
    g bigint;
begin
    update generation set value = value + 1 where name = 'registry' returning value into g;
    insert into registry_change (generation, organization_id)
        select distinct g, organization_id from changed;
    return null;
end $$;

-- A trigger with a transition table has one event, hence three per table.
create trigger organization_inserted after insert on organization
referencing new table as changed for each statement execute function registry_changed();
create trigger organization_updated after update on organization
referencing new table as changed for each statement execute function registry_changed();
create trigger organization_deleted after delete on organization
referencing old table as changed for each statement execute function registry_changed();
create trigger organization_link_inserted after insert on organization_link
referencing new table as changed for each statement execute function registry_changed();
create trigger organization_link_updated after update on organization_link
referencing new table as changed for each statement execute function registry_changed();
create trigger organization_link_deleted after delete on organization_link
referencing old table as changed for each statement execute function registry_changed();
