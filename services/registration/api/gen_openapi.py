#!/usr/bin/env python3
"""Writes api/openapi.json, the OpenAPI 3 document of the registration service.

The document is committed and served at /openapi.json; a unit test checks that its paths and
methods are exactly the service's route table, and schemathesis (in `make test`) checks the
running service against it. Edit this script, run it, commit both.
"""
import json
import pathlib
import re

HERE = pathlib.Path(__file__).resolve().parent
# The ISO codes the service accepts, from the same table it validates with.
COUNTRIES = re.findall(r'\(\s*"([A-Z]{2})",', (HERE.parent / "src/domain/country_names.rs").read_text(encoding="utf-8"))
assert len(COUNTRIES) == 249, len(COUNTRIES)

ref = lambda name: {"$ref": f"#/components/schemas/{name}"}
json_body = lambda schema: {"content": {"application/json": {"schema": schema}}}
html = lambda desc: {"description": desc, "content": {"text/html": {"schema": {"type": "string"}}}}
error = lambda desc: {"description": desc, **json_body(ref("Error"))}
retry_after = {"Retry-After": {"schema": {"type": "string"}, "description": "Seconds to wait"}}
limited = {"description": "Too many requests from this client", **json_body(ref("Error")), "headers": retry_after}
unavailable = {"description": "Postgres is unavailable; nothing was written", **json_body(ref("Error")), "headers": retry_after}
invalid = {"description": "Invalid input; each bad field is named", **json_body(ref("FieldErrors"))}
# `demo` exists wherever SEED_DEMO=true, so generated requests reach the real logic.
slug = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}, "example": "demo"}
token = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
email_q = {"name": "email", "in": "query", "required": True, "schema": {"type": "string", "format": "email"}, "example": "someone@example.org"}
organiser_email = {"name": "email", "in": "path", "required": True, "schema": {"type": "string", "format": "email"}, "example": "organiser@example.org"}
bearer = [{"admin": []}]


def body_errors(form=False):
    """What any request with a body can get before a handler runs."""
    return {
        "400": error("Malformed body"),
        "413": error("Body over MAX_BODY_BYTES"),
        "415": error("Wrong Content-Type"),
    }


def admin(op):
    op["security"] = bearer
    op["responses"]["401"] = error("Missing or wrong admin token")
    op["responses"]["503"] = unavailable
    return op


def public(op):
    op["responses"]["429"] = limited
    op["responses"]["503"] = unavailable
    return op


registration_fields = {
    "name": {"type": "string", "minLength": 1, "maxLength": 200, "description": "Full name, one line"},
    "email": {"type": "string", "format": "email", "maxLength": 254},
    "organisation": {"type": "string", "minLength": 1, "maxLength": 200},
    "country": {"type": "string", "enum": COUNTRIES, "description": "ISO 3166-1 alpha-2 code, e.g. SN (any case)"},
    "role": {"type": "string", "enum": ["government_official", "un_entity", "civil_society", "other"]},
    "consent": {"description": "Must be given: true (or `on`/`true` in a form)", "enum": [True, "true", "on", "yes", "1"]},
    "invitation": {"type": "string", "description": "The secret of an invitation link (`invitation=` in its address); needed for an exchange by invitation only, and then the email must be the invited one"},
    "website": {"type": "string", "description": "Honeypot: leave empty. The form hides it from people; a request that fills it is told it worked (`202 {\"status\": \"received\"}` from the JSON API once the other fields are valid, the usual redirect from the form) and nothing is stored or emailed"},
}
offer_fields = {
    "organisation": {"type": "string", "minLength": 1, "maxLength": 200},
    "country": {"type": "string", "enum": COUNTRIES, "description": "ISO 3166-1 alpha-2 code (any case)"},
    "contact_name": {"type": "string", "minLength": 1, "maxLength": 200},
    "contact_email": {"type": "string", "format": "email", "maxLength": 254},
    "support_kind": {"type": "string", "enum": ["funding", "hosting", "expertise", "speakers", "interpretation", "other"]},
    "message": {"type": "string", "maxLength": 5000},
    "website": {"type": "string", "description": "Honeypot: leave empty. A request that fills it is told it worked (`201` with an id, once the other fields are valid) and nothing is stored or emailed"},
}
form = lambda fields: {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {k: {"type": "string"} for k in fields}}}}}

event_public = {
    "type": "object",
    "required": ["id", "slug", "title", "description", "starts_at", "ends_at", "timezone", "capacity", "topics", "registration_url", "cosponsor_url"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "slug": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "starts_at": {"type": "string", "format": "date-time"},
        "ends_at": {"type": "string", "format": "date-time"},
        "timezone": {"type": "string", "description": "IANA time zone name"},
        "capacity": {"type": ["integer", "null"]},
        "topics": {"type": "array", "items": {"type": "string"}},
        "registration_url": {"type": "string"},
        "registration_opens_at": {"type": ["string", "null"], "format": "date-time"},
        "registration_closes_at": {"type": ["string", "null"], "format": "date-time"},
        "cosponsor_url": {"type": "string"},
    },
}
reminder_notes = {"type": "array", "maxItems": 60, "description": "Organisers' words added to reminders: one per offset and language; a participant gets theirs, else the English one",
                  "items": {"type": "object", "additionalProperties": False, "required": ["offset_minutes", "lang", "text"],
                            "properties": {"offset_minutes": {"type": "integer", "description": "One of reminder_offsets_minutes"},
                                           "lang": {"type": "string", "enum": ["en", "fr", "es"]},
                                           "text": {"type": "string", "minLength": 1, "maxLength": 2000}}}}
event_admin = {
    "allOf": [event_public, {
        "type": "object",
        "required": ["organiser_emails", "viewer_emails", "reminder_offsets_minutes", "created_at", "location", "online_link", "status", "version",
                     "requires_approval", "country_cap", "waitlist_offer_hours", "reminder_notes", "invitation_only",
                     "meeting_url", "join_opens_minutes", "confirm_email", "organised_by", "materials_url", "recording_url", "survey_url", "survey_closes_days"],
        "properties": {
            "organiser_emails": {"type": "array", "items": {"type": "string"}},
            "viewer_emails": {"type": "array", "items": {"type": "string"}},
            "reminder_offsets_minutes": {"type": "array", "items": {"type": "integer"}},
            "created_at": {"type": "string", "format": "date-time"},
            "location": {"type": "string"},
            "online_link": {"type": "string"},
            "status": {"type": "string", "enum": ["scheduled", "cancelled"]},
            "version": {"type": "integer"},
            "requires_approval": {"type": "boolean"},
            "country_cap": {"type": ["integer", "null"]},
            "waitlist_offer_hours": {"type": "integer"},
            "reminder_notes": reminder_notes,
            "invitation_only": {"type": "boolean"},
            "meeting_url": {"type": "string"},
            "join_opens_minutes": {"type": "integer"},
            "confirm_email": {"type": "boolean"},
            "organised_by": {"type": "string"},
            "materials_url": {"type": "string"},
            "recording_url": {"type": "string"},
            "survey_url": {"type": "string"},
            "survey_closes_days": {"type": "integer"},
        },
    }],
}
event_detail = {
    "allOf": [event_public, {
        "type": "object",
        "required": ["status", "location", "seats_left", "cosponsors"],
        "properties": {
            "status": {"type": "string", "enum": ["scheduled", "cancelled"]},
            "location": {"type": "string"},
            "seats_left": {"type": ["integer", "null"]},
            "organised_by": {"type": "string", "description": "Who organises it (may be empty)"},
            "cosponsors": {"type": "array", "items": {"type": "object", "required": ["organisation", "country"],
                           "properties": {"organisation": {"type": "string"}, "country": {"type": "string"}}}},
        },
    }],
}
event_fields = {
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": {"type": "string", "maxLength": 10000},
    "starts_at": {"type": "string", "format": "date-time"},
    "ends_at": {"type": "string", "format": "date-time"},
    "timezone": {"type": "string", "description": "IANA name, e.g. Europe/Zurich"},
    "capacity": {"type": ["integer", "null"], "minimum": 1, "maximum": 1000000},
    "organiser_emails": {"type": "array", "minItems": 1, "maxItems": 20, "items": {"type": "string", "format": "email"}},
    "viewer_emails": {"type": "array", "maxItems": 50, "items": {"type": "string", "format": "email"},
                      "description": "Who may see the exchange in the organisers' console (its lists and figures) without changing anything"},
    "topics": {"type": "array", "maxItems": 20, "items": {"type": "string", "minLength": 1, "maxLength": 100}},
    "reminder_offsets_minutes": {"type": "array", "maxItems": 10, "items": {"type": "integer", "minimum": 1, "maximum": 129600}},
    "location": {"type": "string", "maxLength": 300},
    "online_link": {"type": "string", "maxLength": 500, "description": "https://… (shown to participants only)"},
    "requires_approval": {"type": "boolean", "description": "Registrations wait as pending until approved"},
    "country_cap": {"type": ["integer", "null"], "minimum": 1, "maximum": 10000, "description": "Confirmed seats per country at most"},
    "registration_opens_at": {"type": ["string", "null"], "format": "date-time"},
    "registration_closes_at": {"type": ["string", "null"], "format": "date-time"},
    "waitlist_offer_hours": {"type": "integer", "minimum": 1, "maximum": 720, "description": "How long a freed seat is held for the first in line (default 48)"},
    "reminder_notes": reminder_notes,
    "invitation_only": {"type": "boolean", "description": "Only invited people can register, each with their personal link"},
    "confirm_email": {"type": "boolean", "description": "Participants confirm their address: a registration is `unconfirmed`, holding no seat, until the link emailed to it is opened (within EMAIL_CONFIRM_HOURS, default 48), and `lapsed` otherwise. Registering with an invitation link needs no confirmation."},
    "organised_by": {"type": "string", "maxLength": 300,
                     "description": "Who organises it, as participants should read it (e.g. \"IDC, UNHCR and IOM\"); on its public page and on certificates of participation"},
    "meeting_url": {"type": "string", "maxLength": 1000, "pattern": "^(https://.+)?$",
                    "description": "The private meeting link of an online exchange (https://…; empty: not online). Never shown publicly nor sent in any message: "
                                   "each confirmed participant's personal join link (/j/{token}) redirects to its current value during the exchange"},
    "join_opens_minutes": {"type": "integer", "minimum": 0, "maximum": 1440,
                           "description": "How many minutes before the start join links open the meeting (default 30)"},
    "materials_url": {"type": "string", "maxLength": 1000, "pattern": "^(https://.+)?$",
                      "description": "Where participants find the exchange's materials (https://…; empty: none), told in the follow-up email after the exchange; may be set or changed before or after it"},
    "survey_url": {"type": "string", "maxLength": 1000, "pattern": "^(https://.+)?$",
                   "description": "An external feedback survey used instead of Convene's own (https://…; empty: Convene's): the survey link of the follow-up email leads there"},
    "survey_closes_days": {"type": "integer", "minimum": 1, "maximum": 90,
                           "description": "How many days after the end Convene's survey takes answers (default 14)"},
    "recording_url": {"type": "string", "maxLength": 1000, "pattern": "^(https://.+)?$",
                      "description": "Where participants watch the exchange's recording (https://…; empty: none), told in the follow-up email after the exchange; may be set or changed before or after it"},
}
offer_record = {"type": "object", "required": ["id", "organisation", "country", "contact_name", "contact_email", "support_kind", "status"],
                "properties": {"id": {"type": "string", "format": "uuid"}, "event_id": {"type": "string", "format": "uuid"},
                               "organisation": {"type": "string"}, "country": {"type": "string"}, "contact_name": {"type": "string"},
                               "contact_email": {"type": "string"}, "support_kind": {"type": "string"}, "message": {"type": "string"},
                               "status": {"type": "string", "enum": ["received", "accepted", "declined"]}, "decision_note": {"type": "string"},
                               "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
                               "decided_at": {"type": ["string", "null"], "format": "date-time"}}}
list_params = [
    {"name": n, "in": "query", "required": False, "schema": sch} for n, sch in [
        ("status", {"type": "string", "enum": ["confirmed", "waitlisted", "offered", "pending", "unconfirmed", "cancelled", "rejected", "expired", "lapsed"]}),
        ("country", {"type": "string"}),
        ("role", {"type": "string", "enum": ["government_official", "un_entity", "civil_society", "other"]}),
        ("page", {"type": "integer", "minimum": 1, "maximum": 1000000}),
        ("per_page", {"type": "integer", "minimum": 1, "maximum": 1000}),
        ("format", {"type": "string", "enum": ["json", "csv"]}),
    ]
]
# The organisers' console: HTML pages behind a session cookie (from an emailed one-time
# link); every POST but signing in carries the session's CSRF token.
redirect = lambda desc: {"description": desc, "headers": {"Location": {"schema": {"type": "string"}, "description": "Where to go"}}}
# A personal join link: from join_opens_minutes before the start until the end, for a
# confirmed registration of an online exchange, the meeting (the first time records the
# join); otherwise a page that says why not, never the meeting link. Never cached.
join_responses = {
    "303": redirect("The exchange's current meeting link"),
    "200": html("Too early (the start time, and when the link opens, in the participant's zone and language), or the exchange is not online"),
    "400": error("Malformed path"),
    "403": html("The registration is not confirmed (cancelled, waitlisted, offered, pending, rejected, expired) or was erased"),
    "404": html("No registration has this token"),
    "410": html("The exchange has ended, or was cancelled"),
}
csrf_form = form({"csrf": {}})
next_q = {"name": "next", "in": "query", "required": False, "schema": {"type": "string"},
          "description": "Where to land after signing in: a path under /console (anything else is ignored)"}
registration_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
console_decision = lambda what: {"post": public({
    "summary": what, "parameters": [slug, registration_id], "requestBody": csrf_form,
    "responses": {"303": redirect("Decided: back to the exchange's page"), "400": error("Malformed path"),
                  "403": html("Not signed in, without the session's CSRF token, or a viewer: nothing changed"),
                  "404": html("No such exchange or registration, or not one this person may see"),
                  "409": html("Nothing to decide (not in a state this decision applies to)"), **body_errors()}})}
console_offer_decision = lambda what: {"post": public({
    "summary": what, "parameters": [slug, registration_id | {"description": "The offer's id"}],
    "requestBody": form({"csrf": {}, "note": {}}),
    "responses": {"303": redirect("Decided: back to the exchange's page; its contact is emailed"), "400": error("Malformed path"),
                  "403": html("Not signed in, without the session's CSRF token, or a viewer: nothing changed"),
                  "404": html("No such exchange or offer, or not one this person may see"),
                  "422": html("The note is too long or holds control characters"), **body_errors()}})}
# The exchange form: every field of the admin API's create and PATCH, as typed; times in
# the exchange's own zone (`YYYY-MM-DDTHH:MM`), note rows repeating their three fields.
exchange_form = form({k: {} for k in [
    "csrf", "slug", "title", "description", "timezone", "starts_at", "ends_at", "location", "online_link",
    "capacity", "country_cap", "waitlist_offer_hours", "requires_approval", "invitation_only",
    "registration_opens_at", "registration_closes_at", "reminder_offsets", "organiser_emails", "viewer_emails",
    "topics", "note_offset", "note_lang", "note_text", "meeting_url", "join_opens_minutes", "materials_url", "recording_url", "confirm_email", "organised_by", "survey_url", "survey_closes_days"]})
not_signed_in = redirect("Not signed in: to the sign-in form, which comes back here")
refused_post = html("Not signed in, without the session's CSRF token, or not allowed to change it: nothing changed")
# The console's registration list filters: read as text and checked by the service, so a
# bad value is a 422 page naming it.
console_filters = [
    {"name": n, "in": "query", "required": False, "schema": {"type": "string"}, "description": d} for n, d in [
        ("status", "Only registrations with this status (confirmed, waitlisted, offered, pending, cancelled, rejected, expired)"),
        ("country", "Only those from this country (ISO 3166-1 alpha-2)"),
        ("role", "Only those in this role (government_official, un_entity, civil_society, other)"),
        ("q", "Only those whose name, email or organisation contains this, in any case (at most 100 characters)"),
        ("page", "Which page of 100 registrations, from 1"),
    ]
]
offer_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
decision_body = {"required": False, **json_body({"type": "object", "additionalProperties": False, "properties": {"note": {"type": "string", "maxLength": 2000}}})}

doc = {
    "openapi": "3.1.0",
    "info": {
        "title": "Convene registration service",
        "version": "1.0.0",
        "description": "Peer-learning exchanges: registrations, co-sponsorship offers, and the organisers' admin API.",
    },
    "components": {
        "securitySchemes": {"admin": {"type": "http", "scheme": "bearer", "description": "One of ADMIN_TOKEN's tokens"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}, "fields": {"type": "object", "additionalProperties": {"type": "string"}}}},
            "FieldErrors": {"type": "object", "required": ["error", "fields"], "properties": {"error": {"type": "string"}, "fields": {"type": "object", "additionalProperties": {"type": "string"}, "description": "field name → what is wrong"}}},
            "EventPublic": event_public,
            "EventAdmin": event_admin,
            "EventCreate": {
                "type": "object",
                "additionalProperties": False,
                "required": ["slug", "title", "starts_at", "ends_at", "timezone", "organiser_emails"],
                "properties": {
                    "slug": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "minLength": 3, "maxLength": 64},
                    **event_fields,
                },
            },
            "EventPatch": {"type": "object", "additionalProperties": False, "properties": event_fields,
                           "description": "Any subset of the fields; the slug cannot change."},
            "EventDetail": event_detail,
            "CosponsorOfferRecord": offer_record,
            "RegistrationRequest": {"type": "object", "properties": registration_fields, "required": ["name", "email", "organisation", "country", "role", "consent"]},
            "RegistrationReceived": {"type": "object", "required": ["status"], "additionalProperties": False, "properties": {
                "status": {"type": "string", "enum": ["received"]}}},
            "CosponsorOfferRequest": {"type": "object", "properties": offer_fields, "required": ["organisation", "country", "contact_name", "contact_email", "support_kind"]},
            "CosponsorOffer": {"type": "object", "required": ["id", "event", "status"], "properties": {
                "id": {"type": "string", "format": "uuid"}, "event": {"type": "string"}, "status": {"type": "string"}}},
            "PersonalData": {"type": "object", "required": ["email", "registrations", "cosponsor_offers"], "properties": {
                "email": {"type": "string"}, "registrations": {"type": "array", "items": {"type": "object"}},
                "cosponsor_offers": {"type": "array", "items": {"type": "object"}}, "note": {"type": "string"}}},
            "Erased": {"type": "object", "required": ["erased"], "properties": {"erased": {"type": "object", "required": ["registrations", "cosponsor_offers", "invitations", "organiser_settings"], "properties": {
                "registrations": {"type": "integer"}, "cosponsor_offers": {"type": "integer"}, "invitations": {"type": "integer"}, "organiser_settings": {"type": "integer"}}}}},
            "Invitees": {"type": "object", "additionalProperties": False, "required": ["invitees"], "properties": {"invitees": {
                "type": "array", "minItems": 1, "maxItems": 1000, "items": {"type": "object", "additionalProperties": False, "required": ["email"], "properties": {
                    "email": {"type": "string", "format": "email"}, "name": {"type": "string", "maxLength": 200}, "lang": {"type": "string", "enum": ["en", "fr", "es"]}}}}}},
            "Invitation": {"type": "object", "required": ["id", "email", "status", "invited_at"], "properties": {
                "id": {"type": "string", "format": "uuid"}, "email": {"type": "string"}, "name": {"type": "string"}, "lang": {"type": "string"},
                "status": {"type": "string", "enum": ["invited", "reminded", "registered"]}, "invited_at": {"type": "string", "format": "date-time"},
                "reminded_at": {"type": ["string", "null"], "format": "date-time"}, "registration_id": {"type": ["string", "null"], "format": "uuid"}}},
            "Decision": {"type": "object", "required": ["id", "status"], "properties": {"id": {"type": "string", "format": "uuid"}, "status": {"type": "string"}}},
            "AttendanceMarks": {"type": "object", "additionalProperties": False, "required": ["attendance"], "properties": {"attendance": {
                "type": "array", "minItems": 1, "maxItems": 5000, "description": "All or none: one entry that cannot be marked (not a confirmed registration of this exchange, twice in the list) and nothing is",
                "items": {"type": "object", "additionalProperties": False, "required": ["registration_id", "attendance"], "properties": {
                    "registration_id": {"type": "string", "format": "uuid"},
                    "attendance": {"enum": ["attended", "absent", "excused", None], "description": "null removes the organisers' mark: the join link (and a report) decide again"}}}}}},
            "AttendanceTally": {"type": "object", "required": ["attended", "absent", "excused", "unknown"], "properties": {
                "attended": {"type": "integer"}, "absent": {"type": "integer", "description": "The no-shows"}, "excused": {"type": "integer"},
                "unknown": {"type": "integer", "description": "Not marked and not joined, while the exchange has not ended"}}},
            "Ids": {"type": "object", "additionalProperties": False, "required": ["ids"], "properties": {"ids": {"type": "array", "minItems": 1, "maxItems": 500, "items": {"type": "string", "format": "uuid"}}}},
            "Decisions": {"type": "object", "required": ["results"], "properties": {"results": {"type": "array", "items": {"type": "object", "required": ["id"],
                          "properties": {"id": {"type": "string", "format": "uuid"}, "status": {"type": "string"}, "error": {"type": "string"}}}}}},
            "OrganiserSettings": {"type": "object", "required": ["email", "timezone", "timezone_set", "digest", "exchanges"], "properties": {
                "email": {"type": "string"}, "timezone": {"type": "string"}, "timezone_set": {"type": "boolean"}, "digest": {"type": "boolean"},
                "last_digest_at": {"type": ["string", "null"], "format": "date-time"}, "exchanges": {"type": "array", "items": {"type": "string"}}}},
            "Readiness": {"type": "object", "required": ["database", "broker"], "properties": {"database": {"type": "boolean"}, "broker": {"type": "boolean"}}},
        },
    },
    "paths": {
        "/api/admin/events": {"post": admin({
            "summary": "Create an exchange",
            "requestBody": {"required": True, **json_body(ref("EventCreate"))},
            "responses": {"201": {"description": "Created", **json_body(ref("EventAdmin"))}, "403": error("This token does not cover that exchange"),
                          "409": {"description": "The slug is taken", **json_body(ref("Error"))}, "422": invalid, **body_errors()},
        })},
        "/api/admin/events/{slug}": {"patch": admin({
            "summary": "Change an exchange; participants are emailed what changed", "parameters": [slug],
            "requestBody": {"required": True, **json_body(ref("EventPatch"))},
            "responses": {"200": {"description": "Changed", **json_body(ref("EventAdmin"))}, "403": error("This token does not cover that exchange"),
                          "404": error("No such exchange"), "409": error("The exchange is cancelled"), "422": invalid, **body_errors()}})},
        "/api/admin/events/{slug}/cancel": {"post": admin({
            "summary": "Cancel an exchange (idempotent); everyone registered is told", "parameters": [slug],
            "responses": {"200": {"description": "Cancelled", **json_body({"type": "object", "required": ["slug", "status"], "properties": {"slug": {"type": "string"}, "status": {"type": "string"}}})},
                          "400": error("Malformed path"), "403": error("This token does not cover that exchange"), "404": error("No such exchange")}})},
        "/api/admin/events/{slug}/invitations": {
            "post": admin({
                "summary": "Invite people: each is emailed a personal link bound to their address, and one reminder if they have not registered",
                "parameters": [slug], "requestBody": {"required": True, **json_body(ref("Invitees"))},
                "responses": {"201": {"description": "Invited (an address invited before is not invited again)", **json_body({"type": "object", "required": ["invited", "already_invited"],
                                  "properties": {"invited": {"type": "array", "items": ref("Invitation")}, "already_invited": {"type": "array", "items": {"type": "string"}}}})},
                              "403": error("This token does not cover that exchange"), "404": error("No such exchange"),
                              "409": error("The exchange is cancelled or its registration closed"), "422": invalid, **body_errors()}}),
            "get": admin({
                "summary": "Everyone invited, and who answered", "parameters": [slug],
                "responses": {"200": {"description": "Invitations", **json_body({"type": "object", "required": ["event", "total", "registered", "reminded", "invited", "invitations"],
                                  "properties": {"event": {"type": "string"}, **{k: {"type": "integer"} for k in ["total", "registered", "reminded", "invited"]},
                                                 "invitations": {"type": "array", "items": ref("Invitation")}}})},
                              "400": error("Malformed path"), "403": error("This token does not cover that exchange"), "404": error("No such exchange")}}),
        },
        "/api/admin/events/{slug}/registrations": {"get": admin({
            "summary": "Who is coming: JSON (paginated) or CSV (Accept: text/csv or format=csv; UTF-8 with a BOM)",
            "parameters": [slug, *list_params],
            "responses": {"200": {"description": "Registrations", "content": {
                              "application/json": {"schema": {"type": "object", "required": ["event", "total", "page", "per_page", "registrations"],
                                  "properties": {"event": {"type": "string"}, "total": {"type": "integer"}, "page": {"type": "integer"},
                                                 "per_page": {"type": "integer"}, "registrations": {"type": "array", "items": {"type": "object"}}}}},
                              "text/csv": {"schema": {"type": "string"}}}},
                          "400": error("Malformed query"), "403": error("This token does not cover that exchange"),
                          "404": error("No such exchange"), "422": invalid}})},
        "/api/admin/events/{slug}/stats": {"get": admin({
            "summary": "The figures organisers quote", "parameters": [slug],
            "responses": {"200": {"description": "Counts", **json_body({"type": "object",
                              "required": ["confirmed", "waitlisted", "pending", "cancelled", "officials", "countries", "by_country", "by_role", "attendance"],
                              "properties": {**{k: {"type": "integer"} for k in ["confirmed", "waitlisted", "pending", "cancelled", "officials", "countries"]},
                                             "attendance": {"description": "The confirmed participants' attendance: overall, by country and by role", "allOf": [ref("AttendanceTally"), {
                                                 "type": "object", "required": ["by_country", "by_role"], "properties": {
                                                     "by_country": {"type": "object", "additionalProperties": ref("AttendanceTally")},
                                                     "by_role": {"type": "object", "additionalProperties": ref("AttendanceTally")}}}]}}})},
                          "400": error("Malformed path"), "403": error("This token does not cover that exchange"), "404": error("No such exchange")}})},
        "/api/admin/events/{slug}/survey": {"get": admin({
            "summary": "The feedback survey's answers, newest first, with the average rating; a participant's name and organisation only where they allowed it",
            "parameters": [slug],
            "responses": {"200": {"description": "The answers", **json_body({"type": "object",
                              "required": ["event", "external_survey_url", "closes_at", "count", "average_rating", "answers"],
                              "properties": {"event": {"type": "string"}, "external_survey_url": {"type": "string"},
                                             "closes_at": {"type": "string", "format": "date-time"}, "count": {"type": "integer"},
                                             "average_rating": {"type": ["number", "null"]},
                                             "answers": {"type": "array", "items": {"type": "object",
                                                 "required": ["rating", "most_useful", "should_change", "name", "organisation", "answered_at"],
                                                 "properties": {"rating": {"type": ["integer", "null"]}, "most_useful": {"type": "string"},
                                                                "should_change": {"type": "string"}, "name": {"type": ["string", "null"]},
                                                                "organisation": {"type": ["string", "null"]},
                                                                "answered_at": {"type": "string", "format": "date-time"}}}}}})},
                          "400": error("Malformed path"), "403": error("This token does not cover that exchange"), "404": error("No such exchange")}})},
        "/api/admin/events/{slug}/attendance": {"put": admin({
            "summary": "Mark confirmed registrations attended, absent or excused (null removes a mark), all or none; a mark by hand wins over a participant report and over the join link",
            "parameters": [slug], "requestBody": {"required": True, **json_body(ref("AttendanceMarks"))},
            "responses": {"200": {"description": "Marked: each registration's attendance as it now counts", **json_body({"type": "object", "required": ["event", "marked", "attendance"], "properties": {
                              "event": {"type": "string"}, "marked": {"type": "integer"},
                              "attendance": {"type": "array", "items": {"type": "object", "required": ["registration_id", "attendance", "basis"], "properties": {
                                  "registration_id": {"type": "string", "format": "uuid"},
                                  "attendance": {"enum": ["attended", "absent", "excused", None], "description": "null: not known yet"},
                                  "basis": {"enum": ["marked", "imported", "joined", "not_joined", None]}}}}}})},
                          "403": error("This token does not cover that exchange"), "404": error("No such exchange"),
                          "409": error("The exchange is cancelled"), "422": invalid, **body_errors()}})},
        "/api/admin/events/{slug}/attendance/import": {"post": admin({
            "summary": "Import the participant report Zoom or Teams exports (the file as the body: CSV or TAB-separated, UTF-8 or UTF-16): rows are matched to registrations by email address, those confirmed marked attended unless an organiser marked them by hand; answers each row that matched nobody",
            "parameters": [slug],
            "requestBody": {"required": True, "content": {t: {"schema": {"type": "string"}} for t in ["text/csv", "text/tab-separated-values", "text/plain", "application/octet-stream"]}},
            "responses": {"200": {"description": "Imported", **json_body({"type": "object", "required": ["event", "rows", "matched_rows", "matched_registrations", "marked", "kept_by_hand", "unmatched"], "properties": {
                              "event": {"type": "string"}, **{k: {"type": "integer"} for k in ["rows", "matched_rows", "matched_registrations", "marked", "kept_by_hand"]},
                              "unmatched": {"type": "array", "items": {"type": "object", "required": ["row", "name", "email", "reason"], "properties": {
                                  "row": {"type": "integer", "description": "The row's line in the file, from 1"}, "name": {"type": "string"}, "email": {"type": "string"},
                                  "reason": {"type": "string"}}}}}})},
                          "400": error("Malformed path or body"), "403": error("This token does not cover that exchange"), "404": error("No such exchange"),
                          "409": error("The exchange is cancelled"), "413": error("Body over 4 MiB"),
                          "422": {"description": "No header row with an email column, or too many rows (`report` says why)", **json_body(ref("FieldErrors"))}}})},
        "/api/admin/events/{slug}/cosponsor-offers": {"get": admin({
            "summary": "The co-sponsorship offers of an exchange", "parameters": [slug],
            "responses": {"200": {"description": "Offers", **json_body({"type": "object", "required": ["event", "cosponsor_offers"],
                              "properties": {"event": {"type": "string"}, "cosponsor_offers": {"type": "array", "items": ref("CosponsorOfferRecord")}}})},
                          "400": error("Malformed path"), "403": error("This token does not cover that exchange"), "404": error("No such exchange")}})},
        "/api/admin/events/{slug}/activity": {"get": admin({
            "summary": "Who decided what on the exchange (approvals, rejections, reopenings, offer decisions, invitations sent, its creation, changes and cancellation), newest first, the latest 500", "parameters": [slug],
            "responses": {"200": {"description": "The activity log", **json_body({"type": "object", "required": ["event", "activity"],
                              "properties": {"event": {"type": "string"}, "activity": {"type": "array", "items": {"type": "object",
                                  "required": ["at", "actor", "action", "subject_id", "subject", "outcome"],
                                  "properties": {"at": {"type": "string", "format": "date-time"},
                                                 "actor": {"type": "string", "description": "A console user's address, `admin API` for a bearer token, or `erased`"},
                                                 "action": {"type": "string", "enum": ["registration.approved", "registration.rejected", "registration.reopened", "offer.accepted", "offer.declined", "invitations.sent", "attendance.marked", "attendance.imported",
                                                                                               "exchange.created", "exchange.changed", "exchange.cancelled"]},
                                                 "subject_id": {"type": "string", "format": "uuid", "description": "The registration, offer or (for exchange.* and invitations.sent) exchange"},
                                                 "subject": {"type": "string", "description": "The participant's name, the organisation (empty once erased), or the exchange's title"},
                                                 "outcome": {"type": "string", "description": "What it led to, e.g. the registration's new status; for exchange.changed, the fields that changed; for invitations.sent, how many were invited"}}}}}})},
                          "400": error("Malformed path"), "403": error("This token does not cover that exchange"), "404": error("No such exchange")}})},
        "/api/admin/registrations/{id}/approve": {"post": admin({
            "summary": "Approve a pending registration: a seat if one is free for its country, the waiting list otherwise",
            "parameters": [offer_id], "responses": {"200": {"description": "Decided", **json_body(ref("Decision"))}, "400": error("Malformed id"),
                                                      "403": error("This token does not cover that exchange"), "404": error("No such registration"),
                                                      "409": error("Not pending")}})},
        "/api/admin/registrations/{id}/reject": {"post": admin({
            "summary": "Reject a pending or waitlisted registration", "parameters": [offer_id],
            "responses": {"200": {"description": "Decided", **json_body(ref("Decision"))}, "400": error("Malformed id"),
                          "403": error("This token does not cover that exchange"), "404": error("No such registration"),
                          "409": error("Neither pending nor waitlisted")}})},
        "/api/admin/registrations/{id}/reopen": {"post": admin({
            "summary": "Reopen a rejected registration: pending again when the exchange requires approval, else a seat if one is free for its country and the waiting list otherwise; the participant is emailed",
            "parameters": [offer_id],
            "responses": {"200": {"description": "Reopened, with the new status", **json_body(ref("Decision"))}, "400": error("Malformed id"),
                          "403": error("This token does not cover that exchange"), "404": error("No such registration"),
                          "409": error("Not rejected")}})},
        "/api/admin/registrations/approve": {"post": admin({
            "summary": "Approve many, in order", "requestBody": {"required": True, **json_body(ref("Ids"))},
            "responses": {"200": {"description": "Each one's outcome", **json_body(ref("Decisions"))}, "422": invalid, **body_errors()}})},
        "/api/admin/registrations/reject": {"post": admin({
            "summary": "Reject many", "requestBody": {"required": True, **json_body(ref("Ids"))},
            "responses": {"200": {"description": "Each one's outcome", **json_body(ref("Decisions"))}, "422": invalid, **body_errors()}})},
        "/api/admin/cosponsor-offers/{id}/accept": {"post": admin({
            "summary": "Accept an offer; its contact is emailed", "parameters": [offer_id], "requestBody": decision_body,
            "responses": {"200": {"description": "Decided", **json_body({"type": "object", "required": ["cosponsor_offer"], "properties": {"cosponsor_offer": ref("CosponsorOfferRecord")}})},
                          "403": error("This token does not cover that exchange"), "404": error("No such offer"), "422": invalid, **body_errors()}})},
        "/api/admin/cosponsor-offers/{id}/decline": {"post": admin({
            "summary": "Decline an offer; its contact is emailed", "parameters": [offer_id], "requestBody": decision_body,
            "responses": {"200": {"description": "Decided", **json_body({"type": "object", "required": ["cosponsor_offer"], "properties": {"cosponsor_offer": ref("CosponsorOfferRecord")}})},
                          "403": error("This token does not cover that exchange"), "404": error("No such offer"), "422": invalid, **body_errors()}})},
        "/api/admin/organisers/{email}": {
            "get": admin({"summary": "An organiser's daily digest settings, and their upcoming exchanges", "parameters": [organiser_email],
                          "responses": {"200": {"description": "The settings", **json_body(ref("OrganiserSettings"))}, "400": error("Malformed path"),
                                        "403": error("This token covers none of their exchanges"), "404": error("Organises no upcoming exchange"), "422": invalid}}),
            "put": admin({"summary": "Set an organiser's digest time zone (null: their soonest exchange's) and whether they get it", "parameters": [organiser_email],
                          "requestBody": {"required": True, **json_body({"type": "object", "additionalProperties": False, "properties": {
                              "timezone": {"type": ["string", "null"], "description": "IANA name"}, "digest": {"type": "boolean"}}})},
                          "responses": {"200": {"description": "Saved", **json_body(ref("OrganiserSettings"))},
                                        "403": error("This token covers none of their exchanges"), "404": error("Organises no upcoming exchange"), "422": invalid, **body_errors()}}),
        },
        "/api/admin/personal-data": {
            "get": admin({"summary": "Export everything held about one email address", "parameters": [email_q],
                          "responses": {"200": {"description": "Everything held", **json_body(ref("PersonalData"))}, "400": error("Malformed query"),
                                        "403": error("Needs an unrestricted token"), "422": invalid}}),
            "delete": admin({"summary": "Erase everything held about one email address (counts stay)", "parameters": [email_q],
                             "responses": {"200": {"description": "Erased", **json_body(ref("Erased"))}, "400": error("Malformed query"),
                                           "403": error("Needs an unrestricted token"), "422": invalid}}),
        },
        "/api/events": {"get": public({"summary": "Upcoming exchanges", "responses": {"200": {"description": "Exchanges that have not ended", **json_body({"type": "object", "required": ["events"], "properties": {"events": {"type": "array", "items": ref("EventPublic")}}})}}})},
        "/api/events/{slug}": {"get": public({"summary": "One exchange, its co-sponsors and seats left", "parameters": [slug], "responses": {"200": {"description": "The exchange", **json_body(ref("EventDetail"))}, "400": error("Malformed path"), "404": error("No such exchange")}})},
        "/api/events/{slug}/registrations": {"post": public({
            "summary": "Register", "parameters": [slug], "requestBody": {"required": True, **json_body(ref("RegistrationRequest"))},
            "description": "The answer never tells whether an address was already registered: a new address, a known one (nothing changes, no second email) and a filled honeypot field all get the same `202 {\"status\": \"received\"}`. The participant learns the outcome (confirmed, waiting list, pending approval) by email and on their personal page; organisers see it with `GET /api/admin/events/{slug}/registrations`. This replaces the earlier answers, `201` with the registration for a new address and `200` for a known one.",
            "responses": {"202": {"description": "Received, whether or not this address was already registered", **json_body(ref("RegistrationReceived"))},
                          "404": error("No such exchange"), "409": error("Registration is not open yet, or has closed (or the exchange was cancelled)"), "422": invalid, **body_errors()}})},
        "/api/events/{slug}/cosponsor-offers": {"post": public({
            "summary": "Offer to co-sponsor an exchange", "parameters": [slug], "requestBody": {"required": True, **json_body(ref("CosponsorOfferRequest"))},
            "responses": {"201": {"description": "Received; the organisers are emailed", **json_body(ref("CosponsorOffer"))},
                          "404": error("No such exchange"), "422": invalid, **body_errors()}})},
        "/events": {"get": public({"summary": "Upcoming exchanges open for registration", "responses": {"200": html("The list")}})},
        "/events/{slug}": {"get": public({"summary": "The exchange's page, with the registration form", "parameters": [slug],
                                         "responses": {"200": html("The page"), "400": error("Malformed path"), "404": html("No such exchange")}})},
        "/events/{slug}/register": {
            "get": public({"summary": "The registration form", "parameters": [slug], "responses": {"200": html("The form"), "400": error("Malformed path"), "404": html("No such exchange")}}),
            "post": public({"summary": "Submit the registration form", "parameters": [slug], "requestBody": form(registration_fields),
                            "responses": {"303": {"description": "Received: to /events/{slug}/registered (with ?lang= in French or Spanish), the same address whether or not this address was already registered"}, "404": html("No such exchange"),
                                          "409": html("Registration is not open yet, or has closed (or the exchange was cancelled)"), "422": html("The form again, each error beside its field"), **body_errors()}}),
        },
        "/events/{slug}/registered": {"get": public({"summary": "After registering", "parameters": [slug], "responses": {"200": html("Registration received: the email and the personal link tell where it stands"), "400": error("Malformed path"), "404": html("No such exchange")}})},
        "/events/{slug}/cosponsor": {
            "get": public({"summary": "The co-sponsorship form", "parameters": [slug], "responses": {"200": html("The form"), "400": error("Malformed path"), "404": html("No such exchange")}}),
            "post": public({"summary": "Submit the co-sponsorship form", "parameters": [slug], "requestBody": form(offer_fields),
                            "responses": {"200": html("Thank you"), "404": html("No such exchange"), "422": html("The form again, each error beside its field"), **body_errors()}}),
        },
        "/registrations/{token}": {"get": public({"summary": "A participant's own page (the link in their email)", "parameters": [token],
                                                  "responses": {"200": html("The registration"), "400": error("Malformed path"), "404": html("No registration has this token")}})},
        "/registrations/{token}/join": {"get": public({
            "summary": "Join the online exchange from the participant's page: the same as /j/{token}, found by the manage link's token",
            "parameters": [token], "responses": join_responses})},
        "/j/{token}": {"get": public({
            "summary": "A participant's personal join link (in their emails and calendar entry): the meeting during its window, else why not",
            "parameters": [token], "responses": join_responses})},
        "/registrations/link": {
            "get": public({"summary": "Ask for your personal link again", "responses": {"200": html("The form")}}),
            "post": public({"summary": "Email new links to this address's registrations (the same answer whether or not it is registered)",
                            "requestBody": form({"email": {}}),
                            "responses": {"200": html("Sent, if registered"), "422": html("The form again, with the error"), **body_errors()}}),
        },
        "/registrations/{token}/calendar.ics": {"get": public({"summary": "The exchange as an iCalendar entry (the same UID as in the emails)", "parameters": [token],
                                                              "responses": {"200": {"description": "iCalendar", "content": {"text/calendar": {"schema": {"type": "string"}}}},
                                                                            "400": error("Malformed path"), "404": html("No registration has this token")}})},
        "/registrations/{token}/certificate": {"get": public({"summary": "A printable certificate of participation, in the participant's language, for a participant who attended an exchange that has begun", "parameters": [token],
                                                             "responses": {"200": html("The certificate"), "400": error("Malformed path"),
                                                                           "404": html("No registration has this token, or it does not count as attended (a page that says which)")}})},
        "/registrations/{token}/survey": {
            "get": public({"summary": "The feedback survey, with the participant's earlier answer (an exchange with an external survey_url redirects there)", "parameters": [token],
                           "responses": {"200": html("The form"), "303": {"description": "To the exchange's external survey"}, "400": error("Malformed path"),
                                         "403": html("Not a confirmed participant"), "404": html("No registration has this token"),
                                         "409": html("The exchange has not begun"), "410": html("The survey has closed")}}),
            "post": public({"summary": "Answer the survey, or change the answer (every part optional)", "parameters": [token],
                            "requestBody": form({"rating": {}, "most_useful": {}, "should_change": {}, "may_name": {}}),
                            "responses": {"200": html("Thanks"), "303": {"description": "To the exchange's external survey"}, "400": error("Malformed path"),
                                          "403": html("Not a confirmed participant"), "404": html("No registration has this token"),
                                          "409": html("The exchange has not begun"), "410": html("The survey has closed"),
                                          "422": html("The form again, as typed, each bad part named"), **body_errors()}}),
        },
        "/registrations/{token}/accept": {"post": public({"summary": "Accept the seat held for you from the waiting list", "parameters": [token],
                                                         "responses": {"200": html("Confirmed"), "400": error("Malformed path"), "404": html("No registration has this token"),
                                                                       "409": html("No seat to accept (lapsed, or already confirmed)")}})},
        "/registrations/{token}/cancel": {"post": public({"summary": "Cancel (idempotent)", "parameters": [token],
                                                         "responses": {"200": html("Cancelled"), "400": error("Malformed path"), "404": html("No registration has this token")}})},
        "/console": {"get": public({"summary": "The organisers' console: their exchanges when signed in (session cookie), the sign-in form otherwise",
                                    "parameters": [next_q], "responses": {"200": html("My exchanges, or the sign-in form")}})},
        "/console/sign-in": {"post": public({
            "summary": "Email a one-time sign-in link to an organiser, viewer or console admin (the same answer for any address; at most 5 links per address per hour)",
            "requestBody": form({"email": {}, "next": {}}),
            "responses": {"200": html("Sent, if the address may sign in"), "422": html("The form again, with the error"), **body_errors()}})},
        "/console/sign-in/{token}": {
            "get": public({"summary": "The link from the email: a button that signs in (opening it spends nothing)", "parameters": [token],
                           "responses": {"200": html("The button"), "400": error("Malformed path"), "404": html("The link was used, has expired, or does not exist")}}),
            "post": public({"summary": "Sign in with the link, once: sets the session cookie", "parameters": [token],
                            "responses": {"303": redirect("Signed in: to the console page sign-in started from"), "400": error("Malformed path"),
                                          "404": html("The link was used, has expired, or does not exist")}}),
        },
        "/console/sign-out": {"post": public({
            "summary": "End the console session", "requestBody": csrf_form,
            "responses": {"200": html("Signed out"), "303": redirect("Not signed in: to /console"),
                          "403": html("Without the session's CSRF token: nothing changed"), **body_errors()}})},
        "/console/events/{slug}": {"get": public({
            "summary": "An exchange's figures and charts (registrations by country, role and day), its registrations (filtered, 100 a page), waiting list, invitations and offers, for its organisers, its viewers and console admins",
            "parameters": [slug, *console_filters,
                           {"name": "decided", "in": "query", "required": False, "schema": {"type": "string"}, "description": "What a decision just did (for the notice)"},
                           {"name": "done", "in": "query", "required": False, "schema": {"type": "integer"}, "description": "After deciding many: how many were decided"},
                           {"name": "left", "in": "query", "required": False, "schema": {"type": "integer"}, "description": "After deciding many: how many were left as they were"}],
            "responses": {"200": html("The exchange"), "303": redirect("Not signed in: to the sign-in form, which comes back here"),
                          "400": error("Malformed path"), "404": html("No such exchange, or not one this person may see"),
                          "422": html("The exchange, each filter that cannot be used named beside its field, and no list")}})},
        "/console/events/{slug}/registrations.csv": {"get": public({
            "summary": "An exchange's registrations as CSV (UTF-8 with a BOM), filtered as the list, for everyone who may see the exchange",
            "parameters": [slug, *console_filters[:4]],
            "responses": {"200": {"description": "The registrations", "content": {"text/csv": {"schema": {"type": "string"}}}},
                          "303": redirect("Not signed in: to the sign-in form, which comes back here"),
                          "400": error("Malformed path"), "404": html("No such exchange, or not one this person may see"),
                          "422": html("A filter cannot be used, and why")}})},
        "/console/events/{slug}/invitations": {
            "get": public({"summary": "Who was invited, reminded, registered; for organisers and console admins, the form to invite more", "parameters": [slug],
                           "responses": {"200": html("The invitations"), "303": not_signed_in, "400": error("Malformed path"),
                                         "404": html("No such exchange, or not one this person may see")}}),
            "post": public({"summary": "Invite the addresses pasted (one a line, optionally `Name <address>`), as POST /api/admin/events/{slug}/invitations does: each is emailed a personal link (organisers and console admins)",
                            "parameters": [slug], "requestBody": form({"csrf": {}, "invitees": {}, "lang": {}}),
                            "responses": {"303": redirect("Invited: back to the invitations, saying how many"), "400": error("Malformed path"),
                                          "403": refused_post, "404": html("No such exchange, or not one this person may see"),
                                          "409": html("The exchange is cancelled or its registration has closed: nobody invited"),
                                          "422": html("The form again, as typed, each bad line named; nobody invited"), **body_errors()}}),
        },
        "/console/new-exchange": {
            "get": public({"summary": "The form for a new exchange (console admins)",
                           "responses": {"200": html("The form"), "303": not_signed_in, "403": html("Not a console admin")}}),
            "post": public({"summary": "Create an exchange, as POST /api/admin/events does (console admins)", "requestBody": exchange_form,
                            "responses": {"303": redirect("Created: to the exchange's page"), "403": refused_post,
                                          "422": html("The form again, as typed, each error beside its field"), **body_errors()}}),
        },
        "/console/events/{slug}/change": {
            "get": public({"summary": "The form to change an exchange, filled with it as it is (organisers and console admins)", "parameters": [slug],
                           "responses": {"200": html("The form"), "303": not_signed_in, "400": error("Malformed path"),
                                         "403": html("A viewer"), "404": html("No such exchange, or not one this person may see"),
                                         "409": html("The exchange is cancelled")}}),
            "post": public({"summary": "Change an exchange, as PATCH /api/admin/events/{slug} does: participants are emailed what changed", "parameters": [slug],
                            "requestBody": exchange_form,
                            "responses": {"303": redirect("Changed: back to the exchange's page"), "400": error("Malformed path"), "403": refused_post,
                                          "404": html("No such exchange, or not one this person may see"), "409": html("The exchange is cancelled"),
                                          "422": html("The form again, as typed, each error beside its field"), **body_errors()}}),
        },
        "/console/events/{slug}/cancel": {
            "get": public({"summary": "Asks whether to cancel the exchange (organisers and console admins)", "parameters": [slug],
                           "responses": {"200": html("The confirmation page"), "303": not_signed_in, "400": error("Malformed path"),
                                         "403": html("A viewer"), "404": html("No such exchange, or not one this person may see"),
                                         "409": html("Already cancelled")}}),
            "post": public({"summary": "Cancel the exchange, as POST /api/admin/events/{slug}/cancel does: everyone registered is emailed", "parameters": [slug],
                            "requestBody": csrf_form,
                            "responses": {"303": redirect("Cancelled: back to the exchange's page"), "400": error("Malformed path"), "403": refused_post,
                                          "404": html("No such exchange, or not one this person may see"), "409": html("Already cancelled"), **body_errors()}}),
        },
        "/console/events/{slug}/registrations/decide": {"post": public({
            "summary": "Approve or reject the ticked registrations at once, as POST /api/admin/registrations/approve (or /reject) does (organisers and console admins)",
            "parameters": [slug], "requestBody": form({"csrf": {}, "decision": {}, "id": {}}),
            "responses": {"303": redirect("Decided: back to the exchange's page, with how many were decided and left"), "400": error("Malformed path"),
                          "403": refused_post, "404": html("No such exchange, or not one this person may see"),
                          "422": html("No decision, or not 1 to 500 registrations ticked"), **body_errors()}})},
        "/console/events/{slug}/registrations/{id}/attendance": {"post": public({
            "summary": "Mark a confirmed registration attended, absent or excused, or remove the mark (empty), as PUT /api/admin/events/{slug}/attendance does (organisers and console admins)",
            "parameters": [slug, registration_id], "requestBody": form({"csrf": {}, "attendance": {}}),
            "responses": {"303": redirect("Marked: back to the exchange's page"), "400": error("Malformed path"),
                          "403": html("Not signed in, without the session's CSRF token, or a viewer: nothing changed"),
                          "404": html("No such exchange or registration, or not one this person may see"),
                          "409": html("The exchange is cancelled"), "422": html("Not a value, or the registration is not confirmed: nothing changed"), **body_errors()}})},
        "/console/events/{slug}/attendance/import": {"post": public({
            "summary": "Import a participant report from Zoom or Teams (multipart: `csrf`, `report`), as POST /api/admin/events/{slug}/attendance/import does, and show each row that matched nobody (organisers and console admins)",
            "parameters": [slug],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {"type": "object", "properties": {"csrf": {"type": "string"}, "report": {"type": "string", "format": "binary"}}}}}},
            "responses": {"200": html("What matched, and each row that matched nobody"), "400": error("Malformed path or body"),
                          "403": html("Not signed in, without the session's CSRF token, or a viewer: nothing changed"),
                          "404": html("No such exchange, or not one this person may see"), "409": html("The exchange is cancelled"),
                          "413": error("Body over 4 MiB"), "415": error("Not multipart/form-data"),
                          "422": html("No file, or not a participant report: nothing imported")}})},
        "/console/events/{slug}/cosponsor-offers/{id}/accept": console_offer_decision("Accept a co-sponsorship offer (organisers and console admins)"),
        "/console/events/{slug}/cosponsor-offers/{id}/decline": console_offer_decision("Decline a co-sponsorship offer (organisers and console admins)"),
        "/console/events/{slug}/registrations/{id}/approve": console_decision("Approve a pending registration (organisers and console admins)"),
        "/console/events/{slug}/registrations/{id}/reject": console_decision("Reject a pending or waitlisted registration (organisers and console admins)"),
        "/console/events/{slug}/registrations/{id}/reopen": console_decision("Reopen a rejected registration, as POST /api/admin/registrations/{id}/reopen does (organisers and console admins)"),
        "/openapi.json": {"get": public({"summary": "This document", "responses": {"200": {"description": "OpenAPI 3", "content": {"application/json": {"schema": {"type": "object"}}}}}})},
        "/healthz": {"get": {"summary": "Alive", "responses": {"200": {"description": "ok", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
        "/readyz": {"get": {"summary": "Ready: Postgres reachable, migrations applied, RabbitMQ connected",
                            "responses": {"200": {"description": "Ready", **json_body(ref("Readiness"))}, "503": {"description": "Not ready", **json_body(ref("Readiness"))}}}},
    },
}

path = HERE / "openapi.json"
path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
print(f"wrote {path}")
