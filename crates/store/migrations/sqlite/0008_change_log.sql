-- Which units each registry generation touched, so a reader that keeps the registry in memory
-- reads again only the units changed since the generation it holds, not all of them. Rows older
-- than a reader's generation may be pruned: a reader that finds its generation's successors gone
-- reads the whole registry again.
--
-- Only what the coverage indicators read moves the generation: a unit's own fields (not its
-- cached counts below, its path, version or people) and its membership periods. A change deep in
-- the tree thus names its unit, not every ancestor whose counts it moved.
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
when old.parent_id is not new.parent_id
    or old.name is not new.name
    or old.kind is not new.kind
    or old.level is not new.level
    or old.category is not new.category
    or old.registered is not new.registered
    or old.party_org is not new.party_org
    or old.party_org_form is not new.party_org_form
    or old.members_total is not new.members_total
    or old.members_unit is not new.members_unit
    or old.members_individual is not new.members_individual
    or old.council_size is not new.council_size
    or old.founded_on is not new.founded_on
    or old.last_reelection is not new.last_reelection
    or old.division_code is not new.division_code
    or old.status is not new.status
    or old.dissolved_on is not new.dissolved_on
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

-- The same for what the indicators read of the campaigns: reports (their place, whether
-- expected, status, answers, first submission), rectification notices (place, status, deadline,
-- closure) and the campaigns themselves (year, template, deadline). A row names its year and its
-- report or notice; a campaign's row names its year only, which makes a reader read the year's
-- reports again. A review's conclusion, a report's version or an audit entry moves nothing here.
insert into generation (name, value) values ('facts', 0);
create table fact_change (
    generation integer not null,
    year integer not null,
    report_id integer,
    notice_id integer
);
create index fact_change_generation on fact_change (generation);

create trigger report_fact_insert after insert on report
begin
    update generation set value = value + 1 where name = 'facts';
    insert into fact_change (generation, year, report_id)
        select value, new.year, new.report_id from generation where name = 'facts';
end;
create trigger report_fact_update after update on report
when old.campaign_id is not new.campaign_id
    or old.organization_id is not new.organization_id
    or old.year is not new.year
    or old.path is not new.path
    or old.expected is not new.expected
    or old.status is not new.status
    or old.answers is not new.answers
    or old.first_submitted_on is not new.first_submitted_on
begin
    update generation set value = value + 1 where name = 'facts';
    insert into fact_change (generation, year, report_id)
        select value, new.year, new.report_id from generation where name = 'facts';
end;
create trigger report_fact_delete after delete on report
begin
    update generation set value = value + 1 where name = 'facts';
    insert into fact_change (generation, year, report_id)
        select value, old.year, old.report_id from generation where name = 'facts';
end;
create trigger notice_fact_insert after insert on notice
begin
    update generation set value = value + 1 where name = 'facts';
    insert into fact_change (generation, year, notice_id)
        select value, new.year, new.notice_id from generation where name = 'facts';
end;
create trigger notice_fact_update after update on notice
when old.campaign_id is not new.campaign_id
    or old.organization_id is not new.organization_id
    or old.year is not new.year
    or old.path is not new.path
    or old.status is not new.status
    or old.deadline is not new.deadline
    or old.closed_on is not new.closed_on
begin
    update generation set value = value + 1 where name = 'facts';
    insert into fact_change (generation, year, notice_id)
        select value, new.year, new.notice_id from generation where name = 'facts';
end;
create trigger notice_fact_delete after delete on notice
begin
    update generation set value = value + 1 where name = 'facts';
    insert into fact_change (generation, year, notice_id)
        select value, old.year, old.notice_id from generation where name = 'facts';
end;
create trigger campaign_fact_insert after insert on campaign
begin
    update generation set value = value + 1 where name = 'facts';
    insert into fact_change (generation, year)
        select value, new.year from generation where name = 'facts';
end;
create trigger campaign_fact_update after update on campaign
when old.year is not new.year
    or old.report_template_id is not new.report_template_id
    or old.deadline is not new.deadline
begin
    update generation set value = value + 1 where name = 'facts';
    insert into fact_change (generation, year)
        select value, new.year from generation where name = 'facts';
end;
-- A campaign moved to another year changes the year it left too.
create trigger campaign_fact_year after update of year on campaign
when old.year is not new.year
begin
    insert into fact_change (generation, year)
        select value, old.year from generation where name = 'facts';
end;
create trigger campaign_fact_delete after delete on campaign
begin
    update generation set value = value + 1 where name = 'facts';
    insert into fact_change (generation, year)
        select value, old.year from generation where name = 'facts';
end;
