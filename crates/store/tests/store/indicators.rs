//! The coverage years kept in memory, brought forward by the registry's change log on every
//! backend: after each kind of change (a field, a move, a subtree moved, a dissolution, a new
//! unit) the patched year equals the year assembled again from the whole registry.

use shanghui_core::Scope;
use shanghui_core::field::Field;
use shanghui_store::indicators::{self, Refreshed, YearData};
use shanghui_store::{Actor, Db, orgs, registry, testing};

use super::reports::chambers;
use super::{chamber, day, owned, tree};

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
    assert_eq!(year.generation, again.generation, "{what}");
    change
}

#[tokio::test]
async fn kept_years_follow_the_change_log_on_every_backend() {
    let d = shanghui_core::DivisionIndex::shipped();
    for t in testing::all().await {
        let db = &t.db;
        let (a, all) = (Actor::system("test"), Scope::all());
        let tr = tree(db, &d).await;
        let ids = chambers(
            db,
            &d,
            "覆盖商会",
            &[(tr.gulou, "350102"), (tr.gulou, "350102"), (tr.xiamen, "350203")],
        )
        .await;
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
        assert!(change.new.iter().any(|u| u.id == ids[0]), "the chamber below moved too");

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
        indicators::prune_registry_changes(db, now).await.unwrap();
        assert_eq!(
            indicators::refresh_registry(db, &mut behind).await.unwrap(),
            Refreshed::Reloaded
        );
        assert_eq!(behind.generation, now);
        assert_eq!(behind.len(), kept.len());
    }
}
