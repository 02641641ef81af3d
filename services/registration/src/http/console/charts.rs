//! The overview's charts, drawn on the server as plain SVG (no script, no plotting crate:
//! a few bars are a few rectangles). Each bar carries its number as text, so the chart
//! reads without colour, and the figure has a caption for screen readers.
//!
//! Two kinds: horizontal bars for confirmed participants by country and by role
//! ([`overview`]), and columns for registrations over time ([`per_day`]), whose figures
//! are also given as a table for those who cannot see the picture.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

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

/// The most columns the time chart draws: about two months of days, or of weeks when the
/// registrations span longer (then the latest weeks).
const MAX_COLUMNS: usize = 62;
/// The time chart's drawing area, in SVG units: columns between `LEFT` and `RIGHT`, from
/// the baseline `BASE` up to `BASE - TALLEST`.
const LEFT: u32 = 40;
const RIGHT: u32 = 580;
const BASE: u32 = 170;
const TALLEST: u32 = 150;

/// One column of the time chart, laid out.
pub struct Column {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    /// Where its value and label are centred.
    pub centre: u32,
    /// Its day or week and count, as a tooltip and for screen readers: "3 Mar 2027: 5".
    pub title: String,
    /// The count written above the column, when there is room and it is not 0.
    pub value: Option<i64>,
    /// The date written under the column (every few columns).
    pub label: Option<String>,
}

/// Registrations per day (or per week) as columns.
pub struct TimeChart {
    pub caption: String,
    pub columns: Vec<Column>,
    /// The tallest column's count, written at the top of the axis.
    pub peak: i64,
    pub base: u32,
    pub top: u32,
    pub left: u32,
    pub right: u32,
    /// Every day or week with its count (those with none left out), for the table.
    pub rows: Vec<(String, i64)>,
}

/// Registrations per day of the exchange's zone (`zone`), from the quarter-hour counts of
/// `registrations::arrivals`; per week (from Monday) when they span more than
/// [`MAX_COLUMNS`] days. Every day between the first and the last is drawn, those without
/// a registration as nothing, so the gaps show. `None` when nobody has registered.
pub fn per_day(arrivals: &[(DateTime<Utc>, i64)], zone: &str) -> Option<TimeChart> {
    // 1. Counts per local day.
    let tz: Tz = zone.parse().unwrap_or(Tz::UTC);
    let mut days: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for (quarter, n) in arrivals {
        *days
            .entry(quarter.with_timezone(&tz).date_naive())
            .or_default() += n;
    }
    let (first, last) = (*days.keys().next()?, *days.keys().next_back()?);

    // 2. Days, or weeks when there are too many days; the latest when still too many.
    let weekly = (last - first).num_days() >= MAX_COLUMNS as i64;
    let start_of = |day: NaiveDate| {
        if weekly {
            day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
        } else {
            day
        }
    };
    let step = Duration::days(if weekly { 7 } else { 1 });
    let mut buckets: Vec<(NaiveDate, i64)> = Vec::new();
    let mut at = start_of(first);
    while at <= last {
        buckets.push((at, 0));
        at += step;
    }
    for (day, n) in days {
        let start = start_of(day);
        if let Some(bucket) = buckets.iter_mut().find(|(b, _)| *b == start) {
            bucket.1 += n;
        }
    }
    let dropped = buckets.len().saturating_sub(MAX_COLUMNS);
    buckets.drain(..dropped);

    // 3. Laid out: the tallest column full height, a label under every few.
    let peak = buckets.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let slot = (RIGHT - LEFT) / u32::try_from(buckets.len()).unwrap_or(1).max(1);
    let slot = slot.min(60);
    let gap = if slot >= 6 { 2 } else { 0 };
    let label_every = buckets.len().div_ceil(7).max(1);
    let name = |day: NaiveDate, year: bool| {
        let date = if year {
            day.format("%-d %b %Y").to_string()
        } else {
            day.format("%-d %b").to_string()
        };
        if weekly {
            format!("week of {date}")
        } else {
            date
        }
    };
    let columns = buckets
        .iter()
        .zip(0u32..)
        .map(|(&(day, n), i)| {
            let height = u32::try_from(n.clamp(0, peak) * i64::from(TALLEST) / peak).unwrap_or(0);
            let x = LEFT + i * slot + gap / 2;
            Column {
                x,
                centre: x + (slot - gap) / 2,
                y: BASE - height,
                width: slot - gap,
                height,
                title: format!("{}: {n}", name(day, true)),
                value: (n > 0 && slot >= 16).then_some(n),
                label: (i as usize)
                    .is_multiple_of(label_every)
                    .then(|| day.format("%-d %b").to_string()),
            }
        })
        .collect();
    let total: i64 = buckets.iter().map(|b| b.1).sum();
    let mut caption = format!(
        "Registrations per {} ({total} in all, every status; by the {} they registered, in the \
         exchange's time zone)",
        if weekly { "week" } else { "day" },
        if weekly { "week" } else { "day" },
    );
    if dropped > 0 {
        caption.push_str(&format!("; the latest {MAX_COLUMNS} weeks"));
    }
    Some(TimeChart {
        caption,
        columns,
        peak,
        base: BASE,
        top: BASE - TALLEST,
        left: LEFT,
        right: RIGHT,
        rows: buckets
            .iter()
            .filter(|b| b.1 > 0)
            .map(|&(day, n)| (name(day, true), n))
            .collect(),
    })
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

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn days_are_the_exchanges_and_empty_days_are_drawn_empty() {
        // 23:30 UTC on the 1st is already the 2nd in Kathmandu (UTC+5:45).
        let arrivals = [
            (at("2027-03-01T10:00:00Z"), 2),
            (at("2027-03-01T23:30:00Z"), 1),
            (at("2027-03-04T12:15:00Z"), 4),
        ];
        let utc = per_day(&arrivals, "UTC").unwrap();
        assert_eq!(utc.columns.len(), 4);
        assert_eq!(
            utc.rows,
            [("1 Mar 2027".to_owned(), 3), ("4 Mar 2027".to_owned(), 4)]
        );
        let nepal = per_day(&arrivals, "Asia/Kathmandu").unwrap();
        assert_eq!(
            nepal.rows,
            [
                ("1 Mar 2027".to_owned(), 2),
                ("2 Mar 2027".to_owned(), 1),
                ("4 Mar 2027".to_owned(), 4)
            ]
        );
        assert_eq!(nepal.peak, 4);
        let tallest = &nepal.columns[3];
        assert_eq!((tallest.height, tallest.y), (TALLEST, BASE - TALLEST));
        assert_eq!(nepal.columns[2].height, 0, "the 3rd had nobody");
        assert_eq!(nepal.columns[0].title, "1 Mar 2027: 2");
        assert!(nepal.caption.starts_with("Registrations per day (7 in all"));
        assert!(per_day(&[], "UTC").is_none());
    }

    #[test]
    fn a_long_span_is_drawn_in_weeks() {
        let arrivals = [
            (at("2027-01-06T10:00:00Z"), 1), // a Wednesday
            (at("2027-01-04T10:00:00Z"), 1), // the Monday before
            (at("2027-05-01T10:00:00Z"), 3),
        ];
        let chart = per_day(&arrivals, "UTC").unwrap();
        assert!(chart.caption.starts_with("Registrations per week"));
        assert_eq!(chart.rows[0], ("week of 4 Jan 2027".to_owned(), 2));
        assert!(chart.columns.len() <= MAX_COLUMNS);
        assert!(chart.columns.iter().all(|c| c.x + c.width <= RIGHT));
    }
}
