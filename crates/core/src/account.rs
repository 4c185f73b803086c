//! Accounts: roles, what each may do, whom an administrator may create, the password policy.

use crate::i18n::{Lang, Msg};

/// A user's role. Every role works within a scope: a node of the tree and everything below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Role {
    /// 系统管理员: the whole registry, every permission.
    SysAdmin,
    /// 工商联管理员: manages its subtree, its users and the audit log.
    FedAdmin,
    /// 工商联工作人员: keeps the registry of its subtree.
    FedStaff,
    /// 领导: reads dashboards and reports, changes nothing.
    Leader,
    /// 商会秘书处: its own chamber only.
    ChamberSecretary,
    /// 第三方审查机构: reports assigned to it (annual reports come with issue 4).
    Reviewer,
    /// 评估人员: evaluations assigned to it (evaluation comes later).
    Evaluator,
}

/// Something a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Permission {
    ViewRegistry,
    EditRegistry,
    TransferRegistry,
    ManageUsers,
    ViewAudit,
    /// Read annual reports and campaign figures in scope.
    ViewReports,
    /// Fill and submit annual reports (a chamber its own; staff on a chamber's behalf).
    FillReports,
    /// Open, close and edit campaigns, return submitted reports, batch-import reports.
    ManageCampaigns,
    /// Author annual-report templates (shared by every federation).
    ManageTemplates,
    /// Author review rules and the conclusion mapping (shared like templates).
    ManageRules,
    /// Review submitted reports: decide on findings, add them by hand, comment, conclude. A
    /// third-party reviewer may do so only on the reports assigned to it.
    Review,
}

impl Role {
    pub const ALL: &'static [Role] = &[
        Role::SysAdmin,
        Role::FedAdmin,
        Role::FedStaff,
        Role::Leader,
        Role::ChamberSecretary,
        Role::Reviewer,
        Role::Evaluator,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::SysAdmin => "sys_admin",
            Role::FedAdmin => "fed_admin",
            Role::FedStaff => "fed_staff",
            Role::Leader => "leader",
            Role::ChamberSecretary => "chamber_secretary",
            Role::Reviewer => "reviewer",
            Role::Evaluator => "evaluator",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.code() == code)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        lang.t(&format!("role.{}", self.code()))
    }

    pub fn can(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::SysAdmin => true,
            Role::FedAdmin => true,
            Role::FedStaff => matches!(
                p,
                ViewRegistry
                    | EditRegistry
                    | TransferRegistry
                    | ViewReports
                    | FillReports
                    | ManageCampaigns
                    | Review
            ),
            Role::Leader => matches!(p, ViewRegistry | ViewReports),
            Role::ChamberSecretary => matches!(p, ViewRegistry | ViewReports | FillReports),
            // Their work (assigned reports and evaluations) is not in the registry.
            Role::Reviewer => matches!(p, Review),
            Role::Evaluator => false,
        }
    }

    /// Roles an administrator with this role may give: never more than it holds. A federation
    /// administrator cannot make system administrators.
    pub fn can_grant(self, other: Role) -> bool {
        match self {
            Role::SysAdmin => true,
            Role::FedAdmin => other != Role::SysAdmin,
            _ => false,
        }
    }
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// The password policy: at least ten characters with letters and digits, not the user name.
pub fn check_password(password: &str, username: &str) -> Result<(), Msg> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(Msg::new("account.password_short").with("min", MIN_PASSWORD_CHARS));
    }
    if n > 200 {
        return Err(Msg::new("account.password_long"));
    }
    let letters = password.chars().any(|c| c.is_alphabetic());
    let digits = password.chars().any(|c| c.is_ascii_digit());
    if !(letters && digits) {
        return Err(Msg::new("account.password_mix"));
    }
    if password.to_lowercase().contains(&username.to_lowercase()) && !username.is_empty() {
        return Err(Msg::new("account.password_username"));
    }
    Ok(())
}

/// A user name: 3 to 40 letters, digits, `.`, `_` or `-`.
pub fn check_username(name: &str) -> Result<(), Msg> {
    let ok = (3..=40).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Msg::new("account.username_rule"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_never_exceed_the_granter() {
        for &r in Role::ALL {
            assert!(Role::SysAdmin.can_grant(r));
            assert_eq!(Role::FedAdmin.can_grant(r), r != Role::SysAdmin);
            for &o in Role::ALL {
                if !matches!(r, Role::SysAdmin | Role::FedAdmin) {
                    assert!(!r.can_grant(o));
                }
            }
        }
        assert!(!Role::Leader.can(Permission::EditRegistry));
        assert!(Role::FedStaff.can(Permission::EditRegistry));
        assert!(!Role::FedStaff.can(Permission::ManageUsers));
    }

    #[test]
    fn password_policy() {
        assert!(check_password("short1", "u").is_err());
        assert!(check_password("onlyletterslong", "u").is_err());
        assert!(check_password("1234567890123", "u").is_err());
        assert!(check_password("zhangsan2025x", "zhangsan").is_err());
        assert!(check_password("Fujian2025sh", "zhangsan").is_ok());
        assert!(check_username("fj.admin").is_ok());
        assert!(check_username("张三").is_err());
        assert!(check_username("ab").is_err());
    }

    #[test]
    fn labels_exist() {
        for &r in Role::ALL {
            for l in Lang::ALL {
                assert!(!r.label(l).starts_with("role."), "{r:?}");
            }
        }
    }
}
