-- Attendance (issue 19): what an organiser marked about a confirmed registration, by hand
-- (the admin API's PUT, the console) or by importing a meeting's participant report.
-- Without a mark, a join recorded by the personal join link (`joined_at`) counts as
-- attended, and once the exchange has ended no join counts as absent (computed, not stored:
-- see store/attendance.rs).
ALTER TABLE registrations ADD COLUMN attendance TEXT
    CHECK (attendance IN ('attended', 'absent', 'excused'));
-- Who set it: `organiser` (by hand) or `import` (a participant report). An import changes
-- only what no organiser set by hand: a mark by hand always wins over a report.
ALTER TABLE registrations ADD COLUMN attendance_source TEXT
    CHECK (attendance_source IN ('organiser', 'import'));
ALTER TABLE registrations ADD COLUMN attendance_marked_at TIMESTAMPTZ;
ALTER TABLE registrations ADD CONSTRAINT attendance_has_a_source
    CHECK ((attendance IS NULL) = (attendance_source IS NULL));
