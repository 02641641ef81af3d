//! A per-client rate limit on the public routes, so one client flooding the forms cannot
//! crowd out everyone else.
//!
//! Each client has a token bucket holding `RATE_LIMIT_PER_MINUTE` requests, refilled
//! continuously; a request with no token left gets `429` with `Retry-After`. The client is
//! the peer's IP address, or — only when the peer is one of `TRUSTED_PROXIES` — the
//! right-most address in `X-Forwarded-For` that is not itself a trusted proxy (addresses
//! further left are whatever the client chose to send). `RATE_LIMIT_PER_MINUTE=0` turns the
//! limit off (benchmarks and load tests).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;

use super::AppState;

/// Buckets above this many clients are pruned of the full (idle) ones.
const PRUNE_ABOVE: usize = 10_000;

/// The limiter shared by every request.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    trusted_proxies: Vec<IpNet>,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    pub fn new(per_minute: u32, trusted_proxies: Vec<IpNet>) -> Self {
        Self {
            per_minute,
            trusted_proxies,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Who is asking: the peer, or the client behind a trusted proxy.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.is_trusted(peer) {
            return peer;
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        forwarded
            .into_iter()
            .rev()
            .find(|a| !self.is_trusted(*a))
            .unwrap_or(peer)
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }

    /// Takes a token for `client`'s bucket (see [`bucket_of`]); `Err(seconds)` to wait
    /// when there is none.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let client = bucket_of(client);
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * per_second < capacity
            });
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        bucket.tokens = (bucket.tokens
            + now.duration_since(bucket.updated).as_secs_f64() * per_second)
            .min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / per_second).ceil().max(1.0) as u64)
        }
    }
}

/// The bucket an address draws from: an IPv4 address is one client, but an IPv6 client
/// is handed a whole /64 (often more) and can take a fresh address from it for every
/// request, so the /64 is the client. An IPv4 address written as IPv6 (`::ffff:a.b.c.d`)
/// is the IPv4 address.
fn bucket_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(
                u128::from(v6) & !((1u128 << 64) - 1),
            )),
        },
    }
}

/// Middleware for the public routes.
pub async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
    let client = state.rate_limiter.client(peer, request.headers());
    match state.rate_limiter.check(client, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(retry_after) => {
            tracing::warn!(retry_after, "rate limit reached");
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, retry_after.to_string())],
                axum::Json(serde_json::json!({ "error": "too many requests; try again shortly" })),
            )
                .into_response()
        }
    }
}

/// Parses `TRUSTED_PROXIES`: comma-separated addresses or CIDR networks.
///
/// # Errors
/// The first entry that is neither.
pub fn parse_trusted_proxies(raw: &str) -> Result<Vec<IpNet>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{s:?} is not an IP address or CIDR network"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_client_gets_its_quota_then_waits() {
        let limiter = RateLimiter::new(60, vec![]);
        let (a, b) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let t0 = Instant::now();
        for _ in 0..60 {
            assert!(limiter.check(a, t0).is_ok());
        }
        assert_eq!(limiter.check(a, t0), Err(1));
        assert!(limiter.check(b, t0).is_ok(), "another client is unaffected");
        assert!(
            limiter.check(a, t0 + Duration::from_secs(1)).is_ok(),
            "one token per second comes back"
        );
    }

    #[test]
    fn zero_turns_it_off() {
        let limiter = RateLimiter::new(0, vec![]);
        for _ in 0..1000 {
            assert!(limiter
                .check(IpAddr::from([10, 0, 0, 1]), Instant::now())
                .is_ok());
        }
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let limiter = RateLimiter::new(60, parse_trusted_proxies("10.0.0.0/8, 192.0.2.1").unwrap());
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7, 10.1.1.1".parse().unwrap(),
        );
        let proxy = IpAddr::from([192, 0, 2, 1]);
        assert_eq!(
            limiter.client(proxy, &headers),
            IpAddr::from([198, 51, 100, 7])
        );
        let stranger = IpAddr::from([203, 0, 113, 50]);
        assert_eq!(
            limiter.client(stranger, &headers),
            stranger,
            "an untrusted peer cannot choose its address"
        );
        assert!(parse_trusted_proxies("not-an-ip").is_err());
    }

    #[test]
    fn an_ipv6_client_is_its_whole_64() {
        let limiter = RateLimiter::new(2, Vec::new());
        let now = Instant::now();
        let address = |tail: &str| format!("2001:db8:1:2:{tail}").parse::<IpAddr>().unwrap();
        // Three addresses of one /64: one client, limited after two.
        assert!(limiter.check(address("0:0:0:1"), now).is_ok());
        assert!(limiter.check(address("dead:beef:0:2"), now).is_ok());
        assert!(limiter.check(address("ffff:ffff:ffff:ffff"), now).is_err());
        // The next /64 is another client.
        let neighbour: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(limiter.check(neighbour, now).is_ok());
        // An IPv4 address is counted as itself, however it is written.
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert!(limiter.check(v4, now).is_ok());
        assert!(limiter.check(mapped, now).is_ok());
        assert!(limiter.check(v4, now).is_err());
    }
}
