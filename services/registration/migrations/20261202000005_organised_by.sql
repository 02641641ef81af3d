-- Who organises an exchange, as participants read it ("IDC, UNHCR and IOM"): on its public
-- page and on the certificates of participation (issue 19). Empty: not said.
ALTER TABLE events ADD COLUMN organised_by TEXT NOT NULL DEFAULT '';
