//! The overview's charts, drawn on the server as plain SVG (no script, no plotting crate:
//! a few bars are a few rectangles). Each bar carries its number as text, so the chart
//! reads without colour, and the figure has a caption for screen readers.

use crate::domain::{CountryCode, Role};
use crate::store::registrations::Figures;

/// The most bars a chart draws; the rest are summed into one last bar.
const MAX_BARS: usize = 15;
/// Where bars start (room for the labels), and their longest length, in SVG units.
const LABEL_WIDTH: u32 = 200;
const BAR_SPACE: u32 = 280;
/// One bar's height and the step from one bar to the next.
const BAR_HEIGHT: u32 = 20;
const STEP: u32 = 28;

/// One bar, laid out.
pub struct Bar {
    pub label: String,
    /// What the bar says: "2", "2 (1 official)".
    pub text: String,
    pub y: u32,
    pub width: u32,
    pub officials_width: u32,
}

/// A horizontal bar chart.
pub struct Chart {
    pub id: &'static str,
    pub caption: &'static str,
    pub bars: Vec<Bar>,
    /// The SVG's height.
    pub height: u32,
    pub label_width: u32,
    pub bar_height: u32,
}

impl Chart {
    /// Bars from `(label, value, officials)`, largest first.
    fn new(id: &'static str, caption: &'static str, mut rows: Vec<(String, i64, i64)>) -> Self {
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        if rows.len() > MAX_BARS {
            let rest = rows.split_off(MAX_BARS - 1);
            let others = (
                format!("{} others", rest.len()),
                rest.iter().map(|r| r.1).sum(),
                rest.iter().map(|r| r.2).sum(),
            );
            rows.push(others);
        }
        let largest = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
        let scale = |n: i64| {
            u32::try_from(n.clamp(0, largest) * i64::from(BAR_SPACE) / largest).unwrap_or(0)
        };
        let bars: Vec<Bar> = rows
            .into_iter()
            .zip(0u32..)
            .map(|((label, value, officials), i)| Bar {
                y: i * STEP,
                width: scale(value).max(1),
                officials_width: scale(officials),
                label: shortened(&label),
                text: match officials {
                    0 => value.to_string(),
                    1 => format!("{value} (1 official)"),
                    n => format!("{value} ({n} officials)"),
                },
            })
            .collect();
        Self {
            id,
            caption,
            height: u32::try_from(bars.len()).unwrap_or(0) * STEP,
            bars,
            label_width: LABEL_WIDTH,
            bar_height: BAR_HEIGHT,
        }
    }
}

/// A label that fits left of the bars (the longest country names do not).
fn shortened(label: &str) -> String {
    const MAX: usize = 24;
    if label.chars().count() <= MAX {
        label.to_owned()
    } else {
        let kept: String = label.chars().take(MAX - 1).collect();
        format!("{}…", kept.trim_end())
    }
}

/// The overview's charts: confirmed participants by country (officials darker) and by
/// role. Empty when nobody is confirmed.
pub fn overview(figures: &Figures) -> Vec<Chart> {
    if figures.status("confirmed") == 0 {
        return Vec::new();
    }
    let countries = figures
        .by_country
        .iter()
        .map(|(code, (confirmed, officials))| {
            let name =
                CountryCode::parse(code).map_or_else(|_| code.clone(), |c| c.name().to_owned());
            (name, *confirmed, *officials)
        })
        .collect();
    let roles = figures
        .by_role
        .iter()
        .map(|(role, n)| {
            let label = Role::parse(role).map_or_else(|_| role.clone(), |r| r.label().to_owned());
            (label, *n, 0)
        })
        .collect();
    vec![
        Chart::new(
            "by-country",
            "Confirmed participants by country (the darker part: government officials)",
            countries,
        ),
        Chart::new("by-role", "Confirmed participants by role", roles),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_bar_is_full_length_and_the_tail_is_summed() {
        let rows = (1..=20)
            .map(|i| (format!("c{i:02}"), i * i, i * i / 2))
            .collect();
        let chart = Chart::new("x", "x", rows);
        assert_eq!(chart.bars.len(), MAX_BARS);
        assert_eq!(chart.bars[0].text, "400 (200 officials)");
        assert_eq!(chart.bars[0].width, BAR_SPACE);
        assert_eq!(chart.bars[0].officials_width, BAR_SPACE / 2);
        let last = chart.bars.last().unwrap();
        assert_eq!(last.label, "6 others");
        assert_eq!(last.text, "91 (44 officials)");
        assert_eq!(chart.bars[1].width, BAR_SPACE * 361 / 400);
        assert_eq!(
            shortened("Congo, the Democratic Republic of the")
                .chars()
                .count(),
            24
        );
        assert_eq!(chart.height, 15 * STEP);
    }
}
