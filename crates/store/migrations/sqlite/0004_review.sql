-- Review (逐项审查): rule versions, findings with their history, assignments and conclusions.

-- A rule of a template form's rule set. Saving a changed rule adds a version; the current rule
-- of a code is its newest version unless that version retires it.
create table review_rule (
    review_rule_id integer primary key autoincrement,
    form_id text not null,
    code text not null,
    version integer not null,
    -- The rule as JSON (shanghui_core::rules::Rule).
    definition text not null,
    retired boolean not null default 0,
    created_at timestamp not null,
    created_by text not null,
    unique (form_id, code, version)
);

-- A problem found in a report: by a rule (review_rule_id, the version that produced it) or by
-- hand. A finding is never deleted: when a re-run no longer finds it, or a new version of its
-- rule replaces it, it stops being current and stays as history.
create table finding (
    finding_id integer primary key autoincrement,
    report_id integer not null references report (report_id),
    campaign_id integer not null references campaign (campaign_id),
    organization_id integer not null references organization (organization_id),
    -- The report's path, for counts by subtree.
    path text not null,
    year integer not null,
    review_rule_id integer references review_rule (review_rule_id),
    rule_code text,
    -- For a finding added by hand: the trigger it names (STANDARDS.md §4).
    trigger_code text,
    item text,
    severity text not null,
    -- open, confirmed, dismissed.
    status text not null default 'open',
    -- JSON: the values the rule read, an evaluation error, or the reviewer's description.
    detail text not null,
    -- Why it was dismissed (required), or the reviewer's note.
    note text,
    current boolean not null default 1,
    created_at timestamp not null,
    created_by text not null,
    updated_at timestamp,
    updated_by text
);
create index finding_report on finding (report_id, current);
create index finding_campaign on finding (campaign_id, current, path);
create index finding_year on finding (year, current, path);

-- The review of one report: who is assigned to it (a third-party reviewer sees only these), and
-- the conclusion with the one the system suggested.
create table review (
    report_id integer primary key references report (report_id),
    campaign_id integer not null references campaign (campaign_id),
    reviewer_id integer references app_user (app_user_id),
    assigned_at timestamp,
    assigned_by text,
    conclusion text,
    suggested text,
    comment text,
    concluded_at timestamp,
    concluded_by text
);
create index review_reviewer on review (reviewer_id, campaign_id);
create index review_campaign on review (campaign_id, conclusion);

-- Reviewers' comments on an item of a report.
create table review_note (
    review_note_id integer primary key autoincrement,
    report_id integer not null references report (report_id),
    item text,
    text text not null,
    created_at timestamp not null,
    created_by text not null
);
create index review_note_report on review_note (report_id);

-- Settings that staff edit (the conclusion mapping), as JSON by key.
create table setting (
    key text primary key,
    value text not null,
    updated_at timestamp not null,
    updated_by text not null
);
