//! The statistics page end to end, on every backend: procedures on the submitted reports of a
//! node with known answers (frequencies, descriptives, crosstabs with chi-square, means), the
//! filters (category, level, region, conclusion), charts, clear messages for incomplete
//! requests, the workbook, the English terms, the scope, and a change seen at once.

use calamine::{Data, Reader};
use reqwest::StatusCode;
use shanghui_core::review::Conclusion;
use shanghui_core::{DivisionIndex, Field, Scope};
use shanghui_store::{Actor, registry, review};

use crate::support::*;

pub(crate) async fn add_chamber(
    s: &Server,
    parent: i64,
    name: &str,
    category: &str,
    division: &str,
) -> i64 {
    let d = DivisionIndex::shipped();
    let dr = draft(
        &d,
        &[
            (Field::Kind, "商会"),
            (Field::Name, name),
            (Field::Category, category),
            (Field::DivisionCode, division),
        ],
    );
    registry::create(
        &s.db,
        &Scope::all(),
        Some(parent),
        &dr,
        &Actor::system("seed"),
    )
    .await
    .expect("chamber")
    .id
}

/// The cell of a table (by its caption) in the row whose first cells include `row` and the
/// column headed `col`.
fn cell(p: &Page, caption: &str, row: &str, col: &str) -> String {
    let doc = scraper::Html::parse_document(&p.body);
    for t in doc.select(&sel("#results table.stat")) {
        let cap = t
            .select(&sel("caption"))
            .next()
            .map(text_of)
            .unwrap_or_default();
        if cap != caption {
            continue;
        }
        let heads: Vec<String> = t.select(&sel("thead th")).map(text_of).collect();
        let Some(c) = heads.iter().position(|h| h == col) else {
            panic!("no column {col} in {caption}: {heads:?}");
        };
        for r in t.select(&sel("tbody tr")) {
            let cells: Vec<String> = r.select(&sel("td")).map(text_of).collect();
            if cells.iter().take(c).any(|x| x == row) {
                return cells[c].clone();
            }
        }
        panic!("no row {row} in {caption}");
    }
    panic!("no table {caption} in {}", p.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn procedures_filters_charts_and_the_workbook() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let t = w.t;
        // 鼓楼区 (county): 鼓楼区餐饮商会 and two more industry chambers; 福州 (city): a
        // hometown chamber in 台江区 directly below the city federation.
        let gl2 = add_chamber(&s, t.gulou, "鼓楼区茶业商会", "行业", "350102").await;
        let gl3 = add_chamber(&s, t.gulou, "鼓楼区电子商会", "行业", "350102").await;
        let fz1 = add_chamber(&s, t.fuzhou, "福州市温州商会", "异地", "350103").await;
        let c = seed_campaigns(&s.db, &w).await;
        submit_in_store(&s.db, c.fuzhou, t.chamber, &[("general_assembly", "0")]).await;
        submit_in_store(&s.db, c.fuzhou, gl2, &[("general_assembly", "2")]).await;
        submit_in_store(&s.db, c.fuzhou, gl3, &[("general_assembly", "3")]).await;
        submit_in_store(
            &s.db,
            c.fuzhou,
            fz1,
            &[("general_assembly", "0"), ("finance_rules", "否")],
        )
        .await;
        let a = Actor::system("test");
        review::conclude(
            &s.db,
            &Scope::all(),
            c.fuzhou,
            t.chamber,
            Conclusion::Qualified,
            None,
            &a,
        )
        .await
        .unwrap();

        let staff = signed_in(&s, "fz_staff").await;
        let dash = get(&staff, &s.url(&format!("/campaigns/{}", c.fuzhou))).await;
        let base = s.url(&dash.attr("#stats-link", "href"));
        let empty = get(&staff, &base).await;
        assert_eq!(empty.status, StatusCode::OK, "{n}: {}", empty.body);
        assert_eq!(empty.text("#node-name"), "福州市工商联", "{n}");
        assert!(!empty.has("#results table"), "{n}: nothing asked yet");
        // Registry fields are variables too.
        let offered = empty.texts("#f-vars option");
        assert!(offered.iter().any(|o| o.starts_with("org_category")), "{n}");
        assert!(
            offered.iter().any(|o| o.starts_with("general_assembly")),
            "{n}"
        );

        // FREQUENCIES and their chart: 0 twice, 2 and 3 once.
        let url = |q: &str| format!("{base}&{q}");
        let p = get(&staff, &url("proc=frequencies&v=general_assembly")).await;
        assert_eq!(p.status, StatusCode::OK, "{n}");
        assert_eq!(p.text("#cases"), "参与计算的已报送年报：4 份", "{n}");
        let title = "年度召开会员（代表）大会次数";
        assert_eq!(cell(&p, title, "0", "频率"), "2", "{n}");
        assert_eq!(cell(&p, title, "0", "有效百分比"), "50.0", "{n}");
        assert_eq!(cell(&p, title, "3", "累积百分比"), "100.0", "{n}");
        assert!(p.has("#chart-freq-1 rect"), "{n}: a bar chart");
        assert_eq!(p.texts("#chart-freq-1 g.bar").len(), 3, "{n}");

        // DESCRIPTIVES: mean 1.25, standard deviation 1.5 (by hand).
        let p = get(&staff, &url("proc=descriptives&v=general_assembly")).await;
        assert_eq!(cell(&p, "描述统计", title, "平均值"), "1.25", "{n}");
        assert_eq!(cell(&p, "描述统计", title, "标准偏差"), "1.500", "{n}");

        // CROSSTABS with chi-square and the stacked chart: 行业 3 with finance rules, 异地 1
        // without.
        let p = get(
            &staff,
            &url("proc=crosstabs&row=org_category&col=finance_rules"),
        )
        .await;
        assert_eq!(p.status, StatusCode::OK, "{n}");
        let captions = p.texts("#results caption");
        assert!(
            captions.iter().any(|c| c.ends_with("交叉表")),
            "{n}: {captions:?}"
        );
        assert!(
            captions.contains(&"卡方检验".to_string()),
            "{n}: {captions:?}"
        );
        assert_eq!(cell(&p, "卡方检验", "皮尔逊卡方", "值"), "4.000", "{n}");
        assert!(p.has("#chart-crosstab-1 rect.seg"), "{n}: stacked bars");

        // MEANS by a grouping variable, with its chart.
        let p = get(
            &staff,
            &url("proc=means&v=general_assembly&by=org_category"),
        )
        .await;
        assert!(p.has("#chart-means-1"), "{n}: {}", p.body);

        // The other procedures, each with its SPSS tables in Chinese.
        for (q, caption) in [
            (
                "proc=correlations&v=general_assembly&v=council_meetings&method=spearman",
                "相关性（斯皮尔曼 Rho）",
            ),
            (
                "proc=ttest&v=general_assembly&by=org_category&g1=1&g2=2",
                "独立样本检验",
            ),
            (
                "proc=ttest&v=general_assembly&testval=1",
                "单样本检验（检验值 = 1）",
            ),
            (
                "proc=paired&v=general_assembly&v=council_meetings",
                "配对样本检验",
            ),
            ("proc=oneway&v=general_assembly&by=org_category", "方差分析"),
            (
                "proc=reliability&v=general_assembly&v=council_meetings&v=political_study",
                "可靠性统计",
            ),
        ] {
            let p = get(&staff, &url(q)).await;
            assert_eq!(p.status, StatusCode::OK, "{n}: {q}");
            assert!(
                !p.has("#stats-error"),
                "{n}: {q}: {}",
                p.text("#stats-error")
            );
            let captions = p.texts("#results caption");
            assert!(
                captions.iter().any(|c| c == caption),
                "{n}: {q}: {captions:?}"
            );
        }
        // A group value that is not a number, for a numeric grouping variable.
        let p = get(
            &staff,
            &url("proc=ttest&v=general_assembly&by=org_category&g1=一&g2=2"),
        )
        .await;
        assert_eq!(p.text("#stats-error"), "“一”不是数字。", "{n}");

        // Filters: level (county federation's chambers), region (台江区), conclusion, category.
        let count = |p: &Page| p.text("#cases");
        for (q, cases) in [
            ("level=county", 3),
            ("level=city", 1),
            ("region=350103", 1),
            ("conclusion=qualified", 1),
            ("category=hometown", 1),
        ] {
            let p = get(&staff, &url(&format!("proc=frequencies&v=party_org&{q}"))).await;
            assert_eq!(p.status, StatusCode::OK, "{n}: {q}");
            // The workbook asks for the same cases.
            let (k, v) = q.split_once('=').unwrap();
            assert!(
                p.attr("#export-link", "href").contains(&format!("{k}={v}")),
                "{n}: {q}"
            );
            assert_eq!(
                count(&p),
                format!("参与计算的已报送年报：{cases} 份"),
                "{n}: {q}"
            );
        }
        // A conclusion recorded now is counted at once (the kept data set follows the campaign).
        review::conclude(
            &s.db,
            &Scope::all(),
            c.fuzhou,
            gl2,
            Conclusion::Qualified,
            None,
            &a,
        )
        .await
        .unwrap();
        let p = get(
            &staff,
            &url("proc=frequencies&v=party_org&conclusion=qualified"),
        )
        .await;
        assert_eq!(count(&p), "参与计算的已报送年报：2 份", "{n}");

        // Incomplete or impossible requests: a message, in Chinese, naming what is missing.
        let p = get(&staff, &url("proc=crosstabs&row=org_category")).await;
        assert_eq!(p.status, StatusCode::OK, "{n}");
        assert_eq!(p.text("#stats-error"), "交叉表需要行变量和列变量。", "{n}");
        let p = get(&staff, &url("proc=descriptives&v=org_name")).await;
        assert!(p.text("#stats-error").contains("org_name"), "{n}");
        let p = get(&staff, &url("proc=frequencies&v=party_org&level=galaxy")).await;
        assert!(p.text("#stats-error").contains("galaxy"), "{n}");

        // The workbook: the same tables, numbers as numbers.
        let p = get(&staff, &url("proc=frequencies&v=general_assembly")).await;
        let href = s.url(&p.attr("#export-link", "href"));
        let resp = staff.get(&href).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{n}");
        let bytes = resp.bytes().await.unwrap().to_vec();
        let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let sheet = wb.worksheet_range("统计结果").expect("results sheet");
        let rows: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
        assert_eq!(rows[0][0], Data::String("统计".into()), "{n}");
        let title_row = rows
            .iter()
            .position(|r| r.first() == Some(&Data::String(title.into())))
            .expect("frequency table");
        let zero = rows[title_row + 2..]
            .iter()
            .find(|r| r.contains(&Data::Float(0.0)))
            .expect("the row of 0");
        assert!(zero.contains(&Data::Float(2.0)), "{n}: {zero:?}");

        // The selected cases as an SPSS data file: labels and values as on the page.
        let p = get(&staff, &url("level=county")).await;
        let resp = staff
            .get(s.url(&p.attr("#sav-link", "href")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{n}");
        let bytes = resp.bytes().await.unwrap().to_vec();
        let ds = shanghui_files::read_sav(&bytes, "x.sav").expect("a system file");
        assert_eq!(ds.cases(), 3, "{n}: the county federation's chambers");
        let (v, _) = ds.var("general_assembly").unwrap();
        assert_eq!(v.label.as_deref(), Some(title), "{n}");
        let (v, _) = ds.var("party_org").unwrap();
        assert_eq!(
            v.value_label(&shanghui_stats::Value::Num(1.0)),
            Some("是"),
            "{n}"
        );

        // English: SPSS's own terms.
        get(&staff, &s.url("/lang/en")).await;
        let p = get(&staff, &url("proc=frequencies&v=general_assembly")).await;
        assert!(
            p.texts("#results th")
                .contains(&"Valid Percent".to_string()),
            "{n}"
        );
        get(&staff, &s.url("/lang/zh-CN")).await;

        // Scope: staff of 鼓楼区 see its three chambers only, and not 福州's node.
        let gl = signed_in(&s, "gl_staff").await;
        let p = get(
            &gl,
            &s.url(&format!(
                "/campaigns/{}/stats?proc=frequencies&v=party_org",
                c.fuzhou
            )),
        )
        .await;
        assert_eq!(p.status, StatusCode::OK, "{n}: {}", p.body);
        assert_eq!(count(&p), "参与计算的已报送年报：3 份", "{n}");
        let p = get(
            &gl,
            &s.url(&format!(
                "/campaigns/{}/stats?node={}&proc=frequencies&v=party_org",
                c.fuzhou, t.fuzhou
            )),
        )
        .await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{n}");
    }
}
