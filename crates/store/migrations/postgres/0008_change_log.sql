-- Which units each registry generation touched, so a reader that keeps the registry in memory
-- reads again only the units changed since the generation it holds, not all of them. Rows older
-- than a reader's generation may be pruned: a reader that finds its generation's successors gone
-- reads the whole registry again.
--
-- Only what the coverage indicators read moves the generation: a unit's own fields (not its
-- cached counts below, its path, version or people) and its membership periods. A change deep in
-- the tree thus names its unit, not every ancestor whose counts it moved.
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
create function registry_note(ids bigint[]) returns void language plpgsql as $$
declare
    g bigint;
begin
    if coalesce(array_length(ids, 1), 0) = 0 then
        return;
    end if;
    update generation set value = value + 1 where name = 'registry' returning value into g;
    insert into registry_change (generation, organization_id) select g, unnest(ids);
end $$;

create function registry_rows_changed() returns trigger language plpgsql as $$
begin
    perform registry_note(array(select distinct organization_id from changed));
    return null;
end $$;

-- An update names the units whose fields the indicators read changed.
create function registry_units_updated() returns trigger language plpgsql as $$
begin
    perform registry_note(array(
        select n.organization_id from changed n join previous o using (organization_id)
        where (n.parent_id, n.name, n.kind, n.level, n.category, n.registered, n.party_org,
               n.party_org_form, n.members_total, n.members_unit, n.members_individual,
               n.council_size, n.founded_on, n.last_reelection, n.division_code, n.status,
               n.dissolved_on)
        is distinct from (o.parent_id, o.name, o.kind, o.level, o.category, o.registered, o.party_org,
               o.party_org_form, o.members_total, o.members_unit, o.members_individual,
               o.council_size, o.founded_on, o.last_reelection, o.division_code, o.status,
               o.dissolved_on)));
    return null;
end $$;

-- A trigger with a transition table has one event, hence three per table.
create trigger organization_inserted after insert on organization
referencing new table as changed for each statement execute function registry_rows_changed();
create trigger organization_updated after update on organization
referencing old table as previous new table as changed
for each statement execute function registry_units_updated();
create trigger organization_deleted after delete on organization
referencing old table as changed for each statement execute function registry_rows_changed();
create trigger organization_link_inserted after insert on organization_link
referencing new table as changed for each statement execute function registry_rows_changed();
create trigger organization_link_updated after update on organization_link
referencing new table as changed for each statement execute function registry_rows_changed();
create trigger organization_link_deleted after delete on organization_link
referencing old table as changed for each statement execute function registry_rows_changed();

-- The same for what the indicators read of the campaigns: reports (their place, whether
-- expected, status, answers, first submission), rectification notices (place, status, deadline,
-- closure) and the campaigns themselves (year, template, deadline). A row names its year and its
-- report or notice; a campaign's row names its year only, which makes a reader read the year's
-- reports again. A review's conclusion, a report's version or an audit entry moves nothing here.
insert into generation (name, value) values ('facts', 0);
create table fact_change (
    generation bigint not null,
    year integer not null,
    report_id bigint,
    notice_id bigint
);
create index fact_change_generation on fact_change (generation);

-- Moves the facts counter once and logs the (year, report, notice) rows given, if any.
create function facts_note(years integer[], reports bigint[], notices bigint[]) returns void
language plpgsql as $$
declare
    g bigint;
begin
    if coalesce(array_length(years, 1), 0) = 0 then
        return;
    end if;
    update generation set value = value + 1 where name = 'facts' returning value into g;
    insert into fact_change (generation, year, report_id, notice_id)
        select g, y, r, n from unnest(years, reports, notices) as t (y, r, n);
end $$;

create function report_rows_changed() returns trigger language plpgsql as $$
declare
    ids bigint[];
    ys integer[];
begin
    select array_agg(report_id order by report_id), array_agg(year order by report_id)
        into ids, ys from changed;
    perform facts_note(ys, ids, array_fill(null::bigint, array[coalesce(array_length(ids, 1), 0)]));
    return null;
end $$;

-- An update names the reports whose fields the indicators read changed.
create function report_rows_updated() returns trigger language plpgsql as $$
declare
    ids bigint[];
    ys integer[];
begin
    select array_agg(n.report_id order by n.report_id), array_agg(n.year order by n.report_id)
        into ids, ys
        from changed n join previous o using (report_id)
        where (n.campaign_id, n.organization_id, n.year, n.path, n.expected, n.status,
              n.answers, n.first_submitted_on)
        is distinct from (o.campaign_id, o.organization_id, o.year, o.path, o.expected, o.status,
              o.answers, o.first_submitted_on);
    perform facts_note(ys, ids, array_fill(null::bigint, array[coalesce(array_length(ids, 1), 0)]));
    return null;
end $$;

create function notice_rows_changed() returns trigger language plpgsql as $$
declare
    ids bigint[];
    ys integer[];
begin
    select array_agg(notice_id order by notice_id), array_agg(year order by notice_id)
        into ids, ys from changed;
    perform facts_note(ys, array_fill(null::bigint, array[coalesce(array_length(ids, 1), 0)]), ids);
    return null;
end $$;

create function notice_rows_updated() returns trigger language plpgsql as $$
declare
    ids bigint[];
    ys integer[];
begin
    select array_agg(n.notice_id order by n.notice_id), array_agg(n.year order by n.notice_id)
        into ids, ys
        from changed n join previous o using (notice_id)
        where (n.campaign_id, n.organization_id, n.year, n.path, n.status, n.deadline,
              n.closed_on)
        is distinct from (o.campaign_id, o.organization_id, o.year, o.path, o.status, o.deadline,
              o.closed_on);
    perform facts_note(ys, array_fill(null::bigint, array[coalesce(array_length(ids, 1), 0)]), ids);
    return null;
end $$;

create function campaign_rows_changed() returns trigger language plpgsql as $$
declare
    ys integer[];
begin
    ys := array(select distinct year from changed);
    perform facts_note(ys, array_fill(null::bigint, array[coalesce(array_length(ys, 1), 0)]), array_fill(null::bigint, array[coalesce(array_length(ys, 1), 0)]));
    return null;
end $$;

-- A campaign's year, template or deadline changed: its year (and the year it left) read again.
create function campaign_rows_updated() returns trigger language plpgsql as $$
declare
    ys integer[];
begin
    ys := array(
        select n.year from changed n join previous o using (campaign_id)
        where (n.year, n.report_template_id, n.deadline)
        is distinct from (o.year, o.report_template_id, o.deadline)
        union
        select o.year from changed n join previous o using (campaign_id)
        where n.year is distinct from o.year);
    perform facts_note(ys, array_fill(null::bigint, array[coalesce(array_length(ys, 1), 0)]), array_fill(null::bigint, array[coalesce(array_length(ys, 1), 0)]));
    return null;
end $$;

create trigger report_facts_inserted after insert on report
referencing new table as changed for each statement execute function report_rows_changed();
create trigger report_facts_updated after update on report
referencing old table as previous new table as changed
for each statement execute function report_rows_updated();
create trigger report_facts_deleted after delete on report
referencing old table as changed for each statement execute function report_rows_changed();

create trigger notice_facts_inserted after insert on notice
referencing new table as changed for each statement execute function notice_rows_changed();
create trigger notice_facts_updated after update on notice
referencing old table as previous new table as changed
for each statement execute function notice_rows_updated();
create trigger notice_facts_deleted after delete on notice
referencing old table as changed for each statement execute function notice_rows_changed();

create trigger campaign_facts_inserted after insert on campaign
referencing new table as changed for each statement execute function campaign_rows_changed();
create trigger campaign_facts_updated after update on campaign
referencing old table as previous new table as changed
for each statement execute function campaign_rows_updated();
create trigger campaign_facts_deleted after delete on campaign
referencing old table as changed for each statement execute function campaign_rows_changed();
