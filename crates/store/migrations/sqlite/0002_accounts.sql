-- Accounts and their sessions (kept in the database so several servers share them).
create table app_user (
    app_user_id integer primary key autoincrement,
    username text not null unique,
    display_name text not null,
    password_hash text not null,
    role text not null,
    -- The scope: this unit and everything below it; null for the whole registry.
    organization_id integer references organization (organization_id),
    disabled boolean not null default 0,
    failed_logins integer not null default 0,
    locked_until timestamp,
    created_at timestamp not null,
    updated_at timestamp not null
);
create index app_user_org on app_user (organization_id);

create table session (
    -- SHA-256 of the cookie's token: a copy of the table does not give away live sessions.
    session_key text primary key,
    app_user_id integer not null references app_user (app_user_id),
    created_at timestamp not null,
    expires_at timestamp not null,
    ip text,
    user_agent text
);
create index session_app_user on session (app_user_id);
