//! `shanghui user ...`: accounts from the command line (the operator acts for the whole registry).

use std::io::Read;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Subcommand;
use shanghui_core::account::{Role, check_password};
use shanghui_core::{Lang, Scope};
use shanghui_store::accounts::{self, Profile};
use shanghui_store::{Actor, Db, StoreError};

#[derive(Subcommand)]
pub enum Action {
    /// Create an account. The password is read from standard input with --password-stdin, or
    /// generated and printed once.
    Add {
        username: String,
        /// Role: sys_admin, fed_admin, fed_staff, leader, chamber_secretary, reviewer, evaluator.
        #[arg(long, default_value = "fed_staff")]
        role: String,
        /// Shorthand for --role sys_admin.
        #[arg(long)]
        admin: bool,
        /// The unit whose subtree the account works in (not for a system administrator).
        #[arg(long)]
        org: Option<i64>,
        /// Display name (defaults to the user name).
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
    /// Set a new password (read from standard input with --password-stdin, or generated).
    Passwd {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

fn operator() -> Actor {
    crate::org::actor()
}

/// A password that meets the policy: 16 hex characters with a letter prefix and a digit.
pub fn generate_password() -> String {
    format!("Sh{}7", accounts::random_token(8))
}

fn read_password(from_stdin: bool, username: &str, lang: Lang) -> Result<(String, bool)> {
    if !from_stdin {
        return Ok((generate_password(), true));
    }
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s)?;
    let pw = s.trim_end_matches(['\r', '\n']).to_string();
    if let Err(m) = check_password(&pw, username) {
        bail!("{}", m.render(lang));
    }
    Ok((pw, false))
}

/// Creates an account with the operator's authority.
pub async fn add(
    db: &Db,
    username: &str,
    role: Role,
    org: Option<i64>,
    name: &str,
    password: String,
) -> Result<(), StoreError> {
    let hash = tokio::task::spawn_blocking(move || accounts::hash_password(&password))
        .await
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let profile = Profile {
        display_name: name.to_string(),
        role,
        organization_id: org,
    };
    accounts::create(
        db,
        &Scope::all(),
        Role::SysAdmin,
        username,
        &profile,
        hash,
        &operator(),
    )
    .await?;
    Ok(())
}

pub async fn run(db: &Db, action: Action, lang: Lang) -> Result<ExitCode> {
    match action {
        Action::Add {
            username,
            role,
            admin,
            org,
            name,
            password_stdin,
        } => {
            let role = if admin {
                Role::SysAdmin
            } else {
                Role::from_code(&role)
                    .ok_or_else(|| crate::said(lang, "cli.unknown_role", &[("value", &role)]))?
            };
            let (password, generated) = read_password(password_stdin, &username, lang)?;
            let name = name.unwrap_or_else(|| username.clone());
            match add(db, &username, role, org, &name, password.clone()).await {
                Ok(()) => {
                    println!("{username}\t{}", role.label(lang));
                    if generated {
                        println!("password\t{password}");
                    }
                }
                Err(StoreError::Rejected(ps)) => {
                    for p in ps {
                        eprintln!("{}", p.render(lang));
                    }
                    return Ok(ExitCode::from(1));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Action::List => {
            for (u, unit) in accounts::list(db, &Scope::all()).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    u.username,
                    u.display_name,
                    u.role.label(lang),
                    unit.unwrap_or_default(),
                    if u.disabled { "disabled" } else { "active" }
                );
            }
        }
        Action::Passwd {
            username,
            password_stdin,
        } => {
            let Some(u) = accounts::by_username(db, &username).await? else {
                return Err(crate::said(lang, "cli.no_user", &[("name", &username)]));
            };
            let (password, generated) = read_password(password_stdin, &username, lang)?;
            let shown = password.clone();
            let hash =
                tokio::task::spawn_blocking(move || accounts::hash_password(&password)).await?;
            accounts::set_password(db, &u, hash, &operator()).await?;
            if generated {
                // Shown once; only its hash is stored.
                println!("password\t{shown}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
