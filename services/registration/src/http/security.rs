//! The headers that keep a browser on our side: a Content-Security-Policy on every page,
//! no referrer, no sniffing, no framing, and nothing cached from a page reached by a
//! secret link.
//!
//! The pages keep their stylesheets and one small script inline (a participant on a
//! slow link gets the page in one request), so the policy allows exactly those by
//! their SHA-256 (`'sha256-…'`) and nothing else inline: both are constants here, and the
//! templates insert the same constants, so the hashes cannot drift from what is served.

use std::sync::LazyLock;

use axum::extract::{MatchedPath, Request};
use axum::http::header::{self, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};

/// The pages' stylesheet (`templates/base.html` inlines it).
pub const PAGE_CSS: &str = include_str!("../../assets/page.css");
/// The console's own additions (`templates/console/layout.html`).
pub const CONSOLE_CSS: &str = include_str!("../../assets/console.css");
/// Fills the registration form's time zone from the browser (`templates/register.html`).
pub const TIMEZONE_SCRIPT: &str = include_str!("../../assets/timezone.js");

/// `'sha256-<base64>'` of an inline element's text, as CSP wants it.
fn csp_hash(text: &str) -> String {
    use base64::Engine as _;
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The policy of every HTML page: everything from this origin only, the inline style and
/// script only by hash, forms posted only here, never inside a frame.
pub static CONTENT_SECURITY_POLICY: LazyLock<HeaderValue> = LazyLock::new(|| {
    let policy = format!(
        "default-src 'self'; style-src {} {}; script-src {}; img-src 'self' data:; \
         form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'",
        csp_hash(PAGE_CSS),
        csp_hash(CONSOLE_CSS),
        csp_hash(TIMEZONE_SCRIPT),
    );
    HeaderValue::from_str(&policy).expect("the policy is ASCII")
});

/// Whether a request carries a secret that grants something: a manage link
/// (`/registrations/{token}`), a personal join link (`/j/{token}`, whose answer is a
/// redirect to the private meeting link), and any route with a `{token}`; an invitation
/// (`?invitation=`), or the organisers' console. What answers it must not be cached.
fn carries_secret(request: &Request) -> bool {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("", MatchedPath::as_str);
    route.contains("{token}")
        || request.uri().path().starts_with("/console")
        || request
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|p| p.starts_with("invitation=")))
}

/// Middleware adding the headers above to every response of the registration service.
pub async fn headers(request: Request, next: Next) -> Response {
    let secret = carries_secret(&request);
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if is_html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY.clone(),
        );
        // For browsers older than CSP's frame-ancestors.
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if secret {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_each_inline_element_by_its_hash() {
        let policy = CONTENT_SECURITY_POLICY.to_str().unwrap();
        assert!(policy.starts_with("default-src 'self';"));
        assert!(policy.contains("frame-ancestors 'none'"));
        // sha256 of "" is 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=.
        assert_eq!(
            csp_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
        assert!(policy.contains(&csp_hash(PAGE_CSS)));
        assert!(policy.contains(&csp_hash(CONSOLE_CSS)));
        assert!(policy.contains(&csp_hash(TIMEZONE_SCRIPT)));
    }
}
