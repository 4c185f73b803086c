//! The charts read back: every one parses as SVG with usvg (what resvg and Typst use), is a
//! self-contained document, and draws what its numbers say — bar widths, stacked segments that
//! fill their row, donut arcs in proportion — with its text escaped.

use resvg::usvg::{self, roxmltree};
use shanghui_writeup::Figure;
use shanghui_writeup::charts::{
    self, BAR_COLOUR, FONT_FAMILY, PALETTE, Unit, bars, bars_with_target, donut, line, share,
    stacked,
};

/// Parses the chart with usvg and checks what every chart promises: a standalone SVG document
/// sized in px, white background, the fonts on the root, the caption as `<title>`, and nothing
/// that depends on CSS, other files or script.
fn check_standalone(figure: &Figure) -> usvg::Tree {
    let tree = usvg::Tree::from_str(&figure.svg, &usvg::Options::default())
        .unwrap_or_else(|e| panic!("{}: not SVG: {e}\n{}", figure.caption, figure.svg));
    assert_eq!(tree.size().width() as f64, figure.width);
    assert_eq!(tree.size().height() as f64, figure.height);

    let xml = roxmltree::Document::parse(&figure.svg).expect("well-formed XML");
    let root = xml.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    let (w, h) = (figure.width.to_string(), figure.height.to_string());
    assert_eq!(root.attribute("width"), Some(w.as_str()));
    assert_eq!(root.attribute("height"), Some(h.as_str()));
    assert_eq!(
        root.attribute("viewBox"),
        Some(format!("0 0 {w} {h}").as_str())
    );
    assert_eq!(root.attribute("font-family"), Some(FONT_FAMILY));

    let mut children = root.children().filter(|n| n.is_element());
    let title = children.next().expect("a first child");
    assert_eq!(title.tag_name().name(), "title");
    assert_eq!(title.text(), Some(figure.caption.as_str()));
    let background = children.next().expect("a background");
    assert_eq!(background.tag_name().name(), "rect");
    assert_eq!(background.attribute("fill"), Some("#ffffff"));
    assert_eq!(background.attribute("width"), Some(w.as_str()));

    for node in xml.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        assert!(
            !matches!(name, "style" | "script" | "image" | "use"),
            "<{name}>"
        );
        for attr in node.attributes() {
            assert!(
                !matches!(attr.name(), "class" | "style" | "href" | "id"),
                "{name} has {}",
                attr.name()
            );
        }
        if let Some(size) = node.attribute("font-size") {
            assert!(size.parse::<f64>().is_ok(), "font-size {size} is not px");
        }
    }
    tree
}

fn xml(figure: &Figure) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(&figure.svg).expect("well-formed XML")
}

fn num(node: roxmltree::Node, attr: &str) -> f64 {
    node.attribute(attr)
        .unwrap_or_else(|| panic!("no {attr}"))
        .parse()
        .unwrap_or_else(|_| panic!("{attr} is not a number"))
}

/// The drawn texts (not tooltips), in order.
fn texts(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").to_string())
        .collect()
}

/// Rectangles filled with `fill` and `height` tall, in document order.
fn rects<'a>(
    doc: &'a roxmltree::Document,
    fill: impl Fn(&str) -> bool,
    height: f64,
) -> Vec<roxmltree::Node<'a, 'a>> {
    doc.descendants()
        .filter(|n| n.has_tag_name("rect"))
        .filter(|n| n.attribute("fill").is_some_and(&fill) && num(*n, "height") == height)
        .collect()
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

fn items(list: &[(&str, Option<f64>)]) -> Vec<(String, Option<f64>)> {
    list.iter().map(|(l, v)| (l.to_string(), *v)).collect()
}

#[test]
fn share_has_one_decimal_everywhere() {
    assert_eq!(share(0.963), "96.3%");
    assert_eq!(share(1.0), "100.0%");
    assert_eq!(share(0.0), "0.0%");
    assert_eq!(share(-0.0001), "0.0%", "no -0.0%");
    assert_eq!(share(f64::NAN), "—");
    assert_eq!(Unit::Share.format(Some(0.5)), "50.0%");
    assert_eq!(Unit::Share.format(None), "—");
    assert_eq!(Unit::Count.format(Some(1234.0)), "1234");
    assert_eq!(Unit::Number.format(Some(3.45)), "3.5");
    assert_eq!(Unit::Number.format(Some(f64::INFINITY)), "—");
}

#[test]
fn a_half_share_bar_is_half_the_full_bar() {
    let figure = bars(
        "各区报送率",
        &items(&[
            ("鼓楼区", Some(1.0)),
            ("台江区", Some(0.5)),
            ("仓山区", None),
        ]),
        Unit::Share,
    );
    check_standalone(&figure);
    let doc = xml(&figure);
    let bars = rects(&doc, |f| f == BAR_COLOUR, 18.0);
    assert_eq!(bars.len(), 2, "no bar for None");
    let (full, half) = (num(bars[0], "width"), num(bars[1], "width"));
    assert!(full > 300.0, "{full}");
    assert!(close(half * 2.0, full, 0.02), "{half} × 2 ≠ {full}");
    assert_eq!(num(bars[0], "x"), num(bars[1], "x"), "bars start together");
    let texts = texts(&doc);
    for shown in ["鼓楼区", "台江区", "仓山区", "100.0%", "50.0%", "—"] {
        assert!(texts.iter().any(|t| t == shown), "{shown} in {texts:?}");
    }
}

#[test]
fn counts_scale_to_the_largest() {
    let figure = bars(
        "会员数",
        &items(&[("甲", Some(40.0)), ("乙", Some(10.0)), ("丙", Some(0.0))]),
        Unit::Count,
    );
    check_standalone(&figure);
    let doc = xml(&figure);
    let bars = rects(&doc, |f| f == BAR_COLOUR, 18.0);
    assert_eq!(bars.len(), 2, "a zero draws no bar");
    assert!(close(
        num(bars[1], "width") * 4.0,
        num(bars[0], "width"),
        0.02
    ));
    let texts = texts(&doc);
    for shown in ["40", "10", "0"] {
        assert!(texts.iter().any(|t| t == shown), "{shown} in {texts:?}");
    }
}

#[test]
fn a_target_is_a_dashed_line_at_its_share_of_the_width() {
    let figure = bars_with_target(
        "党组织覆盖率",
        &items(&[("甲", Some(1.0)), ("乙", Some(0.6))]),
        Unit::Share,
        Some((0.9, "目标")),
    );
    check_standalone(&figure);
    let doc = xml(&figure);
    let full = rects(&doc, |f| f == BAR_COLOUR, 18.0)[0];
    let (x0, width) = (num(full, "x"), num(full, "width"));
    let dashed: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("line") && n.attribute("stroke-dasharray").is_some())
        .collect();
    assert_eq!(dashed.len(), 1);
    assert_eq!(num(dashed[0], "x1"), num(dashed[0], "x2"), "vertical");
    assert!(close(num(dashed[0], "x1") - x0, 0.9 * width, 0.02));
    assert!(texts(&doc).contains(&"目标 90.0%".to_string()));

    let none = bars_with_target("x", &items(&[("甲", Some(0.5))]), Unit::Share, None);
    assert!(!none.svg.contains("stroke-dasharray"));
}

#[test]
fn labels_are_escaped_and_long_ones_shortened() {
    let long = "福州市鼓楼区工商业联合会所属各行业商会及异地商会联合体";
    let figure = bars(
        "Caption <A&B> \"q\"",
        &items(&[("<A&B>", Some(0.5)), (long, Some(0.25))]),
        Unit::Share,
    );
    check_standalone(&figure);
    assert!(figure.svg.contains("&lt;A&amp;B&gt;"));
    assert!(!figure.svg.contains("<A&B>"));
    let doc = xml(&figure);
    let texts = texts(&doc);
    assert!(texts.contains(&"<A&B>".to_string()), "{texts:?}");
    let short = texts
        .iter()
        .find(|t| t.ends_with('…'))
        .expect("the long label shortened");
    assert!(long.starts_with(short.trim_end_matches('…')));
    // The full name stays as the shortened label's tooltip.
    assert!(
        doc.descendants()
            .any(|n| n.has_tag_name("title") && n.text() == Some(long))
    );
}

#[test]
fn stacked_segments_fill_their_row() {
    let legend: Vec<String> = ["合格", "基本合格", "不合格"].map(String::from).to_vec();
    let rows = vec![
        ("乡镇商会".to_string(), vec![1.0, 1.0, 2.0]),
        ("行业商会".to_string(), vec![0.0, 0.0, 0.0]),
        ("异地商会".to_string(), vec![5.0, 0.0, 0.0]),
        ("<A&B>".to_string(), vec![1.0, 99.0, 0.0]),
    ];
    let figure = stacked("年检结论", &legend, &rows);
    check_standalone(&figure);
    let doc = xml(&figure);
    let segments = rects(&doc, |f| PALETTE.contains(&f), 18.0);
    let mut by_row: Vec<(f64, Vec<roxmltree::Node>)> = Vec::new();
    for s in segments {
        match by_row.iter_mut().find(|(y, _)| *y == num(s, "y")) {
            Some((_, row)) => row.push(s),
            None => by_row.push((num(s, "y"), vec![s])),
        }
    }
    assert_eq!(by_row.len(), 3, "the all-zero row draws nothing");
    let full = num(by_row[1].1[0], "width");
    assert!(full > 300.0);
    for (_, row) in &by_row {
        let sum: f64 = row.iter().map(|s| num(*s, "width")).sum();
        assert!(close(sum, full, 0.05), "{sum} ≠ {full}");
        // Segments follow each other without gaps.
        for pair in row.windows(2) {
            let end = num(pair[0], "x") + num(pair[0], "width");
            assert!(close(end, num(pair[1], "x"), 0.02));
        }
    }
    let first: Vec<f64> = by_row[0]
        .1
        .iter()
        .map(|s| num(*s, "width") / full)
        .collect();
    assert!(close(first[0], 0.25, 0.001) && close(first[1], 0.25, 0.001));
    assert!(close(first[2], 0.5, 0.001));
    let colours: Vec<&str> = by_row[0]
        .1
        .iter()
        .filter_map(|s| s.attribute("fill"))
        .collect();
    assert_eq!(colours, PALETTE[..3].to_vec(), "one colour per category");

    let texts = texts(&doc);
    for shown in [
        "合格",
        "基本合格",
        "不合格",
        "25.0%",
        "50.0%",
        "100.0%",
        "99.0%",
        "—",
    ] {
        assert!(texts.iter().any(|t| t == shown), "{shown} in {texts:?}");
    }
    assert!(texts.contains(&"<A&B>".to_string()));
    assert!(
        !texts.contains(&"1.0%".to_string()),
        "a 1% segment has no label"
    );
}

#[test]
fn many_categories_reuse_the_palette() {
    let legend: Vec<String> = (0..10).map(|i| format!("类别{i}")).collect();
    let figure = stacked("十类", &legend, &[("甲".to_string(), vec![1.0; 10])]);
    check_standalone(&figure);
    let doc = xml(&figure);
    assert_eq!(rects(&doc, |f| PALETTE.contains(&f), 18.0).len(), 10);
    // The legend wraps rather than running off the right edge.
    for t in doc.descendants().filter(|n| n.has_tag_name("text")) {
        assert!(num(t, "x") < figure.width, "{:?}", t.text());
    }
}

/// The points of a line chart: (cx, cy) of each circle, in order.
fn points(doc: &roxmltree::Document) -> Vec<(f64, f64)> {
    doc.descendants()
        .filter(|n| n.has_tag_name("circle"))
        .map(|c| (num(c, "cx"), num(c, "cy")))
        .collect()
}

#[test]
fn a_line_has_gaps_where_values_are_missing() {
    let years: Vec<String> = (2019..=2023).map(|y| y.to_string()).collect();
    let series = vec![(
        "报送率".to_string(),
        vec![Some(0.4), None, Some(0.8), Some(0.6), Some(0.2)],
    )];
    let figure = line("报送率趋势", &years, &series, Unit::Share);
    check_standalone(&figure);
    let doc = xml(&figure);
    let polylines: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .collect();
    assert_eq!(polylines.len(), 1, "the lone first point is not joined");
    assert_eq!(
        polylines[0].attribute("points").unwrap().split(' ').count(),
        3
    );
    let points = points(&doc);
    assert_eq!(points.len(), 4);

    // The y axis from 0: the baseline is the lowest horizontal line, heights are proportional.
    let horizontal: Vec<f64> = doc
        .descendants()
        .filter(|n| n.has_tag_name("line") && num(*n, "y1") == num(*n, "y2"))
        .map(|n| num(n, "y1"))
        .collect();
    assert!((5..=6).contains(&horizontal.len()), "{horizontal:?}");
    let base = horizontal.iter().copied().fold(f64::MIN, f64::max);
    let height = |i: usize| base - points[i].1;
    assert!(close(height(1), 2.0 * height(0), 0.05), "0.8 is twice 0.4");
    assert!(close(height(0), 2.0 * height(3), 0.05), "0.4 is twice 0.2");

    let texts = texts(&doc);
    for shown in ["2019", "2023", "40.0%", "80.0%", "0.0%"] {
        assert!(texts.iter().any(|t| t == shown), "{shown} in {texts:?}");
    }
    assert!(
        !texts.contains(&"报送率".to_string()),
        "no legend for one series"
    );
}

#[test]
fn several_lines_have_a_legend_and_round_integer_ticks() {
    let years: Vec<String> = (2021..=2023).map(|y| y.to_string()).collect();
    let series = vec![
        ("会员".to_string(), vec![Some(12.0), Some(17.0), Some(23.0)]),
        ("<新会员>".to_string(), vec![Some(3.0), None]),
    ];
    let figure = line("会员数", &years, &series, Unit::Count);
    check_standalone(&figure);
    let doc = xml(&figure);
    let texts = texts(&doc);
    assert!(texts.contains(&"会员".to_string()) && texts.contains(&"<新会员>".to_string()));
    assert!(texts.contains(&"23".to_string()));
    // Ticks 0, 5, 10, 15, 20, 25: whole numbers, 4–5 steps up to at least the largest value.
    for tick in ["0", "5", "10", "25"] {
        assert!(texts.iter().any(|t| t == tick), "{tick} in {texts:?}");
    }
    assert_eq!(
        points(&doc).len(),
        4,
        "the missing third value of the second series"
    );
    let dashed = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke-dasharray").is_some())
        .count();
    assert_eq!(dashed, 0, "the second series has no run of two points");
}

/// A donut slice's path: `M x0 y0 A r r 0 large 1 x1 y1 L …`, returned as the start, the end and
/// the outer radius and large-arc flag.
fn slice(d: &str) -> ((f64, f64), (f64, f64), f64, bool) {
    let tokens: Vec<&str> = d.split([' ', ',']).filter(|t| !t.is_empty()).collect();
    let f = |i: usize| -> f64 {
        tokens[i]
            .trim_start_matches(['M', 'A', 'L'])
            .parse()
            .unwrap()
    };
    assert!(
        tokens[0].starts_with('M') && tokens[2].starts_with('A'),
        "{d}"
    );
    ((f(0), f(1)), (f(7), f(8)), f(2), tokens[5] == "1")
}

#[test]
fn donut_arcs_are_proportional() {
    let parts = vec![
        ("合格".to_string(), 1.0),
        ("基本合格".to_string(), 1.0),
        ("不合格".to_string(), 2.0),
        ("未检".to_string(), 0.0),
    ];
    let figure = donut("年检结论 <A&B>", &parts);
    check_standalone(&figure);
    let doc = xml(&figure);
    let slices: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("path"))
        .filter_map(|n| n.attribute("d").map(slice))
        .collect();
    assert_eq!(slices.len(), 3, "a zero part draws no arc");
    // The first slice starts at 12 o'clock: the centre is one radius below it.
    let ((sx, sy), _, r, _) = slices[0];
    let (cx, cy) = (sx, sy + r);
    let angle = |(x, y): (f64, f64)| (x - cx).atan2(cy - y).rem_euclid(std::f64::consts::TAU);
    let mut expected_start = 0.0;
    for ((start, end, radius, large), part) in slices.iter().zip([0.25, 0.25, 0.5]) {
        assert!(close(*radius, r, 1e-9));
        let a0 = angle(*start);
        let sweep = (angle(*end) - a0).rem_euclid(std::f64::consts::TAU);
        let sweep = if sweep < 1e-6 {
            std::f64::consts::TAU
        } else {
            sweep
        };
        assert!(
            close(a0, expected_start, 0.01),
            "starts where the last ended"
        );
        assert!(
            close(sweep, part * std::f64::consts::TAU, 0.01),
            "{sweep} for {part}"
        );
        assert_eq!(*large, part > 0.5);
        expected_start += part * std::f64::consts::TAU;
    }
    let texts = texts(&doc);
    for shown in ["4", "25.0%", "50.0%", "0.0%", "未检", "1", "2", "0"] {
        assert!(texts.iter().any(|t| t == shown), "{shown} in {texts:?}");
    }
}

#[test]
fn a_single_whole_part_is_a_full_ring() {
    let parts = vec![("合格".to_string(), 5.0), ("不合格".to_string(), 0.0)];
    let figure = donut("全部合格", &parts);
    let tree = check_standalone(&figure);
    assert!(figure.svg.contains(r#"fill-rule="evenodd""#));
    assert!(texts(&xml(&figure)).contains(&"100.0%".to_string()));

    // Drawn: the ring is coloured all round and the hole stays white.
    let mut pixmap =
        resvg::tiny_skia::Pixmap::new(figure.width as u32, figure.height as u32).unwrap();
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    let doc = xml(&figure);
    let ring = doc.descendants().find(|n| n.has_tag_name("path")).unwrap();
    let ((sx, sy), _, r, _) = slice(ring.attribute("d").unwrap());
    let (cx, cy) = (sx, sy + r);
    let pixel = |x: f64, y: f64| {
        let p = pixmap.pixel(x as u32, y as u32).unwrap();
        (p.red(), p.green(), p.blue())
    };
    let ring_colour = (0x00, 0x72, 0xb2);
    for (x, y) in [
        (cx, cy - r + 10.0),
        (cx + r - 10.0, cy),
        (cx, cy + r - 10.0),
    ] {
        assert_eq!(pixel(x, y), ring_colour, "ring at {x},{y}");
    }
    assert_eq!(pixel(cx - 20.0, cy - 20.0), (255, 255, 255), "the hole");
}

#[test]
fn nothing_to_draw_still_makes_valid_charts() {
    check_standalone(&bars("空", &[], Unit::Share));
    check_standalone(&bars("空", &items(&[("甲", None)]), Unit::Count));
    check_standalone(&stacked("空", &[], &[]));
    check_standalone(&line("空", &[], &[], Unit::Number));
    check_standalone(&line(
        "一年",
        &["2024".to_string()],
        &[("甲".to_string(), vec![Some(f64::NAN)])],
        Unit::Number,
    ));
    let empty = donut("空", &[("甲".to_string(), 0.0)]);
    check_standalone(&empty);
    assert!(texts(&xml(&empty)).contains(&"0".to_string()));
    assert!(
        texts(&xml(&empty)).contains(&"—".to_string()),
        "no share of nothing"
    );
    // The module's own name for the fonts is what the root carries.
    assert!(empty.svg.contains(charts::FONT_FAMILY));
}

#[test]
fn close_series_do_not_print_over_each_other() {
    let years: Vec<String> = vec!["2024".into(), "2025".into()];
    let series = vec![
        ("报送率".to_string(), vec![Some(0.97), Some(0.99)]),
        ("按时率".to_string(), vec![Some(0.95), Some(0.90)]),
    ];
    let figure = line("趋势", &years, &series, Unit::Share);
    check_standalone(&figure);
    let doc = xml(&figure);
    // Each value label's box: its centre x, baseline and font size.
    let labels: Vec<(f64, f64, f64)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text") && n.text().is_some_and(|t| t.ends_with('%')))
        .filter(|n| n.attribute("text-anchor") == Some("middle"))
        .map(|n| (num(n, "x"), num(n, "y"), num(n, "font-size")))
        .collect();
    assert_eq!(labels.len(), 4, "{labels:?}");
    for (i, a) in labels.iter().enumerate() {
        for b in &labels[i + 1..] {
            assert!(
                a.0 != b.0 || (a.1 - b.1).abs() >= a.2,
                "labels {a:?} and {b:?} overlap"
            );
        }
        // No label covers another series' point.
        for (px, py) in points(&doc) {
            let covers = (px - a.0).abs() < 10.0 && py > a.1 - a.2 && py < a.1 + 2.0;
            assert!(!covers, "label {a:?} over the point {px},{py}");
        }
    }
}
