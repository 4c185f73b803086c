//! Rectification (整改): a notice to a chamber about confirmed findings, with the measures
//! required and a deadline; the chamber's response item by item with evidence; the reviewer's
//! verification (accept: 销号, or return with a reason), round after round until every item is
//! accepted. The state machine is here; the store applies it and keeps the history.

use chrono::NaiveDate;

use crate::i18n::{Lang, Msg};
use crate::org::coded_enum;
use crate::review::note;
use crate::value;

coded_enum!(
    /// Where a notice stands (overdue is not a state: it is an open notice past its deadline).
    /// Awaiting response: issued or returned, waiting for the chamber. Responded: every item
    /// still open has been answered, waiting for verification. Closed: every item accepted (销号).
    NoticeStatus, "notice_status" {
    AwaitingResponse => "awaiting_response",
    Responded => "responded",
    Closed => "closed",
});

coded_enum!(
    /// Where one item (one finding) of a notice stands.
    ItemStatus, "notice_item_status" {
    Open => "open",
    Responded => "responded",
    Accepted => "accepted",
    Returned => "returned",
});

/// What someone does to a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeAction {
    /// The chamber describes the measures taken for one item (may be repeated before submitting).
    Respond { item: usize },
    /// The chamber hands in its response: every open or returned item must have been answered.
    SubmitResponse,
    /// The reviewer accepts an item that was responded to.
    Accept { item: usize },
    /// The reviewer returns an item with a reason.
    Return { item: usize },
    /// The reviewer moves the deadline (with a reason).
    Extend { to: NaiveDate },
}

/// A notice as the state machine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub status: NoticeStatus,
    pub items: Vec<ItemState>,
    /// 1 for the first response; each return starts a new round.
    pub round: u32,
    pub deadline: NaiveDate,
}

/// One item: its status and whether the chamber has answered it in the current round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemState {
    pub status: ItemStatus,
    pub answered: bool,
}

impl Notice {
    pub fn new(items: usize, deadline: NaiveDate) -> Self {
        Notice {
            status: NoticeStatus::AwaitingResponse,
            items: vec![
                ItemState {
                    status: ItemStatus::Open,
                    answered: false,
                };
                items
            ],
            round: 1,
            deadline,
        }
    }

    /// Overdue: not closed, and `today` is past the deadline.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.status != NoticeStatus::Closed && today > self.deadline
    }

    /// Applies an action, or says why it is refused. The notice is unchanged on refusal.
    pub fn apply(&mut self, action: &NoticeAction) -> Result<(), Msg> {
        let mut next = self.clone();
        next.step(action)?;
        debug_assert!(next.valid(), "{next:?}");
        *self = next;
        Ok(())
    }

    fn item(&mut self, i: usize) -> Result<&mut ItemState, Msg> {
        self.items
            .get_mut(i)
            .ok_or_else(|| Msg::new("rectify.no_such_item"))
    }

    fn step(&mut self, action: &NoticeAction) -> Result<(), Msg> {
        use ItemStatus as I;
        use NoticeStatus as N;
        match action {
            NoticeAction::Respond { item } => {
                if self.status != N::AwaitingResponse {
                    return Err(Msg::new("rectify.not_awaiting_response"));
                }
                let it = self.item(*item)?;
                if !matches!(it.status, I::Open | I::Returned) {
                    return Err(Msg::new("rectify.item_not_open"));
                }
                it.answered = true;
            }
            NoticeAction::SubmitResponse => {
                if self.status != N::AwaitingResponse {
                    return Err(Msg::new("rectify.not_awaiting_response"));
                }
                let pending = |s: &ItemState| matches!(s.status, I::Open | I::Returned);
                if self.items.iter().any(|s| pending(s) && !s.answered) {
                    return Err(Msg::new("rectify.answer_every_item"));
                }
                for s in self.items.iter_mut().filter(|s| pending(s)) {
                    s.status = I::Responded;
                    s.answered = false;
                }
                self.status = N::Responded;
            }
            NoticeAction::Accept { item } | NoticeAction::Return { item } => {
                if self.status != N::Responded {
                    return Err(Msg::new("rectify.not_responded"));
                }
                let accept = matches!(action, NoticeAction::Accept { .. });
                let it = self.item(*item)?;
                if it.status != I::Responded {
                    return Err(Msg::new("rectify.item_not_responded"));
                }
                it.status = if accept { I::Accepted } else { I::Returned };
                self.settle();
            }
            NoticeAction::Extend { to } => {
                if self.status == N::Closed {
                    return Err(Msg::new("rectify.closed"));
                }
                if *to <= self.deadline {
                    return Err(Msg::new("rectify.extend_later"));
                }
                self.deadline = *to;
            }
        }
        Ok(())
    }

    /// Once no item waits for verification: closed when all are accepted, otherwise back to the
    /// chamber for a new round.
    fn settle(&mut self) {
        if self.items.iter().any(|s| s.status == ItemStatus::Responded) {
            return;
        }
        if self.items.iter().all(|s| s.status == ItemStatus::Accepted) {
            self.status = NoticeStatus::Closed;
        } else {
            self.status = NoticeStatus::AwaitingResponse;
            self.round += 1;
        }
    }

    /// The invariants every reachable notice keeps.
    pub fn valid(&self) -> bool {
        use ItemStatus as I;
        let all_accepted = self.items.iter().all(|s| s.status == I::Accepted);
        let any_responded = self.items.iter().any(|s| s.status == I::Responded);
        let any_pending = self
            .items
            .iter()
            .any(|s| matches!(s.status, I::Open | I::Returned));
        let any_open = self.items.iter().any(|s| s.status == I::Open);
        let any_answered = self.items.iter().any(|s| s.answered);
        let answered_only_pending = self
            .items
            .iter()
            .all(|s| !s.answered || matches!(s.status, I::Open | I::Returned));
        !self.items.is_empty()
            && self.round >= 1
            && answered_only_pending
            && match self.status {
                NoticeStatus::Closed => all_accepted,
                // Verification goes item by item: some may already be returned while others
                // still wait; none is unanswered.
                NoticeStatus::Responded => any_responded && !any_open && !any_answered,
                NoticeStatus::AwaitingResponse => any_pending && !any_responded,
            }
    }
}

/// Checks what a notice is issued with: measures described, a deadline after today.
pub fn check_issue(measures: &str, deadline: NaiveDate, today: NaiveDate) -> Result<String, Msg> {
    let m = note(measures).map_err(|_| Msg::new("rectify.measures_required"))?;
    if deadline <= today {
        return Err(Msg::new("rectify.deadline_future"));
    }
    Ok(m)
}

/// Evidence files: what is accepted, by the bytes themselves (not the name the browser sends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceKind {
    Pdf,
    Png,
    Jpeg,
    /// docx, xlsx, pptx (zip containers).
    OfficeOpenXml,
    /// doc, xls, ppt (compound files).
    OfficeLegacy,
}

/// The largest evidence file accepted.
pub const MAX_EVIDENCE_BYTES: usize = 10 * 1024 * 1024;
/// The most evidence files one item may carry.
pub const MAX_EVIDENCE_PER_ITEM: usize = 10;

impl EvidenceKind {
    pub fn content_type(self) -> &'static str {
        match self {
            EvidenceKind::Pdf => "application/pdf",
            EvidenceKind::Png => "image/png",
            EvidenceKind::Jpeg => "image/jpeg",
            EvidenceKind::OfficeOpenXml => "application/octet-stream",
            EvidenceKind::OfficeLegacy => "application/octet-stream",
        }
    }

    fn extensions(self) -> &'static [&'static str] {
        match self {
            EvidenceKind::Pdf => &["pdf"],
            EvidenceKind::Png => &["png"],
            EvidenceKind::Jpeg => &["jpg", "jpeg"],
            EvidenceKind::OfficeOpenXml => &["docx", "xlsx", "pptx"],
            EvidenceKind::OfficeLegacy => &["doc", "xls", "ppt"],
        }
    }

    fn sniff(bytes: &[u8]) -> Option<EvidenceKind> {
        if bytes.starts_with(b"%PDF-") {
            Some(EvidenceKind::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(EvidenceKind::Png)
        } else if bytes.starts_with(b"\xff\xd8\xff") {
            Some(EvidenceKind::Jpeg)
        } else if bytes.starts_with(b"PK\x03\x04") {
            Some(EvidenceKind::OfficeOpenXml)
        } else if bytes.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
            Some(EvidenceKind::OfficeLegacy)
        } else {
            None
        }
    }
}

/// A file name made safe to keep and to offer back: the last path component only, no control
/// characters, no leading dots, at most 100 characters; refused when nothing is left.
pub fn safe_file_name(raw: &str) -> Result<String, Msg> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() || cleaned == ".." {
        return Err(Msg::new("rectify.bad_file_name").with("value", raw));
    }
    Ok(cleaned.chars().take(100).collect())
}

/// Checks an evidence file: size, and a type read from its bytes that agrees with its name.
pub fn check_evidence(name: &str, bytes: &[u8]) -> Result<(String, EvidenceKind), Msg> {
    let name = safe_file_name(name)?;
    if bytes.is_empty() {
        return Err(Msg::new("rectify.empty_file").with("name", &name));
    }
    if bytes.len() > MAX_EVIDENCE_BYTES {
        return Err(Msg::new("rectify.file_too_large")
            .with("name", &name)
            .with("max", MAX_EVIDENCE_BYTES / 1024 / 1024));
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match EvidenceKind::sniff(bytes) {
        Some(kind) if kind.extensions().contains(&ext.as_str()) => Ok((name, kind)),
        _ => Err(Msg::new("rectify.file_type").with("name", &name)),
    }
}

/// Statistics of a set of notices.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Stats {
    pub issued: i64,
    pub closed: i64,
    /// Closed on or before their (possibly extended) deadline.
    pub closed_on_time: i64,
    /// Open and past their deadline.
    pub overdue: i64,
    /// Days from issue to closure, summed over the closed notices.
    pub days_to_close: i64,
}

impl Stats {
    pub fn closure_rate(&self) -> Option<f64> {
        (self.issued > 0).then(|| self.closed as f64 / self.issued as f64)
    }
    pub fn on_time_rate(&self) -> Option<f64> {
        (self.issued > 0).then(|| self.closed_on_time as f64 / self.issued as f64)
    }
    pub fn average_days(&self) -> Option<f64> {
        (self.closed > 0).then(|| self.days_to_close as f64 / self.closed as f64)
    }
    pub fn plus(self, o: Stats) -> Stats {
        Stats {
            issued: self.issued + o.issued,
            closed: self.closed + o.closed,
            closed_on_time: self.closed_on_time + o.closed_on_time,
            overdue: self.overdue + o.overdue,
            days_to_close: self.days_to_close + o.days_to_close,
        }
    }
}

/// A label for an item status or notice status in the reader's language, overdue included.
pub fn status_label(status: NoticeStatus, overdue: bool, lang: Lang) -> String {
    if overdue {
        format!("{}（{}）", status.label(lang), lang.t("notice.overdue"))
    } else {
        status.label(lang).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 7, d).unwrap()
    }

    #[test]
    fn a_full_loop_with_a_returned_item() {
        let mut n = Notice::new(2, day(10));
        assert!(
            n.apply(&NoticeAction::SubmitResponse).is_err(),
            "items unanswered"
        );
        n.apply(&NoticeAction::Respond { item: 0 }).unwrap();
        n.apply(&NoticeAction::Respond { item: 1 }).unwrap();
        n.apply(&NoticeAction::SubmitResponse).unwrap();
        assert_eq!(n.status, NoticeStatus::Responded);
        assert!(n.apply(&NoticeAction::Respond { item: 0 }).is_err());
        n.apply(&NoticeAction::Accept { item: 0 }).unwrap();
        assert_eq!(n.status, NoticeStatus::Responded, "item 1 still to verify");
        n.apply(&NoticeAction::Return { item: 1 }).unwrap();
        assert_eq!((n.status, n.round), (NoticeStatus::AwaitingResponse, 2));
        assert!(
            n.apply(&NoticeAction::Respond { item: 0 }).is_err(),
            "accepted stays accepted"
        );
        n.apply(&NoticeAction::Respond { item: 1 }).unwrap();
        n.apply(&NoticeAction::SubmitResponse).unwrap();
        n.apply(&NoticeAction::Accept { item: 1 }).unwrap();
        assert_eq!(n.status, NoticeStatus::Closed);
        assert!(n.apply(&NoticeAction::Extend { to: day(20) }).is_err());
        assert!(!n.overdue(day(30)));
    }

    #[test]
    fn overdue_and_extension() {
        let mut n = Notice::new(1, day(10));
        assert!(!n.overdue(day(10)));
        assert!(n.overdue(day(11)));
        assert!(n.apply(&NoticeAction::Extend { to: day(9) }).is_err());
        n.apply(&NoticeAction::Extend { to: day(20) }).unwrap();
        assert!(!n.overdue(day(11)));
    }

    #[test]
    fn evidence_is_checked_by_its_bytes_and_name() {
        let pdf = b"%PDF-1.7\n...".to_vec();
        assert_eq!(
            check_evidence("整改报告.pdf", &pdf).unwrap().1,
            EvidenceKind::Pdf
        );
        assert!(
            check_evidence("report.exe", &pdf).is_err(),
            "name disagrees"
        );
        assert!(
            check_evidence("photo.jpg", b"MZ\x90\x00").is_err(),
            "an executable"
        );
        assert!(check_evidence("a.pdf", &[]).is_err());
        let big = [b"%PDF-".as_slice(), &vec![0u8; MAX_EVIDENCE_BYTES]].concat();
        assert!(check_evidence("big.pdf", &big).is_err());
        assert_eq!(safe_file_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(
            safe_file_name("C:\\Users\\x\\会议纪要.docx").unwrap(),
            "会议纪要.docx"
        );
        assert_eq!(safe_file_name("..\\..\\.htaccess").unwrap(), "htaccess");
        assert!(safe_file_name("../..").is_err());
        assert!(safe_file_name("").is_err());
    }

    fn action() -> impl Strategy<Value = NoticeAction> {
        prop_oneof![
            (0usize..4).prop_map(|item| NoticeAction::Respond { item }),
            Just(NoticeAction::SubmitResponse),
            (0usize..4).prop_map(|item| NoticeAction::Accept { item }),
            (0usize..4).prop_map(|item| NoticeAction::Return { item }),
            (1u32..28).prop_map(|d| NoticeAction::Extend { to: day(d) }),
        ]
    }

    proptest! {
        /// No sequence of actions reaches an invalid state, a refused action changes nothing,
        /// and a closed notice stays closed.
        #[test]
        fn no_sequence_reaches_an_invalid_state(items in 1usize..4, actions in prop::collection::vec(action(), 0..60)) {
            let mut n = Notice::new(items, day(10));
            let mut was_closed = false;
            for a in &actions {
                let before = n.clone();
                match n.apply(a) {
                    Ok(()) => prop_assert!(n.valid(), "{n:?} after {a:?}"),
                    Err(_) => prop_assert_eq!(&n, &before),
                }
                if was_closed {
                    prop_assert_eq!(n.status, NoticeStatus::Closed);
                }
                was_closed = n.status == NoticeStatus::Closed;
            }
        }
    }
}
