//! Inline SVG bar charts, for pages that must fetch nothing.

use super::page::escape;

/// A horizontal SVG bar chart of `series` (label, value), for inlining in
/// the page; empty when the series is. Non-finite and negative values draw
/// no bar. Labels are escaped; the SVG has no external references.
pub fn bar_chart_svg(title: &str, unit: &str, series: &[(String, f64)]) -> String {
    if series.is_empty() {
        return String::new();
    }
    const BAR_AREA: f64 = 420.0;
    const ROW: f64 = 24.0;
    const TOP: f64 = 28.0;
    let label_width = series
        .iter()
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(4, 40) as f64
        * 7.5
        + 12.0;
    let drawable = |v: f64| if v.is_finite() && v > 0.0 { v } else { 0.0 };
    let max = series
        .iter()
        .map(|(_, v)| drawable(*v))
        .fold(0.0_f64, f64::max);
    let width = label_width + BAR_AREA + 110.0;
    let height = TOP + ROW * series.len() as f64 + 8.0;
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" aria-label=\"{t}\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\"><title>{t}</title>\
         <text x=\"0\" y=\"16\" class=\"chart-title\">{t}</text>",
        t = escape(title)
    );
    for (i, (label, value)) in series.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let bar = if max > 0.0 {
            drawable(*value) / max * BAR_AREA
        } else {
            0.0
        };
        let shown = if value.is_finite() {
            format!("{} {}", format_number(*value), unit)
        } else {
            "n/a".to_string()
        };
        svg.push_str(&format!(
            "<g class=\"bar\"><text x=\"{lx:.1}\" y=\"{ty:.1}\" text-anchor=\"end\">{label}</text>\
             <rect x=\"{label_width:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" rx=\"2\"></rect>\
             <text x=\"{vx:.1}\" y=\"{ty:.1}\">{shown}</text></g>",
            lx = label_width - 8.0,
            ty = y + 15.0,
            h = ROW - 6.0,
            vx = label_width + bar + 6.0,
            label = escape(label),
            shown = escape(shown.trim_end()),
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn format_number(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}
