//! SPSS system files end to end: write → read round trips (compressed, uncompressed,
//! big-endian), files written here read by PSPP 1.6.2, files written by PSPP read here, the
//! syntax file applied by PSPP, damaged files, and `read_dataset` on csv, xlsx and sav.
//!
//! PSPP is mandatory under `CI=true`; elsewhere its comparisons are skipped with a NOTE.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use shanghui_core::Lang;
use shanghui_files::{
    DatasetLimits, Located, MAX_FILE_BYTES, SavError, SavOptions, is_valid_name, read_csv_dataset,
    read_csv_dataset_large, read_dataset, read_sav, spss_names, write_sav, write_sav_with,
    write_sps,
};
use shanghui_stats::{Column, Dataset, Measure, MissingSpec, Value, VarKind, Variable};

// ---------------------------------------------------------------------------------------------
// Helpers

static N: AtomicU64 = AtomicU64::new(0);

/// A scratch folder removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let p = std::env::temp_dir().join(format!(
            "shanghui_sav_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn have_pspp() -> bool {
    let ok = Command::new("pspp")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("pspp is not available under CI: the PSPP comparisons are mandatory there");
        }
        eprintln!("NOTE: pspp is not available: the .sav comparisons with PSPP are NOT run");
    }
    ok
}

/// Runs PSPP on `syntax` in `dir` and returns its output as CSV rows.
fn pspp(s: &Scratch, syntax: &str) -> Vec<Vec<String>> {
    let sps = s.file("job.sps");
    std::fs::write(&sps, syntax).unwrap();
    let out = s.file("out.csv");
    let o = Command::new("pspp")
        .current_dir(&s.0)
        .env("LC_ALL", "C.UTF-8")
        .arg("-O")
        .arg("format=csv")
        .arg("-o")
        .arg(&out)
        .arg(&sps)
        .output()
        .expect("run pspp");
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(
        o.status.success() && !text.contains("error:") && !text.contains("warning:"),
        "pspp failed or complained:\n{}\n{}\n{text}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .filter(|r: &Vec<String>| !(r.len() == 1 && r[0].is_empty()))
        .collect()
}

/// The rows of the PSPP table titled `title`, header row first.
fn table(rows: &[Vec<String>], title: &str) -> Vec<Vec<String>> {
    let start = rows
        .iter()
        .position(|r| r.len() == 1 && r[0] == format!("Table: {title}"))
        .unwrap_or_else(|| panic!("no table {title} in {rows:?}"));
    rows[start + 1..]
        .iter()
        .take_while(|r| !(r.len() == 1 && r[0].starts_with("Table: ")))
        .filter(|r| !(r.len() == 1 && r[0].starts_with("Footnote")))
        .cloned()
        .collect()
}

fn show(problems: &[Located]) -> String {
    problems
        .iter()
        .map(|p| p.render(Lang::En))
        .collect::<Vec<_>>()
        .join("\n")
}

fn keys(problems: &[Located]) -> Vec<&'static str> {
    problems
        .iter()
        .map(
            |p| match p.msg.params.iter().find(|(k, _)| *k == "problem") {
                Some((_, shanghui_core::i18n::Param::Msg(m))) => m.key,
                _ => p.msg.key,
            },
        )
        .collect()
}

/// Data sets are equal, `NaN` equal to `NaN`.
fn assert_same(got: &Dataset, want: &Dataset) {
    assert_eq!(got.variables, want.variables);
    assert_eq!(got.columns.len(), want.columns.len());
    for (i, (g, w)) in got.columns.iter().zip(&want.columns).enumerate() {
        let name = &want.variables[i].name;
        match (g, w) {
            (Column::Num(g), Column::Num(w)) => {
                assert_eq!(g.len(), w.len(), "{name}");
                for (r, (a, b)) in g.iter().zip(w).enumerate() {
                    assert!(
                        a == b || (a.is_nan() && b.is_nan()),
                        "{name} case {}: {a} != {b}",
                        r + 1
                    );
                }
            }
            (Column::Str(g), Column::Str(w)) => assert_eq!(g, w, "{name}"),
            _ => panic!("{name}: column types differ"),
        }
    }
}

fn num(x: f64) -> Value {
    Value::Num(x)
}

fn text(s: &str) -> Value {
    Value::Str(s.to_string())
}

fn labels(pairs: &[(Value, &str)]) -> Vec<(Value, String)> {
    pairs
        .iter()
        .map(|(v, l)| (v.clone(), l.to_string()))
        .collect()
}

const NAN: f64 = f64::NAN;

/// A data set with everything a system file holds: Chinese labels, numeric and string value
/// labels, discrete and range missing values, a long and a very long string with Chinese text,
/// system-missing cells.
fn sample() -> Dataset {
    let long = "长文本，".repeat(50) + "end";
    let mut ds = Dataset::default();

    let mut id = Variable::numeric("id");
    id.label = Some("编号".into());
    id.decimals = 0;
    id.measure = Measure::Ordinal;
    ds.push(id, Column::Num(vec![1.0, 2.0, 3.0, 4.0, 5.0]));

    let mut income = Variable::numeric("收入");
    income.label = Some("年收入（万元）".into());
    income.missing = MissingSpec::RangeAndValue {
        lo: f64::NEG_INFINITY,
        hi: -1.0,
        value: 999.0,
    };
    ds.push(income, Column::Num(vec![1234.5, -3.0, NAN, 999.0, 0.125]));

    let mut kind = Variable::numeric("kind");
    kind.label = Some("单位类型".into());
    kind.decimals = 0;
    kind.measure = Measure::Nominal;
    kind.value_labels = labels(&[(num(1.0), "商会"), (num(2.0), "工商联"), (num(9.0), "不详")]);
    kind.missing = MissingSpec::Values(vec![num(9.0)]);
    ds.push(kind, Column::Num(vec![1.0, 2.0, 9.0, 1.0, NAN]));

    let mut score = Variable::numeric("score");
    score.decimals = 1;
    score.measure = Measure::Ordinal;
    score.value_labels = labels(&[(num(100.0), "满分"), (num(-0.5), "扣分")]);
    score.missing = MissingSpec::Range {
        lo: 90.5,
        hi: f64::INFINITY,
    };
    ds.push(score, Column::Num(vec![88.5, 100.0, -0.5, 1e12, 151.0]));

    let mut name = Variable::string("name", 6);
    name.label = Some("名称".into());
    name.value_labels = labels(&[(text("ab"), "甲"), (text("cd"), "乙")]);
    name.missing = MissingSpec::Values(vec![text("ef"), text("鼓楼")]);
    ds.push(
        name,
        Column::Str(vec![
            "ab".into(),
            "cd".into(),
            "ef".into(),
            "".into(),
            "鼓楼".into(),
        ]),
    );

    let mut remark = Variable::string("remark", 40);
    remark.label = Some("备注说明".into());
    remark.value_labels = labels(&[(text("hello world"), "你好世界"), (text("it's"), "引号")]);
    remark.missing = MissingSpec::Values(vec![text("zz"), text("无")]);
    ds.push(
        remark,
        Column::Str(vec![
            "hello world".into(),
            "你好".into(),
            "".into(),
            "zz".into(),
            "it's".into(),
        ]),
    );

    let mut longtext = Variable::string("longtext", long.len());
    longtext.label = Some("很长的文本".into());
    longtext.value_labels = labels(&[(text("abc"), "短的")]);
    longtext.missing = MissingSpec::Values(vec![text("无")]);
    ds.push(
        longtext,
        Column::Str(vec![
            long.clone(),
            "".into(),
            "abc".into(),
            "中".repeat(20),
            long,
        ]),
    );
    ds
}

fn write_file(s: &Scratch, name: &str, bytes: &[u8]) -> PathBuf {
    let p = s.file(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

// ---------------------------------------------------------------------------------------------
// Round trips

#[test]
fn round_trip_compressed_uncompressed_and_big_endian() {
    let ds = sample();
    for options in [
        SavOptions::default(),
        SavOptions {
            compressed: false,
            big_endian: false,
        },
        SavOptions {
            compressed: true,
            big_endian: true,
        },
        SavOptions {
            compressed: false,
            big_endian: true,
        },
    ] {
        let bytes = write_sav_with(&ds, options).unwrap();
        assert!(bytes.starts_with(b"$FL2@(#) SPSS DATA FILE"));
        let back = read_sav(&bytes, "样本.sav").unwrap_or_else(|p| panic!("{}", show(&p)));
        assert_same(&back, &ds);
        // Writers that cannot seek back leave the number of cases unknown (-1).
        let mut unknown = bytes.clone();
        let minus_one = if options.big_endian {
            (-1i32).to_be_bytes()
        } else {
            (-1i32).to_le_bytes()
        };
        unknown[80..84].copy_from_slice(&minus_one);
        assert_same(&read_sav(&unknown, "样本.sav").unwrap(), &ds);
    }
    assert_eq!(write_sav(&ds).unwrap().len(), {
        // The default is compressed: smaller than the uncompressed file.
        let plain = write_sav_with(
            &ds,
            SavOptions {
                compressed: false,
                big_endian: false,
            },
        )
        .unwrap();
        assert!(write_sav(&ds).unwrap().len() < plain.len());
        write_sav(&ds).unwrap().len()
    });
}

#[test]
fn many_cases_round_trip() {
    let n = 5000;
    let mut ds = Dataset::default();
    let xs: Vec<f64> = (0..n)
        .map(|i| match i % 7 {
            0 => NAN,
            1 => i as f64,
            2 => -(i as f64) / 8.0,
            _ => (i % 250) as f64 - 99.0,
        })
        .collect();
    ds.push(Variable::numeric("x"), Column::Num(xs));
    let ss: Vec<String> = (0..n)
        .map(|i| match i % 3 {
            0 => String::new(),
            1 => format!("第{i}号"),
            _ => "x".repeat(i % 17),
        })
        .collect();
    ds.push(Variable::string("s", 16), Column::Str(ss));
    for compressed in [true, false] {
        let bytes = write_sav_with(
            &ds,
            SavOptions {
                compressed,
                big_endian: false,
            },
        )
        .unwrap();
        assert_same(&read_sav(&bytes, "n.sav").unwrap(), &ds);
    }
}

#[test]
fn names_widths_and_labels_are_made_fit_for_spss() {
    let mut ds = Dataset::default();
    let mut a = Variable::numeric("会员总数（人）");
    a.label = Some("长".repeat(100));
    a.value_labels = labels(&[(num(1.0), &"标".repeat(50))]);
    ds.push(a, Column::Num(vec![1.0]));
    ds.push(Variable::numeric("2024年"), Column::Num(vec![2.0]));
    // Declared 2 bytes wide, holds 9.
    ds.push(
        Variable::string("a b", 2),
        Column::Str(vec!["鼓楼区".into()]),
    );
    ds.push(Variable::numeric("A_B"), Column::Num(vec![f64::INFINITY]));
    let mut scale_text = Variable::string("t", 3);
    scale_text.measure = Measure::Scale;
    ds.push(scale_text, Column::Str(vec!["x".into()]));
    let back = read_sav(&write_sav(&ds).unwrap(), "x.sav").unwrap();
    let names: Vec<&str> = back.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, vec!["会员总数_人", "V2024年", "a_b", "A_B_2", "t"]);
    assert!(names.iter().all(|n| is_valid_name(n)));
    assert_eq!(
        back.variables[0].label.as_deref(),
        Some("长".repeat(85).as_str())
    );
    assert_eq!(back.variables[0].value_labels[0].1, "标".repeat(40));
    assert_eq!(back.variables[2].kind, VarKind::String { width: 9 });
    assert_eq!(back.columns[2], Column::Str(vec!["鼓楼区".into()]));
    assert!(matches!(&back.columns[3], Column::Num(x) if x[0].is_nan()));
    assert_eq!(back.variables[4].measure, Measure::Nominal);
    assert_eq!(
        spss_names(["x", "X", "会员总数（人）"]),
        vec!["x", "X_2", "会员总数_人"]
    );
}

#[test]
fn what_spss_cannot_hold_is_refused() {
    let one = |var: Variable, col: Column| {
        let mut ds = Dataset::default();
        ds.push(var, col);
        write_sav(&ds).unwrap_err()
    };
    let mut v = Variable::numeric("x");
    v.missing = MissingSpec::Values(vec![num(1.0), num(2.0), num(3.0), num(4.0)]);
    assert_eq!(
        one(v, Column::Num(vec![1.0])),
        SavError::Missing {
            variable: "x".into()
        }
    );
    let mut v = Variable::string("s", 20);
    v.missing = MissingSpec::Values(vec![text("九个字节的字")]);
    let e = one(v, Column::Str(vec!["a".into()]));
    assert!(matches!(e, SavError::StringMissingTooLong { .. }), "{e:?}");
    assert!(e.msg().render(Lang::ZhCn).contains("九个字节的字"));
    let mut v = Variable::string("s", 20);
    v.missing = MissingSpec::Range { lo: 1.0, hi: 2.0 };
    assert!(matches!(
        one(v, Column::Str(vec!["a".into()])),
        SavError::Missing { .. }
    ));
    let mut v = Variable::numeric("x");
    v.value_labels = labels(&[(text("a"), "A")]);
    assert!(matches!(
        one(v, Column::Num(vec![1.0])),
        SavError::ValueType { .. }
    ));
    assert!(matches!(
        one(Variable::numeric("x"), Column::Str(vec![])),
        SavError::ColumnType { .. }
    ));
    let mut ds = Dataset::default();
    ds.push(Variable::numeric("x"), Column::Num(vec![1.0]));
    ds.push(Variable::numeric("y"), Column::Num(vec![]));
    assert_eq!(write_sav(&ds).unwrap_err(), SavError::Shape);
    for e in [SavError::Shape, SavError::TooLarge] {
        for lang in Lang::ALL {
            assert!(!e.msg().render(lang).contains("files.sav"));
        }
    }
}

#[test]
fn an_empty_data_set_round_trips() {
    let ds = Dataset::default();
    let back = read_sav(&write_sav(&ds).unwrap(), "empty.sav").unwrap();
    assert!(back.variables.is_empty());
    let mut ds = Dataset::default();
    ds.push(Variable::numeric("x"), Column::Num(vec![]));
    assert_same(
        &read_sav(&write_sav(&ds).unwrap(), "none.sav").unwrap(),
        &ds,
    );
}

// ---------------------------------------------------------------------------------------------
// PSPP reads what is written here

/// The Variables table of DISPLAY DICTIONARY by name: label, measure, print format, missing.
fn dictionary(rows: &[Vec<String>]) -> BTreeMap<String, [String; 4]> {
    let t = table(rows, "Variables");
    let col = |name: &str| t[0].iter().position(|h| h == name).unwrap();
    let (l, m, f, mv) = (
        col("Label"),
        col("Measurement Level"),
        col("Print Format"),
        col("Missing Values"),
    );
    t[1..]
        .iter()
        .map(|r| {
            (
                r[0].clone(),
                [r[l].clone(), r[m].clone(), r[f].clone(), r[mv].clone()],
            )
        })
        .collect()
}

/// The Value Labels table as (variable, value, label), the variable carried down.
fn value_label_rows(rows: &[Vec<String>]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut var = String::new();
    for r in &table(rows, "Value Labels")[1..] {
        if !r[0].is_empty() {
            var = r[0].clone();
        }
        out.push((var.clone(), r[1].clone(), r[2].clone()));
    }
    out
}

#[test]
fn pspp_reads_what_is_written_here() {
    if !have_pspp() {
        return;
    }
    let ds = sample();
    for (file, options) in [
        ("c.sav", SavOptions::default()),
        (
            "u.sav",
            SavOptions {
                compressed: false,
                big_endian: false,
            },
        ),
        (
            "b.sav",
            SavOptions {
                compressed: true,
                big_endian: true,
            },
        ),
    ] {
        let s = Scratch::new();
        write_file(&s, file, &write_sav_with(&ds, options).unwrap());
        let rows = pspp(
            &s,
            &format!("GET FILE='{file}'.\nDISPLAY DICTIONARY.\nLIST.\n"),
        );
        let dict = dictionary(&rows);
        let want = |l: &str, m: &str, f: &str, mv: &str| {
            [l.to_string(), m.to_string(), f.to_string(), mv.to_string()]
        };
        assert_eq!(dict["id"], want("编号", "Ordinal", "F8.0", ""));
        assert_eq!(
            dict["收入"],
            want("年收入（万元）", "Scale", "F8.2", "LOWEST THRU -1; 999")
        );
        assert_eq!(dict["kind"], want("单位类型", "Nominal", "F8.0", "9"));
        assert_eq!(
            dict["score"],
            want("", "Ordinal", "F16.1", "90.5 THRU HIGHEST")
        );
        assert_eq!(
            dict["name"],
            want("名称", "Nominal", "A6", "\"ef    \"; \"鼓楼\"")
        );
        assert_eq!(
            dict["remark"],
            want("备注说明", "Nominal", "A40", "\"zz      \"; \"无     \"")
        );
        let longtext = &dict["longtext"];
        assert_eq!(longtext[0], "很长的文本");
        assert_eq!(longtext[2], format!("A{}", "长文本，".repeat(50).len() + 3));
        assert_eq!(longtext[3], "\"无     \"");

        let vl = value_label_rows(&rows);
        let has = |var: &str, value: &str, label: &str| {
            assert!(
                vl.contains(&(var.to_string(), value.to_string(), label.to_string())),
                "{var} {value} {label} not in {vl:?}"
            );
        };
        has("单位类型", "1", "商会");
        has("单位类型", "2", "工商联");
        has("单位类型", "9[a]", "不详"); // [a]: user-missing
        has("score", "100.0[a]", "满分");
        has("score", "-.5", "扣分");
        has("名称", "ab", "甲");
        has("备注说明", "hello world", "你好世界");
        has("备注说明", "it's", "引号");
        has("很长的文本", "abc", "短的");

        let data = table(&rows, "Data List");
        let header: Vec<&str> = data[0].iter().map(String::as_str).collect();
        assert_eq!(
            header,
            vec!["id", "收入", "kind", "score", "name", "remark", "longtext"]
        );
        let cell = |r: usize, c: usize| data[r][c].trim().to_string();
        assert_eq!(cell(1, 1), "1234.50");
        assert_eq!(cell(2, 1), "-3.00");
        assert_eq!(cell(3, 1), ".");
        assert_eq!(cell(5, 1), ".13");
        assert_eq!(cell(5, 2), ".");
        assert_eq!(cell(4, 3), "1000000000000.0");
        assert_eq!(cell(5, 4), "鼓楼");
        assert_eq!(cell(5, 5), "it's");
        assert_eq!(cell(1, 6), "长文本，".repeat(50) + "end");
        assert_eq!(cell(4, 6), "中".repeat(20));
    }
}

// ---------------------------------------------------------------------------------------------
// What PSPP writes is read here

const PSPP_DATA: &str = r#"SET LOCALE='UTF-8'.
DATA LIST LIST /id (F4.0) 收入 (F8.2) name (A5) remark (A20) longtext (A300) grp (F2.0).
BEGIN DATA.
1 1234.5 ab "hello world" "长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长" 1
2 -3 cd "你好" "中文的文本" 2
3 . ef "" "" 9
4 0.001 "" "zz" "x" .
END DATA.
VARIABLE LABELS id '编号' 收入 '年收入（万元）' name '名字' remark '备注说明' longtext '很长的文本'.
VALUE LABELS grp 1 '商会' 2 '工商联' 9 '不详' /name 'ab' '甲' 'cd' '乙' /remark 'hello world' '你好世界'.
MISSING VALUES grp (9) 收入 (LO THRU -1, 999) name ('ef').
MISSING VALUES remark ('zz').
VARIABLE LEVEL grp name remark longtext (NOMINAL) id (ORDINAL) 收入 (SCALE).
"#;

fn pspp_expected() -> Dataset {
    let mut ds = Dataset::default();
    let mut id = Variable::numeric("id");
    id.label = Some("编号".into());
    id.decimals = 0;
    id.measure = Measure::Ordinal;
    ds.push(id, Column::Num(vec![1.0, 2.0, 3.0, 4.0]));
    let mut income = Variable::numeric("收入");
    income.label = Some("年收入（万元）".into());
    income.missing = MissingSpec::RangeAndValue {
        lo: f64::NEG_INFINITY,
        hi: -1.0,
        value: 999.0,
    };
    ds.push(income, Column::Num(vec![1234.5, -3.0, NAN, 0.001]));
    let mut name = Variable::string("name", 5);
    name.label = Some("名字".into());
    name.value_labels = labels(&[(text("ab"), "甲"), (text("cd"), "乙")]);
    name.missing = MissingSpec::Values(vec![text("ef")]);
    ds.push(
        name,
        Column::Str(vec!["ab".into(), "cd".into(), "ef".into(), "".into()]),
    );
    let mut remark = Variable::string("remark", 20);
    remark.label = Some("备注说明".into());
    remark.value_labels = labels(&[(text("hello world"), "你好世界")]);
    remark.missing = MissingSpec::Values(vec![text("zz")]);
    ds.push(
        remark,
        Column::Str(vec![
            "hello world".into(),
            "你好".into(),
            "".into(),
            "zz".into(),
        ]),
    );
    let mut longtext = Variable::string("longtext", 300);
    longtext.label = Some("很长的文本".into());
    ds.push(
        longtext,
        Column::Str(vec![
            "长".repeat(100),
            "中文的文本".into(),
            "".into(),
            "x".into(),
        ]),
    );
    let mut grp = Variable::numeric("grp");
    grp.decimals = 0;
    grp.measure = Measure::Nominal;
    grp.value_labels = labels(&[(num(1.0), "商会"), (num(2.0), "工商联"), (num(9.0), "不详")]);
    grp.missing = MissingSpec::Values(vec![num(9.0)]);
    ds.push(grp, Column::Num(vec![1.0, 2.0, 9.0, NAN]));
    ds
}

#[test]
fn what_pspp_writes_is_read_here() {
    if !have_pspp() {
        return;
    }
    let s = Scratch::new();
    pspp(
        &s,
        &format!(
            "{PSPP_DATA}SAVE OUTFILE='c.sav'.\nSAVE OUTFILE='u.sav' /UNCOMPRESSED.\n\
             SAVE OUTFILE='z.sav' /ZCOMPRESSED.\n"
        ),
    );
    let want = pspp_expected();
    for file in ["c.sav", "u.sav"] {
        let bytes = std::fs::read(s.file(file)).unwrap();
        let got = read_sav(&bytes, file).unwrap_or_else(|p| panic!("{}", show(&p)));
        // PSPP widens the F8.2 it reads with to F9.2; the decimals are what matter.
        assert_same(&got, &want);
    }
    let z = std::fs::read(s.file("z.sav")).unwrap();
    let problems = read_sav(&z, "z.sav").unwrap_err();
    assert_eq!(keys(&problems), vec!["files.sav.zlib"]);
    assert!(problems[0].render(Lang::ZhCn).contains("z.sav"));
}

#[test]
fn many_cases_written_by_pspp_read_the_same_compressed_or_not() {
    if !have_pspp() {
        return;
    }
    let s = Scratch::new();
    pspp(
        &s,
        "SET LOCALE='UTF-8'.\n\
         INPUT PROGRAM.\n\
         LOOP #i = 1 TO 3000.\n\
         COMPUTE i = #i.\n\
         COMPUTE x = MOD(#i * 37, 300) - 120.\n\
         IF MOD(#i, 11) = 0 x = $SYSMIS.\n\
         COMPUTE y = #i / 7.\n\
         STRING s (A12).\n\
         COMPUTE s = CONCAT('第', STRING(#i, F4.0), '行').\n\
         IF MOD(#i, 5) = 0 s = ''.\n\
         END CASE.\n\
         END LOOP.\n\
         END FILE.\n\
         END INPUT PROGRAM.\n\
         SAVE OUTFILE='c.sav'.\n\
         SAVE OUTFILE='u.sav' /UNCOMPRESSED.\n",
    );
    let c = read_sav(&std::fs::read(s.file("c.sav")).unwrap(), "c.sav").unwrap();
    let u = read_sav(&std::fs::read(s.file("u.sav")).unwrap(), "u.sav").unwrap();
    assert_same(&c, &u);
    assert_eq!(c.cases(), 3000);
    let Column::Num(x) = &c.columns[1] else {
        panic!()
    };
    assert_eq!(x[0], 37.0 - 120.0);
    assert!(x[10].is_nan());
    let Column::Num(y) = &c.columns[2] else {
        panic!()
    };
    assert_eq!(y[2], 3.0 / 7.0);
    let Column::Str(strings) = &c.columns[3] else {
        panic!()
    };
    assert_eq!(strings[0], "第   1行");
    assert_eq!(strings[4], "");
}

/// Where `needle` is in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{needle:?} not found"))
}

fn ints(xs: &[i32]) -> Vec<u8> {
    xs.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[test]
fn gbk_files_as_chinese_spss_writes_them_are_read() {
    if !have_pspp() {
        return;
    }
    let s = Scratch::new();
    pspp(
        &s,
        "SET LOCALE='GBK'.\n\
         DATA LIST LIST /id (F4.0) name (A12).\n\
         BEGIN DATA.\n1 \"鼓楼区\"\n2 \"台江\"\nEND DATA.\n\
         VARIABLE LABELS id '编号' name '名称'.\n\
         VALUE LABELS id 1 '商会' /name 'tj' '台江区'.\n\
         SAVE OUTFILE='gbk.sav'.\n",
    );
    // (A string value in VALUE LABELS is the one thing PSPP 1.6.2 leaves in UTF-8 in such a
    // file, and shows garbled itself: hence an ASCII one here.)
    let bytes = std::fs::read(s.file("gbk.sav")).unwrap();
    // The labels really are in GBK.
    let (label, _, _) = encoding_rs::GBK.encode("编号");
    find(&bytes, &label);
    let check = |bytes: &[u8]| {
        let ds = read_sav(bytes, "gbk.sav").unwrap_or_else(|p| panic!("{}", show(&p)));
        assert_eq!(ds.variables[0].label.as_deref(), Some("编号"));
        assert_eq!(ds.variables[1].label.as_deref(), Some("名称"));
        assert_eq!(ds.variables[0].value_labels, labels(&[(num(1.0), "商会")]));
        assert_eq!(
            ds.variables[1].value_labels,
            labels(&[(text("tj"), "台江区")])
        );
        assert_eq!(
            ds.columns[1],
            Column::Str(vec!["鼓楼区".into(), "台江".into()])
        );
    };
    // Named by the encoding record.
    check(&bytes);
    // As old SPSS versions wrote them: no encoding record, code page 2 ("ASCII") whatever the
    // encoding. The text is not UTF-8, so it is read as GBK.
    let mut old = bytes.clone();
    let enc = find(&old, &[ints(&[7, 20, 1, 3]), b"GBK".to_vec()].concat());
    old[enc + 4..enc + 8].copy_from_slice(&99i32.to_le_bytes());
    let info = find(&old, &ints(&[7, 3, 4, 8]));
    old[info + 16 + 28..info + 16 + 32].copy_from_slice(&2i32.to_le_bytes());
    check(&old);
}

// ---------------------------------------------------------------------------------------------
// The syntax file

#[test]
fn the_syntax_file_applies_the_dictionary() {
    let ds = sample();
    let sps = write_sps(&ds, "样本.sav");
    assert!(sps.starts_with("\u{feff}* Encoding: UTF-8."));
    for command in [
        "GET FILE='样本.sav'.",
        "VARIABLE LABELS",
        "  /收入 '年收入（万元）'",
        "VALUE LABELS",
        "    'it''s' '引号'",
        "MISSING VALUES 收入 (LO THRU -1, 999).",
        "MISSING VALUES score (90.5 THRU HI).",
        "MISSING VALUES name ('ef', '鼓楼').",
        "VARIABLE LEVEL",
        "FORMATS",
        "  /收入 (F8.2)",
    ] {
        assert!(sps.contains(command), "{command} not in\n{sps}");
    }
    if !have_pspp() {
        return;
    }
    // The same data with no dictionary, and the syntax applied to it by PSPP, gives the
    // dictionary of the full file.
    let mut bare = ds.clone();
    for v in &mut bare.variables {
        v.label = None;
        v.value_labels.clear();
        v.missing = MissingSpec::None;
        v.measure = if matches!(v.kind, VarKind::Numeric) {
            Measure::Scale
        } else {
            Measure::Nominal
        };
        v.decimals = 3;
    }
    let s = Scratch::new();
    write_file(&s, "full.sav", &write_sav(&ds).unwrap());
    write_file(&s, "bare.sav", &write_sav(&bare).unwrap());
    let full = pspp(&s, "GET FILE='full.sav'.\nDISPLAY DICTIONARY.\n");
    let mut job = write_sps(&ds, "bare.sav");
    job.push_str("DISPLAY DICTIONARY.\n");
    let applied = pspp(&s, &job);
    assert_eq!(table(&applied, "Variables"), table(&full, "Variables"));
    assert_eq!(
        table(&applied, "Value Labels"),
        table(&full, "Value Labels")
    );
}

// ---------------------------------------------------------------------------------------------
// Damaged files

#[test]
fn damaged_files_are_located() {
    let bytes = write_sav(&sample()).unwrap();
    let name = "损坏.sav";

    let not = read_sav(b"hello, world", name).unwrap_err();
    assert_eq!(keys(&not), vec!["files.sav.not_sav"]);
    assert!(not[0].render(Lang::ZhCn).contains("损坏.sav"));
    assert_eq!(
        keys(&read_sav(b"", name).unwrap_err()),
        vec!["files.empty_file"]
    );
    let zsav = [b"$FL3".as_slice(), &bytes[4..]].concat();
    assert_eq!(
        keys(&read_sav(&zsav, name).unwrap_err()),
        vec!["files.sav.zlib"]
    );

    // Cut short anywhere: always refused, with the place.
    for len in 1..bytes.len() {
        let problems = read_sav(&bytes[..len], name).unwrap_err();
        assert!(!problems.is_empty());
        for p in &problems {
            for lang in Lang::ALL {
                let text = p.render(lang);
                assert!(!text.contains("files."), "{text}");
                assert!(!text.contains('{'), "{text}");
            }
        }
    }
    let header = read_sav(&bytes[..100], name).unwrap_err();
    assert_eq!(keys(&header), vec!["files.sav.truncated"]);
    assert_eq!(
        header[0].render(Lang::En),
        "File \"损坏.sav\", record at byte 0: the file ends inside this record: it was cut short or is damaged"
    );
    assert_eq!(
        header[0].render(Lang::ZhCn),
        "文件“损坏.sav”第 0 字节处的记录：文件在这条记录中途结束：文件不完整或已损坏"
    );
    let in_dictionary = read_sav(&bytes[..200], name).unwrap_err();
    assert_eq!(keys(&in_dictionary), vec!["files.sav.truncated"]);
    assert!(
        in_dictionary[0]
            .render(Lang::En)
            .contains("record at byte 176")
    );
    let in_data = read_sav(&bytes[..bytes.len() - 20], name).unwrap_err();
    let k = keys(&in_data)[0];
    assert!(
        k == "files.sav.truncated_case" || k == "files.sav.fewer_cases",
        "{}",
        show(&in_data)
    );
    assert!(
        in_data[0].render(Lang::En).contains(", case "),
        "{}",
        show(&in_data)
    );

    // An uncompressed file cut in the middle of a case.
    let plain = write_sav_with(
        &sample(),
        SavOptions {
            compressed: false,
            big_endian: false,
        },
    )
    .unwrap();
    let cut = read_sav(&plain[..plain.len() - 8], name).unwrap_err();
    assert_eq!(keys(&cut), vec!["files.sav.truncated_case"]);
    assert!(cut[0].render(Lang::En).contains("case 5"), "{}", show(&cut));

    // A record type that does not exist, right after the header.
    let mut bad = bytes.clone();
    bad[176..180].copy_from_slice(&42i32.to_le_bytes());
    let problems = read_sav(&bad, name).unwrap_err();
    assert_eq!(keys(&problems), vec!["files.sav.record_type"]);
    assert!(problems[0].render(Lang::En).contains("byte 176"));
    assert!(problems[0].render(Lang::En).contains("42"));

    // A variable width that cannot be.
    let mut bad = bytes.clone();
    bad[180..184].copy_from_slice(&1000i32.to_le_bytes());
    assert_eq!(
        keys(&read_sav(&bad, name).unwrap_err()),
        vec!["files.sav.var_width"]
    );

    // A layout code that tells no byte order.
    let mut bad = bytes.clone();
    bad[64..68].copy_from_slice(&[9, 9, 9, 9]);
    assert_eq!(
        keys(&read_sav(&bad, name).unwrap_err()),
        vec!["files.sav.byte_order"]
    );
}

#[test]
fn a_huge_count_in_a_small_file_is_refused_without_allocating() {
    let mut ds = Dataset::default();
    ds.push(Variable::numeric("x"), Column::Num(vec![1.0]));
    let bytes = write_sav(&ds).unwrap();
    // The header claims two billion cases.
    let mut bad = bytes.clone();
    bad[80..84].copy_from_slice(&i32::MAX.to_le_bytes());
    assert_eq!(
        keys(&read_sav(&bad, "x.sav").unwrap_err()),
        vec!["files.too_many_rows"]
    );
    // A value labels record claiming two billion labels.
    let mut bytes = bytes[..176].to_vec();
    bytes.extend(3i32.to_le_bytes());
    bytes.extend(i32::MAX.to_le_bytes());
    bytes.extend([0u8; 64]);
    assert_eq!(
        keys(&read_sav(&bytes, "x.sav").unwrap_err()),
        vec!["files.sav.truncated"]
    );
    // Too big a file is refused before it is looked at.
    let big = vec![b'$'; MAX_FILE_BYTES + 1];
    assert_eq!(
        keys(&read_sav(&big, "x.sav").unwrap_err()),
        vec!["files.too_large"]
    );
}

#[test]
fn labels_applied_over_and_over_are_bounded() {
    // 600 numeric variables, no cases: each variable record is 32 bytes.
    let mut ds = Dataset::default();
    for i in 0..600 {
        ds.push(Variable::numeric(&format!("v{i}")), Column::Num(vec![]));
    }
    let bytes = write_sav(&ds).unwrap();
    let end_of_vars = 176 + 600 * 32;
    let with_labels = |labels: i32, targets: &[i32]| {
        let mut b = bytes[..end_of_vars].to_vec();
        b.extend(ints(&[3, labels]));
        for i in 0..labels {
            b.extend(f64::from(i).to_le_bytes());
            b.extend([1, b'x', 0, 0, 0, 0, 0, 0]);
        }
        b.extend(ints(&[4, targets.len() as i32]));
        b.extend(ints(targets));
        b.extend(&bytes[end_of_vars..]);
        b
    };
    // The same variable named a million times: labelled once.
    let same = with_labels(3, &vec![1; 1_000_000]);
    let back = read_sav(&same, "x.sav").unwrap_or_else(|p| panic!("{}", show(&p)));
    assert_eq!(back.variables[0].value_labels.len(), 3);
    // 2,000 labels on each of 600 variables: more than a million in all.
    let targets: Vec<i32> = (1..=600).collect();
    let problems = read_sav(&with_labels(2000, &targets), "x.sav").unwrap_err();
    assert_eq!(keys(&problems), vec!["files.sav.too_many_labels"]);
    assert!(problems[0].render(Lang::ZhCn).contains("1000000"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut bytes = b"$FL2".to_vec();
        bytes.extend(tail);
        let _ = read_sav(&bytes, "r.sav");
        let _ = read_dataset(&bytes, "r.sav");
    }

    #[test]
    fn damaged_files_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        compressed in any::<bool>(),
        big_endian in any::<bool>(),
    ) {
        let mut bytes =
            write_sav_with(&sample(), SavOptions { compressed, big_endian }).unwrap();
        for (at, b) in flips {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        let len = cut.index(bytes.len()) + 1;
        match read_sav(&bytes[..len], "d.sav") {
            Ok(ds) => prop_assert!(ds.check().is_ok()),
            Err(problems) => {
                prop_assert!(!problems.is_empty());
                for p in &problems {
                    let shown = p.render(Lang::En);
                    prop_assert!(!shown.contains('{'), "{}", shown);
                }
            }
        }
    }

    #[test]
    fn written_data_sets_read_back(
        xs in proptest::collection::vec(
            prop_oneof![Just(f64::NAN), -200.0..300.0f64, (-150i32..300).prop_map(f64::from)],
            0..40,
        ),
        text in "\\PC{0,30}",
        width in 1usize..400,
    ) {
        let n = xs.len();
        let mut ds = Dataset::default();
        ds.push(Variable::numeric("x"), Column::Num(xs));
        ds.push(
            Variable::string("s", width),
            Column::Str((0..n).map(|i| if i % 2 == 0 { text.trim_end().to_string() } else { String::new() }).collect()),
        );
        let back = read_sav(&write_sav(&ds).unwrap(), "p.sav").unwrap();
        prop_assert_eq!(back.cases(), n);
        let Column::Num(a) = &back.columns[0] else { panic!() };
        let Column::Num(b) = &ds.columns[0] else { panic!() };
        for (a, b) in a.iter().zip(b) {
            prop_assert!(a == b || (a.is_nan() && b.is_nan()));
        }
        prop_assert_eq!(&back.columns[1], &ds.columns[1]);
    }
}

// ---------------------------------------------------------------------------------------------
// read_dataset

#[test]
fn datasets_from_csv_in_utf8_and_gbk() {
    let text =
        "会员总数（人）,单位类型,备注,\n12,商会,x,\n\"1,234.5\",工商联,,\n１５,商会,\"a,b\",#N/A\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(text.as_bytes());
    for bytes in [text.as_bytes().to_vec(), gbk.into_owned(), bom] {
        let ds = read_dataset(&bytes, "单位.csv").unwrap_or_else(|p| panic!("{}", show(&p)));
        let names: Vec<&str> = ds.variables.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, vec!["会员总数_人", "单位类型", "备注", "VAR00004"]);
        assert_eq!(ds.variables[0].label.as_deref(), Some("会员总数（人）"));
        assert_eq!(ds.variables[0].kind, VarKind::Numeric);
        assert_eq!(ds.variables[0].decimals, 1);
        assert_eq!(ds.variables[0].measure, Measure::Scale);
        assert_eq!(ds.variables[1].label, None);
        assert_eq!(ds.variables[1].kind, VarKind::String { width: 9 });
        assert_eq!(ds.variables[1].measure, Measure::Nominal);
        assert_eq!(ds.columns[0], Column::Num(vec![12.0, 1234.5, 15.0]));
        assert_eq!(
            ds.columns[2],
            Column::Str(vec!["x".into(), "".into(), "a,b".into()])
        );
        assert_eq!(ds.variables[3].kind, VarKind::String { width: 4 });
        ds.check().unwrap();
    }
}

#[test]
fn datasets_from_xlsx_skip_instructions() {
    use rust_xlsxwriter::Workbook;
    let mut wb = Workbook::new();
    let info = wb.add_worksheet();
    info.set_name("说明").unwrap();
    info.write_string(0, 0, "请在下一张表填写").unwrap();
    let data = wb.add_worksheet();
    data.set_name("数据").unwrap();
    data.write_string(1, 0, "地区").unwrap();
    data.write_string(1, 1, "会员数").unwrap();
    data.write_string(1, 2, "满意度").unwrap();
    for (r, (area, members, score)) in [
        ("鼓楼", Some(12.0), "4.5"),
        ("台江", None, "3"),
        ("仓山", Some(7.0), "1,200.25"),
    ]
    .into_iter()
    .enumerate()
    {
        let r = r as u32 + 2;
        data.write_string(r, 0, area).unwrap();
        if let Some(m) = members {
            data.write_number(r, 1, m).unwrap();
        }
        data.write_string(r, 2, score).unwrap();
    }
    let bytes = wb.save_to_buffer().unwrap();
    let ds = read_dataset(&bytes, "调查.xlsx").unwrap_or_else(|p| panic!("{}", show(&p)));
    let names: Vec<&str> = ds.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, vec!["地区", "会员数", "满意度"]);
    assert_same(
        &Dataset {
            variables: ds.variables.clone(),
            columns: vec![
                Column::Str(vec!["鼓楼".into(), "台江".into(), "仓山".into()]),
                Column::Num(vec![12.0, NAN, 7.0]),
                Column::Num(vec![4.5, 3.0, 1200.25]),
            ],
        },
        &ds,
    );
    assert_eq!(ds.variables[2].decimals, 2);
    assert_eq!(ds.variables[1].decimals, 0);
}

#[test]
fn datasets_from_sav_by_name_or_content() {
    let ds = sample();
    let bytes = write_sav(&ds).unwrap();
    assert_same(&read_dataset(&bytes, "样本.sav").unwrap(), &ds);
    // A system file under a wrong name is read for what it is.
    assert_same(&read_dataset(&bytes, "样本.csv").unwrap(), &ds);
    let problems = read_dataset(b"x", "a.pdf").unwrap_err();
    assert_eq!(keys(&problems), vec!["files.sav.dataset_extension"]);
    assert!(problems[0].render(Lang::En).contains(".pdf"));
    let problems = read_dataset(b"x", "noext").unwrap_err();
    assert_eq!(keys(&problems), vec!["files.sav.dataset_no_extension"]);
    let problems = read_dataset(b"", "a.csv").unwrap_err();
    assert_eq!(keys(&problems), vec!["files.empty_file"]);
    let problems = read_dataset(b"not a sav file", "a.sav").unwrap_err();
    assert_eq!(keys(&problems), vec!["files.sav.not_sav"]);
}

// ---------------------------------------------------------------------------------------------
// read_csv_dataset_large: the same data set as read_dataset, for files of any size

/// A CSV file with everything the sheet reader has an opinion on: a title above the header,
/// Chinese headers (one to be renamed, one empty), quoted cells with commas, line breaks and
/// quotes, empty cells and rows, numbers written as text (`1,234`, full-width digits, `-0.125`),
/// neutralised cells (`'=1`, `'-3`), a column that turns out to be text after many numbers, one
/// with a header and no data, one with data and no header.
fn tricky_csv() -> String {
    let mut s = String::from("2024年会员调查\n\n");
    s.push_str("会员总数（人）,单位类型,备注,满意度,,空列,代码\n");
    for i in 0..40 {
        let members = match i % 5 {
            0 => "\"1,234\"".to_string(),
            1 => "１５".to_string(),
            2 => String::new(),
            3 => " -0.125 ".to_string(),
            _ => format!("{i}"),
        };
        let kind = ["商会", "工商联", "", "'=1", "异地商会"][i % 5];
        let note = ["\"多\n行\"", "\"a,b\"", "\"说\"\"明\"\"\"", "", "普通"][i % 5];
        let score = ["4.5", "3", "", "'-3", "1e2"][i % 5];
        let extra = if i % 7 == 0 { "x" } else { "" };
        // Numbers up to the last row, which says it is no number.
        let code = if i == 39 {
            "#N/A".to_string()
        } else {
            format!("{}", 350100 + i)
        };
        s.push_str(&format!(
            "{members},{kind},{note},{score},{extra},,{code}\n"
        ));
        if i % 9 == 4 {
            s.push_str(",,,,,,\n\n   ,\n");
        }
    }
    s
}

fn encodings(text: &str) -> Vec<(&'static str, Vec<u8>)> {
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(text.as_bytes());
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    vec![
        ("UTF-8", text.as_bytes().to_vec()),
        ("UTF-8 with BOM", bom),
        ("GBK", gbk.into_owned()),
        ("UTF-16", utf16),
        ("CRLF", text.replace('\n', "\r\n").into_bytes()),
    ]
}

#[test]
fn large_csv_reader_reads_what_read_dataset_reads() {
    for (encoding, bytes) in encodings(&tricky_csv()) {
        let want = read_dataset(&bytes, "调查.csv").unwrap_or_else(|p| panic!("{}", show(&p)));
        let got = read_csv_dataset_large(&bytes, "调查.csv")
            .unwrap_or_else(|p| panic!("{encoding}: {}", show(&p)));
        assert_same(&got, &want);
        got.check().unwrap();
    }
    // What the file holds, read either way.
    let ds = read_csv_dataset_large(tricky_csv().as_bytes(), "调查.csv").unwrap();
    let names: Vec<&str> = ds.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "会员总数_人",
            "单位类型",
            "备注",
            "满意度",
            "VAR00005",
            "空列",
            "代码"
        ]
    );
    assert_eq!(ds.cases(), 40);
    assert_eq!(ds.variables[0].kind, VarKind::Numeric);
    assert_eq!(ds.variables[0].decimals, 3);
    assert_eq!(ds.variables[0].label.as_deref(), Some("会员总数（人）"));
    assert_eq!(ds.variables[3].kind, VarKind::Numeric);
    assert_eq!(ds.variables[5].kind, VarKind::Numeric);
    assert_eq!(ds.variables[6].kind, VarKind::String { width: 6 });
    let Column::Num(members) = &ds.columns[0] else {
        panic!()
    };
    assert_eq!(&members[..2], &[1234.0, 15.0]);
    assert!(members[2].is_nan());
    let Column::Num(score) = &ds.columns[3] else {
        panic!()
    };
    assert_eq!(score[3], -3.0);
    let Column::Str(notes) = &ds.columns[2] else {
        panic!()
    };
    assert_eq!(&notes[..3], &["多\n行", "a,b", "说\"明\""]);
    let Column::Str(kinds) = &ds.columns[1] else {
        panic!()
    };
    assert_eq!(kinds[3], "=1");
    let Column::Str(codes) = &ds.columns[6] else {
        panic!()
    };
    assert_eq!((codes[0].as_str(), codes[39].as_str()), ("350100", "#N/A"));
}

#[test]
fn large_csv_reader_reads_beyond_the_upload_limits_within_its_own() {
    // Over the 20 MB of an upload, with no quote in it: read in pieces on every core.
    let mut text = String::from("编号,金额,地区\n");
    let rows = 1_000_000;
    for i in 0..rows {
        text.push_str(&format!(
            "{i},{}.{:02},region{:02}\n",
            i % 977,
            i % 100,
            i % 31
        ));
    }
    assert!(text.len() > MAX_FILE_BYTES);
    assert_eq!(
        keys(&read_dataset(text.as_bytes(), "big.csv").unwrap_err()),
        vec!["files.too_large"]
    );
    let ds = read_csv_dataset_large(text.as_bytes(), "big.csv").unwrap();
    assert_eq!(ds.cases(), rows);
    assert_eq!(ds.variables[1].decimals, 2);
    let Column::Num(ids) = &ds.columns[0] else {
        panic!()
    };
    assert!(ids.iter().enumerate().all(|(i, &x)| x == i as f64));
    let Column::Str(regions) = &ds.columns[2] else {
        panic!()
    };
    assert_eq!(regions[rows - 1], format!("region{:02}", (rows - 1) % 31));

    // Its own limits, each refused with the file's name.
    let small = |max_bytes, max_rows, max_columns| DatasetLimits {
        max_bytes,
        max_rows,
        max_columns,
        max_cells: 1000,
    };
    let csv = "a,b,c\n1,2,3\n4,5,6\n".as_bytes();
    let refused = |limits: DatasetLimits| read_csv_dataset(csv, "会员.csv", &limits).unwrap_err();
    let p = refused(small(10, 10, 10));
    assert_eq!(keys(&p), vec!["files.too_large"]);
    let p = refused(small(100, 1, 10));
    assert_eq!(keys(&p), vec!["files.too_many_rows"]);
    assert!(p[0].render(Lang::En).contains("会员"), "{}", show(&p));
    let p = refused(small(100, 10, 2));
    assert_eq!(keys(&p), vec!["files.too_many_columns"]);
    assert!(p[0].render(Lang::En).contains("会员"), "{}", show(&p));
    let few_cells = DatasetLimits {
        max_cells: 5,
        ..small(100, 10, 10)
    };
    let p = read_csv_dataset(csv, "会员.csv", &few_cells).unwrap_err();
    assert_eq!(keys(&p), vec!["files.too_many_cells"]);
    assert_eq!(
        read_csv_dataset(csv, "会员.csv", &small(100, 2, 3))
            .unwrap()
            .cases(),
        2
    );
    for (bytes, key) in [
        (&b""[..], "files.empty_file"),
        (b"\n,,\n \n", "files.empty_file"),
        (b"abc\x81", "files.csv_encoding"),
    ] {
        assert_eq!(
            keys(&read_csv_dataset_large(bytes, "a.csv").unwrap_err()),
            vec![key]
        );
        assert_eq!(keys(&read_dataset(bytes, "a.csv").unwrap_err()), vec![key]);
    }
    // A system file under a .csv name is read for what it is.
    let ds = sample();
    assert_same(
        &read_csv_dataset_large(&write_sav(&ds).unwrap(), "样本.csv").unwrap(),
        &ds,
    );
}

/// Cells for random CSV files: numbers in every spelling, text, quoting, blanks.
fn csv_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" ".to_string()),
        (-1000i32..1000).prop_map(|i| i.to_string()),
        (-1000i32..1000, 0u32..4).prop_map(|(i, d)| format!("{:.*}", d as usize, i as f64 / 7.0)),
        Just("\"1,234.5\"".to_string()),
        Just("１２".to_string()),
        Just("'-3".to_string()),
        Just("'=A1".to_string()),
        Just("#N/A".to_string()),
        Just("商会".to_string()),
        Just("\"a,\n\"\"b\"\"\"".to_string()),
        Just("x y".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn large_csv_reader_agrees_with_read_dataset(
        rows in proptest::collection::vec(proptest::collection::vec(csv_cell(), 0..6), 1..30),
        gbk in any::<bool>(),
        crlf in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let text: String = rows.iter().map(|r| r.join(",") + eol).collect();
        let bytes = if gbk {
            encoding_rs::GBK.encode(&text).0.into_owned()
        } else {
            text.into_bytes()
        };
        match (read_dataset(&bytes, "r.csv"), read_csv_dataset_large(&bytes, "r.csv")) {
            (Ok(want), Ok(got)) => assert_same(&got, &want),
            (Err(want), Err(got)) => prop_assert_eq!(keys(&got), keys(&want)),
            (want, got) => prop_assert!(false, "read_dataset {:?}, large {:?}", want.is_ok(), got.is_ok()),
        }
    }
}
