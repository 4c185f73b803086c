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

-- The history of each record: what changed, from what to what, by whom.
create table organization_event (
    organization_event_id integer primary key autoincrement,
    organization_id integer not null references organization (organization_id),
    action text not null,
    effective_on date,
    actor text not null,
    detail text not null,
    created_at timestamp not null
);
create index organization_event_org on organization_event (organization_id, organization_event_id);
