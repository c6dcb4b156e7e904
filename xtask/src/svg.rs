//! A tiny SVG writer for horizontal bar charts: no fonts, no system
//! libraries; the viewer draws the text.

use std::fmt::Write as _;

/// Escapes text for SVG.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart of `bars` (label, value); the first bar is the
/// baseline: every other bar is labelled with its ratio to it. `format`
/// writes a value with its unit.
pub(crate) fn bar_chart(
    title: &str,
    subtitle: &str,
    bars: &[(String, f64)],
    format: &dyn Fn(f64) -> String,
) -> String {
    const WIDTH: f64 = 760.0;
    const ROW: f64 = 30.0;
    const TOP: f64 = 62.0;
    let label_width = bars
        .iter()
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0) as f64
        * 7.2
        + 16.0;
    let label_width = label_width.clamp(80.0, 320.0);
    let bar_room = WIDTH - label_width - 190.0;
    let max = bars.iter().map(|b| b.1).fold(0.0_f64, f64::max);
    let height = TOP + ROW * bars.len() as f64 + 16.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(
        svg,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        svg,
        r##"<text x="12" y="22" font-size="16" font-weight="bold" fill="#222">{}</text>"##,
        esc(title)
    );
    let _ = writeln!(
        svg,
        r##"<text x="12" y="42" fill="#666">{}</text>"##,
        esc(subtitle)
    );
    let baseline = bars.first().map_or(0.0, |b| b.1);
    for (i, (label, value)) in bars.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let width = if max > 0.0 {
            (value / max * bar_room).max(1.0)
        } else {
            1.0
        };
        let colour = if i == 0 { "#9aa5b1" } else { "#3b82c4" };
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#222">{}</text>"##,
            label_width - 8.0,
            y + 15.0,
            esc(label)
        );
        let _ = writeln!(
            svg,
            r#"<rect x="{label_width:.1}" y="{:.1}" width="{width:.1}" height="20" fill="{colour}"/>"#,
            y + 1.0
        );
        let ratio = if i == 0 {
            " (baseline)".to_owned()
        } else if baseline > 0.0 {
            format!(" ({:.2}×)", value / baseline)
        } else {
            String::new()
        };
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" fill="#222">{}{}</text>"##,
            label_width + width + 6.0,
            y + 15.0,
            esc(&format(*value)),
            esc(&ratio)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::bar_chart;

    #[test]
    fn bars_scale_to_the_largest_and_text_is_escaped() {
        let svg = bar_chart(
            "a <b>",
            "time",
            &[("base".to_owned(), 50.0), ("x&y".to_owned(), 100.0)],
            &|v| format!("{v} ns"),
        );
        assert!(svg.starts_with("<svg "));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("a &lt;b&gt;"));
        assert!(svg.contains("x&amp;y"));
        assert!(svg.contains("100 ns (2.00×)"));
        assert!(svg.contains("50 ns (baseline)"));
        // The largest bar fills the room; the other is half of it.
        let widths: Vec<f64> = svg
            .match_indices(" width=\"")
            .skip(2)
            .map(|(i, m)| {
                let rest = &svg[i + m.len()..];
                rest[..rest.find('"').unwrap()].parse().unwrap()
            })
            .collect();
        assert_eq!(widths.len(), 2);
        assert!((widths[1] / widths[0] - 2.0).abs() < 1e-6, "{widths:?}");
    }
}
