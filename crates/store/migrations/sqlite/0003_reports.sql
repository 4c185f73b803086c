-- Annual reports: template versions, campaigns and the reports themselves.

-- A template version is never changed once saved: a new version is saved instead, so that every
-- report keeps the form it was filled against.
create table report_template (
    report_template_id integer primary key autoincrement,
    form_id text not null,
    version integer not null,
    title text not null,
    -- The template as JSON (shanghui_core::template::Template).
    definition text not null,
    created_at timestamp not null,
    created_by text not null,
    unique (form_id, version)
);

-- A federation's call for one year's reports from its subtree (年报工作).
create table campaign (
    campaign_id integer primary key autoincrement,
    organization_id integer not null references organization (organization_id),
    -- The opener's path, so that a chamber below finds the campaigns it reports to.
    path text not null,
    year integer not null,
    report_template_id integer not null references report_template (report_template_id),
    opens_on date not null,
    deadline date not null,
    status text not null default 'open',
    created_at timestamp not null,
    created_by text not null,
    -- Bumped by every change that can move the campaign's rates (a report's status, the expected
    -- list, the deadline, a move of reporting units): a reader can keep computed rates until it
    -- changes.
    generation integer not null default 0,
    closed_at timestamp,
    unique (organization_id, year)
);
create index campaign_path on campaign (path);

-- One row per unit expected to report in a campaign (the frozen snapshot), and its report once
-- started. A unit is expected at most once a year.
create table report (
    report_id integer primary key autoincrement,
    campaign_id integer not null references campaign (campaign_id),
    organization_id integer not null references organization (organization_id),
    year integer not null,
    -- The unit's path, kept in step with moves while the campaign is open, so that the rates of
    -- any node are a range scan of the index below.
    path text not null,
    expected boolean not null default 1,
    -- null: not started; draft, submitted, returned.
    status text,
    answers text,
    version integer not null default 0,
    -- China date of the first submission: on time when not after the deadline.
    first_submitted_on date,
    submitted_at timestamp,
    submitted_by text,
    returned_reason text,
    updated_at timestamp,
    updated_by text,
    unique (campaign_id, organization_id)
);
create unique index report_org_year on report (organization_id, year);
create index report_rates on report (campaign_id, path, expected, status, first_submitted_on);
