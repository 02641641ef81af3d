//! Reading a service's `GET /metrics` (the Prometheus text format) in tests.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// One scrape of `/metrics`: every sample by its series (name and labels as written,
/// e.g. `convene_registrations_total{outcome="created"}`).
#[derive(Debug, Clone)]
pub struct Scrape {
    pub text: String,
    samples: BTreeMap<String, f64>,
}

impl Scrape {
    /// Parses the text format (comments and blank lines skipped).
    ///
    /// # Panics
    /// On a sample line that is not `series value`.
    pub fn parse(text: String) -> Self {
        let samples = text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (series, value) = l.rsplit_once(' ').expect("a sample line: series value");
                let value = value
                    .parse::<f64>()
                    .unwrap_or_else(|e| panic!("{l:?}: {e}"));
                (series.to_owned(), value)
            })
            .collect();
        Self { text, samples }
    }

    /// The value of one series; labels must be written in the order the encoder writes
    /// them (sorted by name).
    pub fn value(&self, series: &str) -> Option<f64> {
        self.samples.get(series).copied()
    }

    /// Every series of a metric, e.g. all `convene_http_requests_total{…}`.
    pub fn series_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = (&'a str, f64)> + 'a {
        self.samples
            .iter()
            .filter(move |(s, _)| s.as_str() == name || s.starts_with(&format!("{name}{{")))
            .map(|(s, v)| (s.as_str(), *v))
    }
}

/// `GET {base_url}/metrics`.
///
/// # Panics
/// When the service does not answer 200 with the Prometheus text content type.
pub async fn scrape(http: &reqwest::Client, base_url: &str) -> Scrape {
    let response = http
        .get(format!("{base_url}/metrics"))
        .send()
        .await
        .expect("GET /metrics");
    assert_eq!(response.status(), 200, "GET {base_url}/metrics");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "the Prometheus text format, not {content_type:?}"
    );
    Scrape::parse(response.text().await.expect("metrics body"))
}

/// Scrapes until `series` has `expected` (counters move after the work is done, which
/// may be a moment after the test saw its effect).
///
/// # Panics
/// After `timeout`, with the last scrape.
pub async fn wait_for_value(
    http: &reqwest::Client,
    base_url: &str,
    series: &str,
    expected: f64,
    timeout: Duration,
) -> Scrape {
    let deadline = Instant::now() + timeout;
    loop {
        let scrape = scrape(http, base_url).await;
        if scrape.value(series) == Some(expected) {
            return scrape;
        }
        assert!(
            Instant::now() < deadline,
            "{base_url}/metrics: {series} is {:?}, expected {expected}\n{}",
            scrape.value(series),
            scrape.text
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
