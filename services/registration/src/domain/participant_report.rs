//! A meeting's participant report, as Zoom or Microsoft Teams exports it, read into the
//! rows that name someone who was there: the organisers import it to mark who attended.
//!
//! The formats met in practice, all handled here:
//! - Zoom's *Participants* report: a CSV whose header is `Name (Original Name),User
//!   Email,Join Time,Leave Time,Duration (Minutes),Guest` (older:
//!   `Name (Original Name),User Email,Total Duration (Minutes),Guest`); the meeting-details
//!   variant has a summary header and line first (whose `User Email` is the host's).
//! - Teams' attendance report: often UTF-16LE with a byte-order mark and TAB-separated,
//!   with a `1. Summary` section, then `2. Participants` whose header has `Name`, `Email`
//!   and `Participant ID (UPN)`, then further sections.
//! - Either opened and saved again in a spreadsheet: UTF-8 with or without a BOM, Windows
//!   codepage text, `;` between cells.
//!
//! So: decode the bytes (a BOM, or the zero bytes of UTF-16, say how), then for each
//! delimiter find the header row with an email column, preferring one that also names
//! people (not Zoom's summary header); the rows follow it until a blank line, a section
//! title or another header. Each row keeps its line number in the file, so the organiser
//! can find the rows that matched nobody.

/// The most rows read from one report (a meeting of this size is not an exchange).
pub const MAX_ROWS: usize = 20_000;

/// Column names that hold the participant's email address, most specific first
/// (compared trimmed and in any case).
const EMAIL_COLUMNS: [&str; 5] = [
    "user email",
    "email",
    "e-mail",
    "email address",
    "attendee email",
];
/// Teams' sign-in name: an address for members of the organisation, used when `Email`
/// is empty or absent.
const UPN_COLUMN: &str = "participant id (upn)";
/// Column names that hold the participant's name.
const NAME_COLUMNS: [&str; 5] = [
    "name (original name)",
    "name",
    "full name",
    "display name",
    "attendee name",
];

/// One row of the report about one participant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    /// Its line in the file, from 1 (as a text editor or spreadsheet numbers it).
    pub line: u64,
    /// The name as the report gives it (may be empty).
    pub name: String,
    /// The address as the report gives it, trimmed (may be empty: a guest, a phone).
    pub email: String,
}

/// A report read: its participant rows, in the file's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub rows: Vec<ReportRow>,
}

/// Reads a participant report.
///
/// # Errors
/// A sentence for the organiser when the file is empty, has no header row naming an email
/// column, or has more than [`MAX_ROWS`] rows.
pub fn parse(bytes: &[u8]) -> Result<Report, String> {
    let text = decode(bytes);
    if text.trim().is_empty() {
        return Err("The file is empty: export the participant report from Zoom or Teams and send that file.".to_owned());
    }
    // Each delimiter in turn: the first that finds a header naming people and their
    // addresses wins; else the first that finds an email column at all.
    let mut fallback = None;
    for delimiter in [b',', b'\t', b';'] {
        match read_with(&text, delimiter)? {
            Some((report, true)) => return Ok(report),
            Some((report, false)) if fallback.is_none() => fallback = Some(report),
            _ => {}
        }
    }
    fallback.ok_or_else(|| {
        "No header row with an email column (User Email, Email or Participant ID (UPN)) was found: \
         export the participants' report from Zoom or the attendance report from Teams."
            .to_owned()
    })
}

/// The text of the file: UTF-16 (by its BOM, or its zero bytes), UTF-8 (with or without a
/// BOM), else a Windows codepage read as Latin-1 (every byte a character, so nothing is
/// refused; addresses are ASCII anyway).
fn decode(bytes: &[u8]) -> String {
    let utf16 = |rest: &[u8], little: bool| {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|p| {
                if little {
                    u16::from_le_bytes([p[0], p[1]])
                } else {
                    u16::from_be_bytes([p[0], p[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    let text = match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        // ASCII text in UTF-16 without a BOM: every other byte is zero.
        [a, 0, b, 0, ..] if *a != 0 && *b != 0 => utf16(bytes, true),
        [0, a, 0, b, ..] if *a != 0 && *b != 0 => utf16(bytes, false),
        _ => match std::str::from_utf8(bytes) {
            Ok(text) => text.to_owned(),
            Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
        },
    };
    text.strip_prefix('\u{FEFF}')
        .map(str::to_owned)
        .unwrap_or(text)
}

/// A cell as compared with column names: trimmed, in lower case, without quotes or a BOM
/// left by a spreadsheet.
fn normalised(cell: &str) -> String {
    cell.trim_matches(|c: char| c.is_whitespace() || c == '"' || c == '\u{FEFF}')
        .to_lowercase()
}

/// Where a header row puts the email, UPN and name columns.
type Columns = (Option<usize>, Option<usize>, Option<usize>);

/// The columns of a header row: (email, UPN, name), if it has an email column.
fn header_columns(record: &csv::StringRecord) -> Option<Columns> {
    let cells: Vec<String> = record.iter().map(normalised).collect();
    let find = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| cells.iter().position(|c| c == name))
    };
    let email = find(&EMAIL_COLUMNS);
    let upn = cells.iter().position(|c| c == UPN_COLUMN);
    if email.is_none() && upn.is_none() {
        return None;
    }
    Some((email, upn, find(&NAME_COLUMNS)))
}

/// The report read with `delimiter`: `None` without an email column; the flag says
/// whether its header also names people.
fn read_with(text: &str, delimiter: u8) -> Result<Option<(Report, bool)>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let records: Vec<csv::StringRecord> = reader
        .records()
        .map_while(Result::ok)
        .take(MAX_ROWS + 100)
        .collect();

    // The header: the first row naming people and addresses, else the first with an
    // address column.
    let headers: Vec<(usize, Columns)> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| header_columns(r).map(|c| (i, c)))
        .collect();
    let Some(&(at, (email, upn, name))) = headers
        .iter()
        .find(|(_, (_, _, name))| name.is_some())
        .or_else(|| headers.first())
    else {
        return Ok(None);
    };

    // Its rows, up to a blank line, a section title or the next header, each with its
    // line in the file (from the record's byte offset: the reader's own line count is
    // not the line the record starts on).
    let newlines: Vec<usize> = text
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let line_of = |record: &csv::StringRecord| {
        record.position().map_or(0, |p| {
            // The offset may be that of the line break ending the record before.
            let mut byte = usize::try_from(p.byte()).unwrap_or(usize::MAX);
            while matches!(text.as_bytes().get(byte), Some(b'\r' | b'\n')) {
                byte += 1;
            }
            1 + newlines.partition_point(|&n| n < byte) as u64
        })
    };
    let cell = |r: &csv::StringRecord, i: Option<usize>| {
        i.and_then(|i| r.get(i)).unwrap_or("").trim().to_owned()
    };
    let mut rows = Vec::new();
    for record in &records[at + 1..] {
        let filled = record.iter().filter(|c| !c.trim().is_empty()).count();
        if filled <= 1 || header_columns(record).is_some() {
            break;
        }
        if rows.len() == MAX_ROWS {
            return Err(format!(
                "The report has more than {MAX_ROWS} participant rows; send it in parts."
            ));
        }
        let mut address = cell(record, email);
        if address.is_empty() {
            // Teams leaves Email empty for some members; their UPN is their address.
            address = Some(cell(record, upn))
                .filter(|upn| upn.contains('@'))
                .unwrap_or_default();
        }
        rows.push(ReportRow {
            line: line_of(record),
            name: cell(record, name),
            email: address,
        });
    }
    Ok(Some((Report { rows }, name.is_some())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le_with_bom(text: &str) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        bytes
    }

    fn row(line: u64, name: &str, email: &str) -> ReportRow {
        ReportRow {
            line,
            name: name.into(),
            email: email.into(),
        }
    }

    #[test]
    fn reads_zooms_participants_report() {
        let csv = "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\r\n\
                   Ana Pereira,ANA@Example.org ,12/15/2026 01:58:02 PM,12/15/2026 03:00:10 PM,62,No\r\n\
                   \"Diallo, Moussa (Moussa D)\",moussa@example.org,12/15/2026 02:01:00 PM,12/15/2026 02:30:00 PM,29,Yes\r\n\
                   Phone 1,,12/15/2026 02:05:00 PM,12/15/2026 02:10:00 PM,5,Yes\r\n";
        let report = parse(csv.as_bytes()).unwrap();
        assert_eq!(
            report.rows,
            vec![
                row(2, "Ana Pereira", "ANA@Example.org"),
                row(3, "Diallo, Moussa (Moussa D)", "moussa@example.org"),
                row(4, "Phone 1", ""),
            ]
        );
    }

    #[test]
    fn skips_the_summary_of_zooms_meeting_details_report() {
        // The summary's own header has `User Email` (the host): it is not the participants'.
        let csv = "\u{FEFF}Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants\n\
                   812 3456 7890,Exchange,12/15/2026 01:55:00 PM,12/15/2026 03:01:00 PM,host@example.org,66,3\n\
                   \n\
                   Name (Original Name),User Email,Total Duration (Minutes),Guest\n\
                   Ana Pereira,ana@example.org,62,No\n";
        let report = parse(csv.as_bytes()).unwrap();
        assert_eq!(report.rows, vec![row(5, "Ana Pereira", "ana@example.org")]);
    }

    #[test]
    fn reads_teams_utf16_tab_separated_report_and_stops_at_the_next_section() {
        let text = "1. Summary\r\n\
                    Meeting title\tExchange\r\n\
                    Attended participants\t3\r\n\
                    Start time\t12/15/26, 1:58:02 PM\r\n\
                    \r\n\
                    2. Participants\r\n\
                    Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole\r\n\
                    Ana Pereira\t12/15/26, 1:58:02 PM\t12/15/26, 3:00:10 PM\t1h 2m\tana@example.org\tana@example.org\tOrganizer\r\n\
                    Kofi Mensah\t12/15/26, 2:00:00 PM\t12/15/26, 2:50:00 PM\t50m\t\tKofi.Mensah@Example.org\tAttendee\r\n\
                    Guest Person (Unverified)\t12/15/26, 2:00:00 PM\t12/15/26, 2:50:00 PM\t50m\t\t\tAttendee\r\n\
                    \r\n\
                    3. In-Meeting Activities\r\n\
                    Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole\r\n\
                    Ana Pereira\t12/15/26, 1:58:02 PM\t12/15/26, 3:00:10 PM\t1h 2m\tana@example.org\tOrganizer\r\n";
        let report = parse(&utf16le_with_bom(text)).unwrap();
        assert_eq!(
            report.rows,
            vec![
                row(8, "Ana Pereira", "ana@example.org"),
                row(9, "Kofi Mensah", "Kofi.Mensah@Example.org"),
                row(10, "Guest Person (Unverified)", ""),
            ]
        );
    }

    #[test]
    fn reads_a_report_saved_again_by_a_spreadsheet() {
        // Semicolons, a Windows codepage (é as 0xE9).
        let mut bytes = b"Name;Email;Duration\r\nJos".to_vec();
        bytes.push(0xE9);
        bytes.extend_from_slice(b";jose@example.org;60\r\n");
        let report = parse(&bytes).unwrap();
        assert_eq!(report.rows, vec![row(2, "José", "jose@example.org")]);
    }

    #[test]
    fn says_what_is_wrong_with_a_file_that_is_no_report() {
        assert!(parse(b"").unwrap_err().contains("empty"));
        assert!(parse(b"Name,Duration\nAna,60\n")
            .unwrap_err()
            .contains("No header row with an email column"));
    }
}
