//! Where to land after signing in to the console: a deep link that survives sign-in, and
//! can never send anyone to another site.

/// A path on this site under `/console` (`/console`, `/console/…` or `/console?…`), at
/// most 512 printable ASCII characters, without `//` or a backslash (which a browser may
/// read as another host). Anything else becomes `/console`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsolePath(String);

impl ConsolePath {
    /// The console's home page.
    pub fn home() -> Self {
        Self("/console".to_owned())
    }

    /// `raw` when it is a safe console path, otherwise the home page (a bad `next` is not
    /// the person's mistake, so it is not reported).
    pub fn parse_or_home(raw: Option<&str>) -> Self {
        raw.map(str::trim)
            .filter(|p| Self::is_safe(p))
            .map_or_else(Self::home, |p| Self(p.to_owned()))
    }

    fn is_safe(path: &str) -> bool {
        let under_console =
            path == "/console" || path.starts_with("/console/") || path.starts_with("/console?");
        under_console
            && path.len() <= 512
            && path.bytes().all(|b| b.is_ascii_graphic())
            && !path.contains("//")
            && !path.contains('\\')
            && !path.contains("/..")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_console_paths_only() {
        for ok in ["/console", "/console/events/atd-2026", "/console?tab=past"] {
            assert_eq!(ConsolePath::parse_or_home(Some(ok)).as_str(), ok);
        }
        for bad in [
            "https://evil.example/console",
            "//evil.example/console",
            "/console//evil.example",
            "/consolex",
            "/events/atd-2026",
            "/console/\\evil.example",
            "/console/../registrations/x",
            "/console/a b",
            "",
        ] {
            assert_eq!(
                ConsolePath::parse_or_home(Some(bad)).as_str(),
                "/console",
                "{bad:?} must not survive"
            );
        }
        assert_eq!(ConsolePath::parse_or_home(None).as_str(), "/console");
    }
}
