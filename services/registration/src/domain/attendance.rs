//! Whether a confirmed participant took part in the exchange, as an organiser marks it.

/// What an organiser marks (the admin API's and the console's values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attendance {
    Attended,
    /// A no-show.
    Absent,
    /// Did not come, and said so beforehand.
    Excused,
}

impl Attendance {
    pub const ALL: [Attendance; 3] = [Self::Attended, Self::Absent, Self::Excused];

    /// # Errors
    /// When the value is not one of the three.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "attended" => Ok(Self::Attended),
            "absent" => Ok(Self::Absent),
            "excused" => Ok(Self::Excused),
            _ => Err("Use attended, absent or excused (or null to go back to what the join link recorded).".to_owned()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Attended => "attended",
            Self::Absent => "absent",
            Self::Excused => "excused",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_values_and_nothing_else() {
        for a in Attendance::ALL {
            assert_eq!(Attendance::parse(a.as_str()), Ok(a));
        }
        assert!(Attendance::parse("present").is_err());
        assert!(Attendance::parse("").is_err());
    }
}
