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

#[test]
fn urls_and_github_issues_inside_a_reference_become_links() {
    assert_eq!(
        reference_html("distribution/distribution#4618 (regression from #4576): see https://example.test/a?b=1&c=2."),
        "<a href=\"https://github.com/distribution/distribution/issues/4618\" rel=\"noopener noreferrer\">distribution/distribution#4618</a> \
         (regression from #4576): see <a href=\"https://example.test/a?b=1&amp;c=2\" rel=\"noopener noreferrer\">https://example.test/a?b=1&amp;c=2</a>."
    );
    // Not an issue: a path, a bare number, a dotfile owner, a longer path.
    for text in [
        "registry/auth/token/token.go",
        "see #4576",
        "./repo#1",
        "a/b/c#1",
        "x/y#",
        "https://",
    ] {
        assert!(
            !reference_html(text).contains("<a"),
            "{text}: {}",
            reference_html(text)
        );
    }
    // Markup around a link stays text.
    let html = reference_html("<b>https://x.test/p</b> o/r#1<i>");
    assert_eq!(
        html,
        "&lt;b&gt;<a href=\"https://x.test/p\" rel=\"noopener noreferrer\">https://x.test/p</a>&lt;/b&gt; \
         <a href=\"https://github.com/o/r/issues/1\" rel=\"noopener noreferrer\">o/r#1</a>&lt;i&gt;"
    );
}

mod grids {
    use super::super::render;
    use crate::report::fixtures::{cell, path_cell, report};
    use crate::report::{Cell, MatrixReport, Outcome, VersionInfo};

    fn refusal(mut c: Cell) -> Cell {
        c.refusal = true;
        c
    }

    /// The `<td>` of `scenario` in `column`, opening tag and content.
    fn td<'a>(page: &'a str, scenario: &str, column: &str) -> &'a str {
        let key = format!(
            "data-scenario=\"{scenario}\" data-version=\"{}\" data-outcome=",
            column.replace('>', "&gt;")
        );
        let at = page
            .find(&key)
            .unwrap_or_else(|| panic!("no cell {scenario} on {column}"));
        let start = page[..at].rfind("<td").unwrap();
        let end = at + page[at..].find("</td>").unwrap();
        &page[start..end]
    }

    /// The hidden detail article for `scenario` in `column`.
    fn detail<'a>(page: &'a str, scenario: &str, column: &str) -> &'a str {
        let key = "<article class=\"cell-detail\" id=\"detail-";
        let wanted = format!(
            "data-scenario=\"{scenario}\" data-version=\"{}\">",
            column.replace('>', "&gt;")
        );
        page.match_indices(key)
            .map(|(at, _)| &page[at..at + page[at..].find("</article>").unwrap()])
            .find(|a| a.contains(&wanted))
            .unwrap_or_else(|| panic!("no detail for {scenario} on {column}"))
    }

    fn sample() -> MatrixReport {
        let mut expected_security = refusal(cell(
            "auth/attack-embedded-jwk",
            "v3.0.0",
            Outcome::Security,
        ));
        expected_security.expected = Outcome::Security;
        let mut rollback = path_cell("upgrade/in-place", "v3.1.1", "v3.0.0", Outcome::Fail);
        rollback.expected = Outcome::Fail;
        rollback.expected_because = Some("3.0 cannot read what 3.1 <wrote>".into());
        rollback.expected_reference =
            Some("https://github.com/distribution/distribution/issues/4871".into());
        rollback.seed = Some(7);
        let mut r = report(vec![
            refusal(cell("auth/attack-alg-none", "v3.0.0", Outcome::Pass)),
            expected_security,
            path_cell("upgrade/in-place", "v3.0.0", "v3.1.1", Outcome::Pass),
            rollback,
        ]);
        r.versions.push(VersionInfo {
            tag: "v3.1.1".into(),
            version_line: "registry v3.1.1".into(),
            image: None,
        });
        r
    }

    #[test]
    fn a_refused_attack_reads_refused_in_green_and_an_accepted_one_alarms() {
        let page = render(&sample());
        let refused = td(&page, "auth/attack-alg-none", "v3.0.0");
        assert!(
            refused.starts_with("<td class=\"cell t-good\""),
            "{refused}"
        );
        assert!(refused.contains("data-outcome=\"pass\""), "{refused}");
        assert!(
            refused.contains("aria-controls=\"details\">refused</button>"),
            "{refused}"
        );
        let accepted = td(&page, "auth/attack-embedded-jwk", "v3.0.0");
        assert!(
            accepted.starts_with("<td class=\"cell t-alarm\""),
            "{accepted}"
        );
        assert!(
            accepted.contains(">accepted<small>security</small></button>"),
            "{accepted}"
        );
        let d = detail(&page, "auth/attack-alg-none", "v3.0.0");
        assert!(d.contains("<span class=\"badge t-good\" title=\"pass\">refused</span> refused what it must refuse"), "{d}");
    }

    #[test]
    fn upgrade_cells_get_a_grid_of_their_own_with_rollbacks_marked() {
        let r = sample();
        let page = render(&r);
        let (versions, paths) = page.split_at(
            page.find("<table class=\"matrix\" id=\"paths\"")
                .expect("a path grid"),
        );
        let versions = &versions[versions
            .find("<table class=\"matrix\" id=\"matrix\"")
            .unwrap()..];
        assert!(
            !versions.contains("upgrade/in-place"),
            "no upgrade row in the version grid"
        );
        assert!(
            !versions.contains("data-version=\"v3.1.1\""),
            "no empty v3.1.1 column in the version grid"
        );
        let paths = &paths[..paths.find("</table>").unwrap()];
        assert!(paths.contains(
            "<th scope=\"col\" data-version=\"v3.0.0 -&gt; v3.1.1\" title=\"v3.0.0 -&gt; v3.1.1\">v3.0.0 -&gt; v3.1.1</th>"
        ), "{paths}");
        assert!(paths.contains(
            "<th scope=\"col\" data-version=\"v3.1.1 -&gt; v3.0.0\" title=\"v3.1.1 -&gt; v3.0.0 (rollback)\" class=\"rollback\">v3.1.1 -&gt; v3.0.0<small>rollback</small></th>"
        ), "{paths}");
        assert_eq!(paths.matches("<tr data-scenario=").count(), 1, "{paths}");
        let known = td(&page, "upgrade/in-place", "v3.1.1 -> v3.0.0");
        assert!(known.starts_with("<td class=\"cell t-known\""), "{known}");
        assert!(
            known.contains("\nbecause: 3.0 cannot read what 3.1 &lt;wrote&gt;\n"),
            "the tooltip carries the reason: {known}"
        );
        assert!(
            known.contains("reference: https://github.com/distribution/distribution/issues/4871"),
            "{known}"
        );
        assert_eq!(
            page.matches("<td class=\"cell ").count(),
            r.cells.len(),
            "one cell per cell, none empty"
        );
        // Every cell has its detail, and the filter lists the paths.
        assert_eq!(
            page.matches("<article class=\"cell-detail\"").count(),
            r.cells.len()
        );
        assert!(page.contains("<input type=\"checkbox\" value=\"v3.1.1 -&gt; v3.0.0\" checked>"));
    }

    #[test]
    fn a_path_cells_detail_shows_the_path_each_steps_phase_and_version_and_the_reference() {
        let page = render(&sample());
        let d = detail(&page, "upgrade/in-place", "v3.1.1 -> v3.0.0");
        for part in [
            "<h2><code>upgrade/in-place</code> on <code>v3.1.1 -&gt; v3.0.0</code></h2>",
            "<dt>path</dt><dd class=\"path\"><code>v3.1.1</code> writes, then <code>v3.0.0</code> starts on the same storage <strong class=\"rollback-note\">rollback</strong>",
            "<th>#</th><th>phase</th><th>served by</th><th>kind</th>",
            "<td class=\"phase\">1 from</td><td class=\"served-by\"><code>v3.1.1</code></td>",
            "<td class=\"phase\">2 to</td><td class=\"served-by\"><code>v3.0.0</code></td>",
            "<dt>because</dt><dd class=\"because\">3.0 cannot read what 3.1 &lt;wrote&gt;</dd>",
            "<dt>reference</dt><dd class=\"reference\"><a href=\"https://github.com/distribution/distribution/issues/4871\" rel=\"noopener noreferrer\">",
            "<span class=\"badge t-known\" title=\"fail\">fail</span>",
            "<code>regmatrix matrix --seed 7 --scenarios upgrade/in-place --upgrades v3.1.1:v3.0.0</code>",
        ] {
            assert!(d.contains(part), "no {part:?} in\n{d}");
        }
        // Single-version steps have no phase columns.
        let plain = detail(&page, "auth/attack-alg-none", "v3.0.0");
        assert!(!plain.contains("<th>phase</th>"), "{plain}");
    }
}
