use super::detail::{reference_html, truncate};
use super::*;

#[test]
fn bar_chart_scales_bars_to_the_largest_value_and_escapes_labels() {
    let svg = bar_chart_svg(
        "push <1 MiB>",
        "ms",
        &[
            ("v2.8.3 \"old\"".to_string(), 50.0),
            ("v3.1.1 & co".to_string(), 100.0),
        ],
    );
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
    assert!(svg.contains("width=\"210.0\""), "half bar: {svg}");
    assert!(svg.contains("width=\"420.0\""), "full bar: {svg}");
    assert!(svg.contains("v2.8.3 &quot;old&quot;"), "{svg}");
    assert!(svg.contains("v3.1.1 &amp; co"), "{svg}");
    assert!(svg.contains("push &lt;1 MiB&gt;"), "{svg}");
    assert!(svg.contains(">100 ms<"), "{svg}");
    assert!(!svg.contains("http"), "no external references: {svg}");
}

#[test]
fn bar_chart_of_nothing_is_empty_and_bad_values_draw_no_bar() {
    assert_eq!(bar_chart_svg("t", "s", &[]), "");
    let svg = bar_chart_svg(
        "t",
        "s",
        &[("nan".into(), f64::NAN), ("negative".into(), -3.0)],
    );
    assert_eq!(svg.matches("width=\"0.0\"").count(), 2, "{svg}");
    assert!(svg.contains(">n/a<") && svg.contains(">-3.00 s<"), "{svg}");
}

#[test]
fn escape_covers_markup_and_both_quotes() {
    assert_eq!(escape(r#"<b>"&'"#), "&lt;b&gt;&quot;&amp;&#39;".to_string());
}

#[test]
fn truncate_cuts_on_char_boundaries() {
    assert_eq!(truncate("ääää", 2), "ää…");
    assert_eq!(truncate("abc", 3), "abc");
}

#[test]
fn a_reference_is_a_link_only_when_it_is_an_http_url() {
    assert_eq!(
        reference_html("https://github.com/distribution/distribution/pull/4871"),
        "<a href=\"https://github.com/distribution/distribution/pull/4871\" rel=\"noopener noreferrer\">https://github.com/distribution/distribution/pull/4871</a>"
    );
    let script = reference_html("javascript:alert(1)");
    assert!(!script.contains("<a"), "{script}");
    let quoted = reference_html("https://x.test/\"onmouseover=\"alert(1)");
    assert!(quoted.contains("&quot;onmouseover=&quot;"), "{quoted}");
    assert_eq!(
        reference_html("registry/auth/token/token.go"),
        "registry/auth/token/token.go"
    );
}
