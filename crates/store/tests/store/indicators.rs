//! The coverage years kept in memory, brought forward by the change logs on every backend: after
//! each kind of registry change (a field, a move, a subtree moved, a dissolution, a new unit) the
//! patched year equals the year assembled again from the whole registry; after each change of
//! reports (a submission, the expected list, a move), its reports equal those read again.

use shanghui_core::Scope;
use shanghui_core::field::Field;
use shanghui_core::report::Action;
use shanghui_core::template::Value;
use shanghui_store::campaigns::{self, NewCampaign};
use shanghui_store::indicators::{self, FactsRefreshed, Refreshed, YearData};
use shanghui_store::rectify::{self, Issue};
use shanghui_store::{Actor, Db, orgs, registry, reports, review, templates, testing};

use super::reports::{answers, chambers};
use super::{chamber, day, owned, tree};

/// How many rows the registry's change log holds.
async fn logged(db: &Db) -> i64 {
    let sql = "select count(*) from registry_change";
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
    }
}

/// What a year holds, as text (units, parents, names), to compare two years built two ways.
fn shape(d: &YearData) -> String {
    let mut parents: Vec<_> = d.parents.iter().collect();
    parents.sort();
    let mut names: Vec<_> = d.names.iter().map(|(k, n)| (k, &n.name)).collect();
    names.sort();
    format!("{:?}\n{parents:?}\n{names:?}", d.units)
}

/// Refreshes `kept` (expecting a patch naming `expect`) and patches `year` with it; then checks
/// it against the year assembled over the whole registry read again.
async fn check_patch(
    db: &Db,
    kept: &mut indicators::Registry,
    year: &mut YearData,
    expect: &[i64],
    what: &str,
) -> indicators::YearChange {
    let ids = match indicators::refresh_registry(db, kept).await.unwrap() {
        Refreshed::Patched(ids) => ids,
        other => panic!("{what}: {other:?}"),
    };
    for id in expect {
        assert!(ids.contains(id), "{what}: {id} not among {ids:?}");
    }
    let change = indicators::patch(kept, year, &ids).unwrap();
    let fresh = indicators::load_registry(db).await.unwrap();
    assert_eq!(kept.generation, fresh.generation, "{what}");
    let again = indicators::assemble(&fresh, year.facts.clone()).unwrap();
    assert_eq!(shape(year), shape(&again), "{what}");
    assert_eq!(year.generation(), again.generation(), "{what}");
    change
}

/// The test tree with chambers `{prefix}0` and `{prefix}1` under 鼓楼 and `{prefix}2` under 厦门.
async fn three_chambers(
    db: &Db,
    d: &shanghui_core::DivisionIndex,
    prefix: &str,
) -> (super::Tree, Vec<i64>) {
    let tr = tree(db, d).await;
    let at = [
        (tr.gulou, "350102"),
        (tr.gulou, "350102"),
        (tr.xiamen, "350203"),
    ];
    let ids = chambers(db, d, prefix, &at).await;
    (tr, ids)
}

#[tokio::test]
async fn kept_years_follow_the_change_log_on_every_backend() {
    let d = shanghui_core::DivisionIndex::shipped();
    for t in testing::all().await {
        let db = &t.db;
        let (a, all) = (Actor::system("test"), Scope::all());
        let (tr, ids) = three_chambers(db, &d, "覆盖商会").await;
        let mut kept = indicators::load_registry(db).await.unwrap();
        assert_eq!(
            indicators::refresh_registry(db, &mut kept).await.unwrap(),
            Refreshed::Current
        );
        let facts = std::sync::Arc::new(indicators::load_facts(db, 2025, Some(&[])).await.unwrap());
        let mut year = indicators::assemble(&kept, facts).unwrap();
        let before = year.units.len();

        // A field: the chamber's party organisation.
        let org = orgs::require(db, &all, ids[0]).await.unwrap();
        let mut input = owned(chamber("覆盖商会0", "350102"));
        input.insert(Field::PartyOrg, "是".into());
        input.insert(Field::PartyOrgForm, "党支部".into());
        let draft = shanghui_core::org::parse_org(&input, &d, day(2025, 6, 1)).unwrap();
        registry::update(db, &all, org.id, org.version, &draft, &a)
            .await
            .unwrap();
        let change = check_patch(db, &mut kept, &mut year, &[ids[0]], "a field").await;
        assert_eq!(change.old.len(), 1);
        assert_eq!(change.new[0].facts.party_org, Some(true));

        // A chamber moved to another federation during the year.
        registry::move_to(db, &all, ids[1], tr.fuzhou, day(2025, 7, 1), &a)
            .await
            .unwrap();
        check_patch(db, &mut kept, &mut year, &[ids[1]], "a move").await;
        let moved = year.units.iter().find(|u| u.id == ids[1]).unwrap();
        assert_eq!(moved.ancestors.last(), Some(&tr.fuzhou));

        // A county federation and what is below it moved: its chamber's ancestors follow.
        registry::move_to(db, &all, tr.gulou, tr.fujian, day(2025, 8, 1), &a)
            .await
            .unwrap();
        let change = check_patch(db, &mut kept, &mut year, &[tr.gulou], "a subtree").await;
        assert!(
            change.new.iter().any(|u| u.id == ids[0]),
            "the chamber below moved too"
        );

        // Dissolved during the year: gone from it.
        registry::dissolve(db, &all, ids[2], day(2025, 9, 1), &a)
            .await
            .unwrap();
        check_patch(db, &mut kept, &mut year, &[ids[2]], "a dissolution").await;
        assert_eq!(year.units.len(), before - 1);

        // A new chamber.
        let new = chambers(db, &d, "新商会", &[(tr.fuzhou, "350100")]).await;
        check_patch(db, &mut kept, &mut year, &new, "a new unit").await;
        assert_eq!(year.units.len(), before);

        // A reader further behind than the pruned log reads everything again.
        let mut behind = kept.clone();
        registry::dissolve(db, &all, new[0], day(2025, 10, 1), &a)
            .await
            .unwrap();
        let now = indicators::load_registry(db).await.unwrap().generation;
        indicators::prune_changes(db, now, 0).await.unwrap();
        assert_eq!(
            indicators::refresh_registry(db, &mut behind).await.unwrap(),
            Refreshed::Reloaded
        );
        assert_eq!(behind.generation, now);
        assert_eq!(behind.len(), kept.len());

        // The logs keep their last CHANGES_KEPT generations: older rows go (as `init` prunes).
        registry::dissolve(db, &all, ids[0], day(2025, 11, 1), &a)
            .await
            .unwrap();
        indicators::prune_old_changes(db).await.unwrap();
        assert!(logged(db).await > 0, "recent changes are kept");
        t.exec(&format!(
            "update generation set value = value + {} where name = 'registry'",
            indicators::CHANGES_KEPT
        ))
        .await;
        indicators::prune_old_changes(db).await.unwrap();
        assert_eq!(logged(db).await, 0, "older changes are pruned");
    }
}

/// A year's reports and notices, as text.
fn facts_shape(d: &YearData) -> String {
    format!(
        "{:?}\n{:?}\n{:?}",
        d.facts.report_ids, d.facts.reports, d.facts.notices
    )
}

/// Refreshes `year`'s facts to the database's counter, expecting a patch; checks the year against
/// its reports and notices read again, and returns the change.
async fn check_facts(db: &Db, year: &mut YearData, what: &str) -> indicators::YearChange {
    let now = indicators::generation(db).await.unwrap().facts;
    assert!(
        now > year.facts.generation,
        "{what}: the facts counter moved"
    );
    let change = match indicators::refresh_facts(db, year, now).await.unwrap() {
        FactsRefreshed::Patched(c) => c,
        other => panic!("{what}: {other:?}"),
    };
    let items = ["members_total".to_string()];
    let again = indicators::load_facts(db, 2025, Some(&items))
        .await
        .unwrap();
    let kept = indicators::load_registry(db).await.unwrap();
    let again = indicators::assemble(&kept, std::sync::Arc::new(again)).unwrap();
    assert_eq!(facts_shape(year), facts_shape(&again), "{what}");
    assert_eq!(year.generation(), again.generation(), "{what}");
    change
}

#[tokio::test]
async fn kept_reports_follow_the_change_log_on_every_backend() {
    let d = shanghui_core::DivisionIndex::shipped();
    for t in testing::all().await {
        let db = &t.db;
        let (a, all) = (Actor::system("test"), Scope::all());
        let (tr, ids) = three_chambers(db, &d, "年报商会").await;
        let tid = templates::ensure_sample(db, &a).await.unwrap();
        let new = NewCampaign {
            organization_id: tr.fujian,
            year: 2025,
            template_id: tid,
            opens_on: day(2026, 3, 1),
            deadline: day(2099, 12, 31),
        };
        let cid = campaigns::open(db, &all, &new, &a)
            .await
            .unwrap()
            .campaign
            .id;
        let items = ["members_total".to_string()];
        let facts = indicators::load_facts(db, 2025, Some(&items))
            .await
            .unwrap();
        let mut kept = indicators::load_registry(db).await.unwrap();
        let mut year = indicators::assemble(&kept, std::sync::Arc::new(facts)).unwrap();
        assert_eq!(year.facts.reports.len(), 3);

        // A report submitted (without its general assembly, a finding): read again alone, with
        // the item the indicators sum.
        let mut x = answers(120);
        x.insert("general_assembly".into(), Value::Integer(0));
        reports::save(db, &all, cid, ids[0], &x, 0, Action::Submit, &a)
            .await
            .unwrap();
        let change = check_facts(db, &mut year, "a submission").await;
        assert_eq!(change.old_reports.len(), 1);
        assert!(!change.old_reports[0].submitted && change.new_reports[0].submitted);
        let members = change.new_reports[0]
            .answers
            .as_ref()
            .unwrap()
            .get("members_total");
        assert_eq!(members, Some(&Value::Integer(120)));
        assert_eq!(
            change.new.len(),
            1,
            "the reporting unit, for conditions on reports"
        );

        // A comment by a reviewer moves nothing the indicators read.
        let before = indicators::generation(db).await.unwrap().facts;
        review::comment(db, &all, cid, ids[0], None, "请补充会员名册", &a)
            .await
            .unwrap();
        assert_eq!(indicators::generation(db).await.unwrap().facts, before);

        // A rectification notice issued for the finding.
        let fids: Vec<i64> = review::report_review(db, &all, cid, ids[0], false)
            .await
            .unwrap()
            .findings
            .iter()
            .map(|f| f.id)
            .collect();
        let issue = Issue {
            measures: "召开会员大会".into(),
            deadline: shanghui_core::value::china_date(chrono::Utc::now())
                + chrono::Duration::days(30),
            include_open: true,
        };
        rectify::issue(db, &all, cid, ids[0], &fids, &issue, &a)
            .await
            .unwrap();
        let change = check_facts(db, &mut year, "a notice").await;
        assert_eq!((change.old_notices.len(), change.new_notices.len()), (0, 1));
        assert!(!change.new_notices[0].closed);

        // Taken off the expected list.
        campaigns::set_expected(db, &all, cid, ids[2], false, &a)
            .await
            .unwrap();
        check_facts(db, &mut year, "off the list").await;

        // A unit moved while the campaign is open: its report follows it (its path), and the
        // registry's patch and the reports' patch together equal both read again.
        registry::move_to(db, &all, ids[1], tr.fuzhou, day(2025, 7, 1), &a)
            .await
            .unwrap();
        let ids_changed = match indicators::refresh_registry(db, &mut kept).await.unwrap() {
            Refreshed::Patched(ids) => ids,
            other => panic!("{other:?}"),
        };
        indicators::patch(&kept, &mut year, &ids_changed).unwrap();
        let change = check_facts(db, &mut year, "a move").await;
        assert_eq!(change.new_reports[0].ancestors.last(), Some(&tr.fuzhou));

        // The campaign's deadline: every report's timeliness, so the year is read again.
        campaigns::set_deadline(db, &all, cid, day(2099, 6, 30), &a)
            .await
            .unwrap();
        let now = indicators::generation(db).await.unwrap().facts;
        assert!(matches!(
            indicators::refresh_facts(db, &mut year, now).await.unwrap(),
            FactsRefreshed::Reload
        ));

        // A year further behind than the pruned log is read again too.
        let facts = indicators::load_facts(db, 2025, Some(&items))
            .await
            .unwrap();
        let mut year = indicators::assemble(&kept, std::sync::Arc::new(facts)).unwrap();
        campaigns::set_expected(db, &all, cid, ids[2], true, &a)
            .await
            .unwrap();
        let now = indicators::generation(db).await.unwrap().facts;
        indicators::prune_changes(db, 0, now).await.unwrap();
        assert!(matches!(
            indicators::refresh_facts(db, &mut year, now).await.unwrap(),
            FactsRefreshed::Reload
        ));
    }
}
