//! The store against real databases: SQLite always, PostgreSQL when SHANGHUI_TEST_PG_URL is set
//! (mandatory under CI).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use shanghui_core::division::DivisionIndex;
use shanghui_core::field::Field;
use shanghui_core::org::{OrgDraft, OrgInput, OrgStatus, parse_org};
use shanghui_core::{Lang, Scope};
use shanghui_store::import::{ImportError, ImportRow, import};
use shanghui_store::registry::{self};
use shanghui_store::{Actor, Db, StoreError, orgs, testing};

#[path = "store/indicators.rs"]
mod indicators;
#[path = "store/rectify.rs"]
mod rectify;
#[path = "store/reports.rs"]
mod reports;
#[path = "store/review.rs"]
mod review;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn input(pairs: &[(Field, &str)]) -> OrgInput {
    pairs.iter().map(|(f, v)| (*f, v.to_string())).collect()
}

fn draft(divisions: &DivisionIndex, pairs: &[(Field, &str)]) -> OrgDraft {
    parse_org(&input(pairs), divisions, day(2025, 6, 1)).unwrap()
}

struct Tree {
    national: i64,
    fujian: i64,
    fuzhou: i64,
    gulou: i64,
    xiamen: i64,
}

async fn tree(db: &Db, d: &DivisionIndex) -> Tree {
    let all = Scope::all();
    let a = Actor::system("test");
    let n = registry::create(
        db,
        &all,
        None,
        &draft(
            d,
            &[
                (Field::Kind, "工商联"),
                (Field::Level, "全国"),
                (Field::Name, "全国工商联"),
            ],
        ),
        &a,
    )
    .await
    .unwrap();
    let fj = registry::create(
        db,
        &all,
        Some(n.id),
        &draft(
            d,
            &[
                (Field::Kind, "工商联"),
                (Field::Level, "省级"),
                (Field::Name, "福建省工商联"),
                (Field::DivisionCode, "350000"),
            ],
        ),
        &a,
    )
    .await
    .unwrap();
    let fz = registry::create(
        db,
        &all,
        Some(fj.id),
        &draft(
            d,
            &[
                (Field::Kind, "工商联"),
                (Field::Level, "市级"),
                (Field::Name, "福州市工商联"),
                (Field::DivisionCode, "350100"),
            ],
        ),
        &a,
    )
    .await
    .unwrap();
    let gl = registry::create(
        db,
        &all,
        Some(fz.id),
        &draft(
            d,
            &[
                (Field::Kind, "工商联"),
                (Field::Level, "县级"),
                (Field::Name, "鼓楼区工商联"),
                (Field::DivisionCode, "350102"),
                (Field::FoundedOn, "2001-01-01"),
                (Field::Uscc, GULOU_USCC),
            ],
        ),
        &a,
    )
    .await
    .unwrap();
    let xm = registry::create(
        db,
        &all,
        Some(fj.id),
        &draft(
            d,
            &[
                (Field::Kind, "工商联"),
                (Field::Level, "市级"),
                (Field::Name, "厦门市工商联"),
                (Field::DivisionCode, "350200"),
            ],
        ),
        &a,
    )
    .await
    .unwrap();
    Tree {
        national: n.id,
        fujian: fj.id,
        fuzhou: fz.id,
        gulou: gl.id,
        xiamen: xm.id,
    }
}

fn chamber(name: &str, division: &str) -> Vec<(Field, String)> {
    vec![
        (Field::Kind, "商会".into()),
        (Field::Name, name.into()),
        (Field::Category, "行业".into()),
        (Field::DivisionCode, division.into()),
        (Field::FoundedOn, "2010-05-01".into()),
    ]
}

fn owned(pairs: Vec<(Field, String)>) -> OrgInput {
    pairs.into_iter().collect()
}

/// The Gulou federation's credit code, for parents named by code.
const GULOU_USCC: &str = "51350102MJ00000092";

#[test]
fn migration_folders_agree() {
    let (s, p) = shanghui_store::migration_versions();
    assert!(!s.is_empty());
    assert_eq!(
        s, p,
        "sqlite and postgres migrations must have the same versions"
    );
}

#[tokio::test]
async fn registry_lifecycle_on_every_backend() {
    let d = DivisionIndex::shipped();
    for t in testing::all().await {
        let db = &t.db;
        let a = Actor::system("test");
        let all = Scope::all();
        let tr = tree(db, &d).await;
        assert_eq!(orgs::count(db, &all).await.unwrap(), 5);

        // Scope: the Fuzhou federation sees its subtree only.
        let fz = orgs::require(db, &all, tr.fuzhou).await.unwrap();
        let fz_scope = Scope::subtree(fz.path.clone());
        assert!(orgs::get(db, &fz_scope, tr.xiamen).await.unwrap().is_none());
        assert!(orgs::get(db, &fz_scope, tr.gulou).await.unwrap().is_some());
        assert_eq!(orgs::count(db, &fz_scope).await.unwrap(), 2);

        // A chamber, and the duplicates refused with the existing record named.
        let c = owned(chamber("鼓楼区餐饮商会", "350102"));
        let mut c = parse_org(&c, &d, day(2025, 6, 1)).unwrap();
        c.uscc = shanghui_core::uscc::with_check("51350102MJ0000001");
        let ch = registry::create(db, &fz_scope, Some(tr.gulou), &c, &a)
            .await
            .unwrap();
        match registry::create(db, &fz_scope, Some(tr.gulou), &c, &a).await {
            Err(StoreError::Rejected(ps)) => {
                let text: Vec<String> = ps.iter().map(|p| p.render(Lang::ZhCn)).collect();
                assert_eq!(ps.len(), 2, "{text:?}");
                assert!(
                    text.iter().all(|t| t.contains(&ch.id.to_string())),
                    "{text:?}"
                );
            }
            other => panic!("{other:?}"),
        }
        // Outside the scope: the Xiamen federation cannot be a parent for a Fuzhou user.
        let mut c2 = c.clone();
        c2.name = "厦门某商会".into();
        c2.uscc = None;
        c2.division_code = Some(shanghui_core::DivisionCode::parse("350203").unwrap());
        assert!(matches!(
            registry::create(db, &fz_scope, Some(tr.xiamen), &c2, &a).await,
            Err(StoreError::NotFound)
        ));
        // A chamber outside its parent's division is refused.
        assert!(matches!(
            registry::create(db, &all, Some(tr.gulou), &c2, &a).await,
            Err(StoreError::Rejected(_))
        ));

        // Edit with the right version, then a stale one.
        let mut e = ch.record.clone();
        e.president = Some("张三".into());
        let ch2 = registry::update(db, &fz_scope, ch.id, ch.version, &e, &a)
            .await
            .unwrap();
        assert_eq!(ch2.version, ch.version + 1);
        e.president = Some("李四".into());
        assert!(matches!(
            registry::update(db, &fz_scope, ch.id, ch.version, &e, &a).await,
            Err(StoreError::Conflict)
        ));
        let hist = orgs::history(db, &all, ch.id).await.unwrap();
        assert_eq!(hist[0].action, "update");
        assert!(hist[0].detail.contains("张三"), "{}", hist[0].detail);

        // Children with counts.
        let root = orgs::require(db, &all, tr.national).await.unwrap();
        let kids = orgs::children(db, &all, &root).await.unwrap();
        assert_eq!(kids.len(), 1);
        assert_eq!(kids[0].below.federations, 3);
        assert_eq!(kids[0].below.chambers, 1);

        // Move the Gulou federation (with its chamber) from Fuzhou to... it must stay in Fujian
        // and in its division: move it under the provincial federation.
        let moved = registry::move_to(db, &all, tr.gulou, tr.fujian, day(2024, 1, 1), &a)
            .await
            .unwrap();
        assert_eq!(moved.parent_id, Some(tr.fujian));
        let ch_after = orgs::require(db, &all, ch.id).await.unwrap();
        assert!(ch_after.path.is_within(&moved.path));
        assert!(matches!(
            registry::move_to(db, &all, tr.fujian, tr.gulou, day(2024, 1, 1), &a).await,
            Err(StoreError::Rejected(_))
        ));
        // Who belonged to Fuzhou in 2023: Gulou and its chamber; in 2024: nobody.
        let in_2023 = orgs::members_on(db, &all, tr.fuzhou, day(2023, 12, 31))
            .await
            .unwrap();
        let ids: BTreeSet<i64> = in_2023.iter().map(|(i, _)| *i).collect();
        assert!(
            ids.contains(&tr.gulou) && ids.contains(&ch.id),
            "{in_2023:?}"
        );
        let in_2024 = orgs::members_on(db, &all, tr.fuzhou, day(2024, 12, 31))
            .await
            .unwrap();
        assert_eq!(in_2024.len(), 1, "{in_2024:?}");
        assert_eq!(orgs::links(db, &all, tr.gulou).await.unwrap().len(), 2);

        // Dissolve: refused while a unit has active children; fine for the chamber.
        assert!(matches!(
            registry::dissolve(db, &all, tr.gulou, day(2025, 1, 1), &a).await,
            Err(StoreError::Rejected(_))
        ));
        let gone = registry::dissolve(db, &all, ch.id, day(2025, 1, 1), &a)
            .await
            .unwrap();
        assert_eq!(gone.record.status, OrgStatus::Dissolved);
        let in_2025 = orgs::members_on(db, &all, tr.gulou, day(2025, 6, 1))
            .await
            .unwrap();
        assert_eq!(
            in_2025.len(),
            1,
            "the dissolved chamber no longer belongs: {in_2025:?}"
        );
        let _ = tr.national;

        // Search by name and by credit-code prefix.
        assert_eq!(orgs::search(db, &all, "餐饮", 10).await.unwrap().len(), 1);
        // The chamber and the Gulou federation both have codes issued in 350102.
        let by_code: BTreeSet<i64> = orgs::search(db, &all, "51350102", 10)
            .await
            .unwrap()
            .iter()
            .map(|o| o.id)
            .collect();
        assert_eq!(by_code, BTreeSet::from([ch.id, tr.gulou]));
        assert_eq!(orgs::search(db, &all, "%", 10).await.unwrap().len(), 0);
        assert_eq!(
            orgs::verify_counts(db, false).await.unwrap(),
            Vec::<i64>::new(),
            "maintained counts drifted"
        );
    }
}

#[tokio::test]
async fn import_is_all_or_nothing_on_every_backend() {
    let d = DivisionIndex::shipped();
    for t in testing::all().await {
        let db = &t.db;
        let a = Actor::system("test");
        let tr = tree(db, &d).await;
        let all = Scope::all();
        let fz = orgs::require(db, &all, tr.fuzhou).await.unwrap();
        let scope = Scope::subtree(fz.path.clone());
        let row = |place: &str, pairs: Vec<(Field, String)>| ImportRow {
            place: place.into(),
            input: owned(pairs),
        };
        let with_parent = |name: &str, parent: &str| {
            let mut p = chamber(name, "350102");
            p.push((Field::Parent, parent.into()));
            p
        };
        let columns: BTreeSet<Field> = [
            Field::Kind,
            Field::Name,
            Field::Category,
            Field::DivisionCode,
            Field::FoundedOn,
            Field::Parent,
        ]
        .into();

        // A bad file: one good row, a duplicate in the file, an unknown parent, a bad value.
        let mut bad_value = with_parent("坏商会", "鼓楼区工商联");
        bad_value.push((Field::MembersUnit, "很多".into()));
        let rows = vec![
            row("第2行", with_parent("甲商会", "鼓楼区工商联")),
            row("第3行", with_parent("甲商会", "鼓楼区工商联")),
            row("第4行", with_parent("乙商会", "不存在的工商联")),
            row("第5行", bad_value),
            row("第6行", with_parent("厦门商会", &format!("#{}", tr.xiamen))),
        ];
        match import(db, &scope, &d, &rows, &columns, day(2025, 6, 1), &a).await {
            Err(ImportError::Rejected(ps)) => {
                let idx: Vec<usize> = ps.iter().map(|p| p.index).collect();
                assert_eq!(idx, vec![1, 2, 3, 4], "{ps:?}");
                assert!(ps[0].problem.render(Lang::ZhCn).contains("第2行"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(orgs::count(db, &scope).await.unwrap(), 2, "nothing written");

        // A good file, with a new county federation and a chamber below it from the same file.
        let county = vec![
            (Field::Kind, "工商联".to_string()),
            (Field::Level, "县级".into()),
            (Field::Name, "台江区工商联".into()),
            (Field::DivisionCode, "350103".into()),
            (Field::Parent, format!("福州市工商联 #{}", tr.fuzhou)),
        ];
        let mut tj_chamber = chamber("台江区服装商会", "350103");
        tj_chamber.push((Field::Parent, "台江区工商联".into()));
        let rows = vec![
            row("第2行", tj_chamber),
            row("第3行", county),
            row("第4行", with_parent("甲商会", "鼓楼区工商联")),
            // A parent named by its credit code.
            row("第5行", with_parent("乙商会", GULOU_USCC)),
        ];
        let s = import(db, &scope, &d, &rows, &columns, day(2025, 6, 1), &a)
            .await
            .unwrap();
        assert_eq!(s.created, 4);
        assert_eq!(orgs::count(db, &scope).await.unwrap(), 6);
        let yi = orgs::search(db, &scope, "乙商会", 5).await.unwrap();
        assert_eq!(
            yi[0].parent_id,
            Some(tr.gulou),
            "the parent found by its credit code"
        );

        // Re-importing with IDs updates in place (idempotent when nothing changed).
        let listed = orgs::list(db, &scope, &orgs::Filter::default())
            .await
            .unwrap();
        let mut cols = columns.clone();
        cols.insert(Field::Id);
        let rows: Vec<ImportRow> = listed
            .iter()
            .filter(|o| o.parent_id.is_some() && o.id != tr.fuzhou)
            .map(|o| {
                let mut i = o.record.to_input(Lang::ZhCn);
                i.insert(Field::Id, o.id.to_string());
                ImportRow {
                    place: o.id.to_string(),
                    input: i,
                }
            })
            .collect();
        let s = import(db, &scope, &d, &rows, &cols, day(2025, 6, 1), &a)
            .await
            .unwrap();
        assert_eq!((s.created, s.updated, s.unchanged), (0, 0, rows.len()));
        assert_eq!(
            orgs::verify_counts(db, false).await.unwrap(),
            Vec::<i64>::new(),
            "maintained counts drifted"
        );
    }
}

/// The counts kept on each unit stay equal to a full recount through a random sequence of
/// creates, moves, dissolutions and imports (a tiny deterministic generator stands in for
/// proptest, whose shrinking would cost a database per case).
#[tokio::test]
async fn maintained_counts_survive_random_changes() {
    let d = DivisionIndex::shipped();
    for t in testing::all().await {
        let db = &t.db;
        let a = Actor::system("test");
        let all = Scope::all();
        let tr = tree(db, &d).await;
        let mut seed: u64 = 0x5eed;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        // County-level federations under Fuzhou that chambers can move between.
        let mut feds = vec![tr.gulou];
        for (i, code) in ["350103", "350104", "350105"].iter().enumerate() {
            let f = registry::create(
                db,
                &all,
                Some(tr.fuzhou),
                &draft(
                    &d,
                    &[
                        (Field::Kind, "工商联"),
                        (Field::Level, "县级"),
                        (Field::Name, &format!("县级工商联{i}")),
                        (Field::DivisionCode, code),
                    ],
                ),
                &a,
            )
            .await
            .unwrap();
            feds.push(f.id);
        }
        let mut chambers: Vec<i64> = Vec::new();
        let (mut moved, mut dissolved) = (0, 0);
        for step in 0..120 {
            match next(4) {
                0 | 1 => {
                    let parent = feds[next(feds.len() as u64) as usize];
                    let p = orgs::require(db, &all, parent).await.unwrap();
                    let division = p.record.division_code.unwrap().to_string();
                    let c = owned(chamber(&format!("随机商会{step}"), &division));
                    let c = parse_org(&c, &d, day(2025, 6, 1)).unwrap();
                    chambers.push(
                        registry::create(db, &all, Some(parent), &c, &a)
                            .await
                            .unwrap()
                            .id,
                    );
                }
                2 if !chambers.is_empty() => {
                    // Moving a federation (with its chambers) or a chamber; refusals are fine.
                    let node = if next(4) == 0 {
                        feds[1 + next(3) as usize]
                    } else {
                        chambers[next(chambers.len() as u64) as usize]
                    };
                    let target = if next(2) == 0 {
                        tr.fuzhou
                    } else {
                        feds[next(feds.len() as u64) as usize]
                    };
                    moved += registry::move_to(db, &all, node, target, day(2025, 6, 1), &a)
                        .await
                        .is_ok() as usize;
                }
                _ if !chambers.is_empty() => {
                    let c = chambers[next(chambers.len() as u64) as usize];
                    dissolved += registry::dissolve(db, &all, c, day(2025, 6, 1), &a)
                        .await
                        .is_ok() as usize;
                }
                _ => {}
            }
        }
        assert!(
            moved >= 3 && dissolved >= 3,
            "the sequence must exercise moves ({moved}) and dissolutions ({dissolved})"
        );
        assert_eq!(
            orgs::verify_counts(db, false).await.unwrap(),
            Vec::<i64>::new(),
            "maintained counts drifted"
        );
        let root = orgs::require(db, &all, tr.national).await.unwrap();
        let below = orgs::counts_below(db, &root).await.unwrap();
        let active_chambers = orgs::list(
            db,
            &all,
            &orgs::Filter {
                kind: Some(shanghui_core::OrgKind::Chamber),
                status: Some(OrgStatus::Active),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .len() as i64;
        assert_eq!(below.chambers, active_chambers);
    }
}
