-- Rectification (整改): notices to chambers about findings, their items, every step of each
-- round, and the evidence files.

create table notice (
    notice_id integer primary key autoincrement,
    campaign_id integer not null references campaign (campaign_id),
    report_id integer not null references report (report_id),
    organization_id integer not null references organization (organization_id),
    -- The report's path, for figures by subtree.
    path text not null,
    year integer not null,
    measures text not null,
    deadline date not null,
    original_deadline date not null,
    status text not null default 'awaiting_response',
    round integer not null default 1,
    issued_on date not null,
    issued_at timestamp not null,
    issued_by text not null,
    closed_on date,
    -- Days from issue to closure, kept when it closes.
    days_to_close integer,
    version integer not null default 0
);
-- Cover the figures (closure, on time, overdue, days) by subtree, for a campaign or for all.
create index notice_campaign on notice (campaign_id, path, status, deadline, closed_on, days_to_close);
create index notice_org on notice (organization_id, status);
create index notice_path on notice (path, status, deadline, closed_on, days_to_close);

-- One finding of a notice: its state in the current round and the chamber's answer.
create table notice_item (
    notice_item_id integer primary key autoincrement,
    notice_id integer not null references notice (notice_id),
    position integer not null,
    finding_id integer not null references finding (finding_id),
    status text not null default 'open',
    answered boolean not null default 0,
    response text,
    responded_at timestamp,
    responded_by text,
    verdict_reason text,
    unique (notice_id, position)
);
create index notice_item_finding on notice_item (finding_id);

-- Every step, round by round: issued, responded (per item), submitted, accepted, returned,
-- extended. The notice's history page reads this.
create table notice_event (
    notice_event_id integer primary key autoincrement,
    notice_id integer not null references notice (notice_id),
    position integer,
    round integer not null,
    action text not null,
    text text,
    created_at timestamp not null,
    created_by text not null
);
create index notice_event_notice on notice_event (notice_id, notice_event_id);

-- Evidence, kept in the database: no file paths to trick, backed up with everything else, and
-- served only through a scope check.
create table attachment (
    attachment_id integer primary key autoincrement,
    notice_item_id integer not null references notice_item (notice_item_id),
    round integer not null,
    file_name text not null,
    content_type text not null,
    size integer not null,
    sha256 text not null,
    bytes blob not null,
    created_at timestamp not null,
    created_by text not null
);
create index attachment_item on attachment (notice_item_id);
