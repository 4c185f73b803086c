-- The organisation registry and the administrative divisions it points at.
create table division (
    code text primary key,
    name text not null,
    level integer not null,
    parent_code text,
    statistical_only boolean not null default 0,
    placeholder boolean not null default 0,
    no_county_level boolean not null default 0
);
create index division_parent on division (parent_code);

create table organization (
    organization_id integer primary key autoincrement,
    parent_id integer references organization (organization_id),
    -- Materialised path of ids, '/1/35/3501/': a subtree is a range of this column.
    path text not null unique,
    kind text not null,
    level text,
    name text not null,
    uscc text unique,
    uscc_override_reason text,
    category text,
    founded_on date,
    division_code text references division (code),
    registered boolean,
    unregistered_reason text,
    party_org boolean,
    party_org_form text,
    party_org_reason text,
    members_unit integer,
    members_individual integer,
    members_total integer,
    council_size integer,
    standing_council_size integer,
    president text,
    secretary_general text,
    last_reelection date,
    status text not null default 'active',
    dissolved_on date,
    -- Active units strictly below, kept up to date by every write so that the tree page reads
    -- them instead of counting a subtree (the national root has about 80,000 units below it).
    below_federations integer not null default 0,
    below_branches integer not null default 0,
    below_chambers integer not null default 0,
    version integer not null default 1,
    created_at timestamp not null,
    updated_at timestamp not null
);
create unique index organization_parent_name on organization (parent_id, name);
-- Covers the per-child counts of the tree page without touching the table.
create index organization_path_kind on organization (path, kind, status);
create index organization_name on organization (name);
create index organization_division on organization (division_code);

-- Which parent a unit had when: answers "who belonged where in year N" after moves and
-- dissolutions. valid_to is exclusive; null while current.
create table organization_link (
    organization_link_id integer primary key autoincrement,
    organization_id integer not null references organization (organization_id),
    parent_id integer references organization (organization_id),
    valid_from date not null,
    valid_to date
);
create index organization_link_org on organization_link (organization_id);
create index organization_link_parent on organization_link (parent_id);

-- The audit log: every change (who, when, from where, what, old and new values), append-only.
-- A unit's history is its entries here.
create table audit_event (
    audit_event_id integer primary key autoincrement,
    created_at timestamp not null,
    app_user_id integer,
    actor text not null,
    ip text,
    action text not null,
    organization_id integer,
    -- The unit's path when the entry was made, so a federation sees the entries of its subtree.
    path text,
    effective_on date,
    detail text not null
);
create index audit_event_org on audit_event (organization_id, audit_event_id);
create index audit_event_time on audit_event (created_at);
create index audit_event_path on audit_event (path);
create trigger audit_event_no_update before update on audit_event
begin select raise(abort, 'audit_event is append-only'); end;
create trigger audit_event_no_delete before delete on audit_event
begin select raise(abort, 'audit_event is append-only'); end;
