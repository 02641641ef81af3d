//! The participant's language: English, French or Spanish.
//!
//! Every participant-facing text is a [`Msg`]. English is an exhaustive `match`, so the
//! compiler guarantees each message has it; French and Spanish fall back to English where
//! a translation is missing, never to a key name. Interpolated sentences use
//! `{placeholders}`, filled with [`fill`].

/// A language Convene speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Fr,
    Es,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Fr, Lang::Es];

    /// The ISO 639-1 code: `en`, `fr`, `es`.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Fr => "fr",
            Self::Es => "es",
        }
    }

    /// The language's name in itself, for a language switcher.
    pub fn name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Fr => "Français",
            Self::Es => "Español",
        }
    }

    /// A language tag (`en`, `fr-FR`, `es_419`, `FR`), by its primary subtag.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Self::En),
            "fr" => Some(Self::Fr),
            "es" => Some(Self::Es),
            _ => None,
        }
    }

    /// The best language for an `Accept-Language` header (q-values honoured; the first
    /// listed wins a tie); English when there is none we speak.
    pub fn negotiate(accept_language: Option<&str>) -> Lang {
        let Some(header) = accept_language else {
            return Self::En;
        };
        let mut best: Option<(f32, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Self::parse) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                .unwrap_or(0.0);
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(Self::En, |(_, lang)| lang)
    }

    /// The participant's explicit choice if it names a language we speak, else the
    /// browser's preference.
    pub fn choose(choice: Option<&str>, accept_language: Option<&str>) -> Lang {
        choice
            .and_then(Self::parse)
            .unwrap_or_else(|| Self::negotiate(accept_language))
    }
}

/// Replaces each `{name}` in `template` by its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// A validation message (in English, as the domain parsers write it) in `lang`; a
/// message not known here stays in English.
pub fn translate_problem(english: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return english.to_owned();
    }
    if let Some(msg) = FIXED_PROBLEMS.iter().find(|m| m.en() == english) {
        return msg.text(lang).to_owned();
    }
    if let Some(min) = english
        .strip_prefix("Use at least ")
        .and_then(|r| r.strip_suffix(" characters."))
        .filter(|n| n.parse::<usize>().is_ok())
    {
        return fill(Msg::AtLeast.text(lang), &[("min", min)]);
    }
    if let Some((max, len)) = english
        .strip_prefix("Use at most ")
        .and_then(|r| r.strip_suffix(")."))
        .and_then(|r| r.split_once(" characters (this has "))
        .filter(|(m, l)| m.parse::<usize>().is_ok() && l.parse::<usize>().is_ok())
    {
        return fill(Msg::AtMost.text(lang), &[("max", max), ("len", len)]);
    }
    english.to_owned()
}

/// The validation messages without placeholders.
const FIXED_PROBLEMS: &[Msg] = &[
    Msg::Required,
    Msg::SingleLine,
    Msg::NoControlChars,
    Msg::EnterEmail,
    Msg::EmailTooLong,
    Msg::EmailInvalid,
    Msg::ChooseCountry,
    Msg::ChooseCountryFromList,
    Msg::ChooseRole,
    Msg::ChooseRoleFromList,
    Msg::TimezoneInvalid,
    Msg::ConsentRequired,
    Msg::InvitationOnlyNote,
    Msg::InvitationUnknown,
    Msg::InvitationForAnother,
];

/// A translation, or the English text when there is none (never the key's name).
fn or_english(translated: Option<&'static str>, msg: Msg) -> &'static str {
    translated
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| msg.en())
}

/// A message's text in `lang` with its placeholders filled.
pub fn t(msg: Msg, lang: Lang, values: &[(&str, &str)]) -> String {
    fill(msg.text(lang), values)
}

/// Every participant-facing text, in English at least.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    ErrorPrefix,
    FieldProblem,
    RegisterTitle,
    RegisterHeading,
    Topics,
    CosponsoredBy,
    SeatsLeft,
    OfferToCosponsor,
    AlreadyRegistered,
    GetLinkAgain,
    CorrectOneField,
    CorrectFields,
    LabelName,
    LabelEmail,
    EmailHint,
    LabelOrganisation,
    LabelCountry,
    ChooseCountryOption,
    LabelRole,
    ChooseOneOption,
    LabelTimezone,
    FieldTimezone,
    FieldConsent,
    TimezoneHint,
    LeaveEmpty,
    ConsentText,
    RegisterButton,
    LanguageLabel,
    RoleGovernmentOfficial,
    RoleUnEntity,
    RoleCivilSociety,
    RoleOther,
    EventCancelledNote,
    RegistrationOpensAt,
    RegistrationClosedNote,
    NotOpenYetHeading,
    ClosedHeading,
    ClosedText,
    ReceivedHeading,
    ReceivedText,
    ReceivedEmail,
    ReceivedAlready,
    NotFoundHeading,
    NotFoundText,
    Required,
    AtLeast,
    AtMost,
    SingleLine,
    NoControlChars,
    EnterEmail,
    EmailTooLong,
    EmailInvalid,
    ChooseCountry,
    ChooseCountryFromList,
    ChooseRole,
    ChooseRoleFromList,
    TimezoneInvalid,
    ConsentRequired,
    Dear,
    Signature,
    WhenLabel,
    ForYou,
    ConfirmationSubject,
    ConfirmationBody,
    ConfirmationLink,
    ConfirmationRemind,
    CancellationSubject,
    CancellationBody,
    CancellationMistake,
    ReminderSubject,
    ReminderBody,
    ReminderLink,
    ReminderNoteLabel,
    StartsNow,
    InMinute,
    InMinutes,
    InHour,
    InHours,
    InDay,
    InDays,
    PendingSubject,
    WaitlistedSubject,
    OfferedSubject,
    RejectedSubject,
    ExpiredSubject,
    StatusPending,
    StatusWaitlisted,
    StatusPosition,
    StatusOffered,
    StatusDeadline,
    StatusRejected,
    StatusExpired,
    OrganisedBy,
    CertificateLink,
    CertificateHeading,
    CertificateText,
    CertificateOrganisedBy,
    CertificateCosponsors,
    CertificatePrint,
    CertificateUnavailableHeading,
    CertificateUnavailableText,
    UnconfirmedSubject,
    StatusUnconfirmed,
    ConfirmDeadline,
    StatusUnconfirmedLabel,
    StatusLapsedLabel,
    YourPersonalPage,
    LinkRenewedSubject,
    LinkRenewedBody,
    LinkRenewedIgnore,
    EventChangedSubject,
    EventChangedBody,
    ChangeWas,
    ChangeNow,
    EventChangedStands,
    EventCancelledSubject,
    EventCancelledBody,
    EventCancelledNothing,
    ChangeWhen,
    ChangeLocation,
    ChangeOnlineLink,
    ChangeTitle,
    ManageTitle,
    ManageHeading,
    StatusLabel,
    AddToCalendar,
    AcceptSeatButton,
    CancelHint,
    CancelButton,
    RegisterAgainBefore,
    RegistrationFormLink,
    RegisterAgainAfter,
    StatusConfirmedLabel,
    StatusWaitlistedNumber,
    StatusWaitlistedLabel,
    StatusOfferedUntil,
    StatusOfferedLabel,
    StatusPendingLabel,
    StatusRejectedLabel,
    StatusExpiredLabel,
    StatusCancelledLabel,
    SeatConfirmedHeading,
    SeatConfirmedText,
    NoSeatHeading,
    SeatAlreadyConfirmed,
    OfferLapsed,
    CancelledHeading,
    CancelledText,
    AlreadyCancelledText,
    LinkTitle,
    LinkSent,
    LinkIntro,
    LinkButton,
    EventsTitle,
    EventsHeading,
    NoEvents,
    LanguageNav,
    Hello,
    LabelInvitation,
    InvitationOnlyNote,
    InvitationBoundHint,
    InvitationUnknown,
    InvitationForAnother,
    InvitationSubject,
    InvitationBody,
    InvitationLink,
    InvitationReminderSubject,
    InvitationReminderBody,
    JoinButton,
    JoinOpensAt,
    JoinTooEarlyHeading,
    JoinTooEarlyText,
    JoinEndedHeading,
    JoinEndedText,
    JoinUnavailableHeading,
    JoinNotConfirmedText,
    JoinErasedText,
    JoinNoMeetingText,
    JoinLinkEmail,
    /// The follow-up after an exchange, to a participant who attended (issue 19).
    FollowUpAttendedSubject,
    FollowUpAttendedBody,
    /// The follow-up after an exchange, to a registered participant who did not attend.
    FollowUpAbsentSubject,
    FollowUpAbsentBody,
    /// The links in both follow-ups, each followed by its URL on the next line.
    FollowUpMaterials,
    FollowUpRecording,
}

impl Msg {
    /// Every message, for tests and checks.
    pub const ALL: [Msg; 185] = [
        Msg::ErrorPrefix,
        Msg::FieldProblem,
        Msg::RegisterTitle,
        Msg::RegisterHeading,
        Msg::Topics,
        Msg::CosponsoredBy,
        Msg::SeatsLeft,
        Msg::OfferToCosponsor,
        Msg::AlreadyRegistered,
        Msg::GetLinkAgain,
        Msg::CorrectOneField,
        Msg::CorrectFields,
        Msg::LabelName,
        Msg::LabelEmail,
        Msg::EmailHint,
        Msg::LabelOrganisation,
        Msg::LabelCountry,
        Msg::ChooseCountryOption,
        Msg::LabelRole,
        Msg::ChooseOneOption,
        Msg::LabelTimezone,
        Msg::FieldTimezone,
        Msg::FieldConsent,
        Msg::TimezoneHint,
        Msg::LeaveEmpty,
        Msg::ConsentText,
        Msg::RegisterButton,
        Msg::LanguageLabel,
        Msg::RoleGovernmentOfficial,
        Msg::RoleUnEntity,
        Msg::RoleCivilSociety,
        Msg::RoleOther,
        Msg::EventCancelledNote,
        Msg::RegistrationOpensAt,
        Msg::RegistrationClosedNote,
        Msg::NotOpenYetHeading,
        Msg::ClosedHeading,
        Msg::ClosedText,
        Msg::ReceivedHeading,
        Msg::ReceivedText,
        Msg::ReceivedEmail,
        Msg::ReceivedAlready,
        Msg::NotFoundHeading,
        Msg::NotFoundText,
        Msg::Required,
        Msg::AtLeast,
        Msg::AtMost,
        Msg::SingleLine,
        Msg::NoControlChars,
        Msg::EnterEmail,
        Msg::EmailTooLong,
        Msg::EmailInvalid,
        Msg::ChooseCountry,
        Msg::ChooseCountryFromList,
        Msg::ChooseRole,
        Msg::ChooseRoleFromList,
        Msg::TimezoneInvalid,
        Msg::ConsentRequired,
        Msg::Dear,
        Msg::Signature,
        Msg::WhenLabel,
        Msg::ForYou,
        Msg::ConfirmationSubject,
        Msg::ConfirmationBody,
        Msg::ConfirmationLink,
        Msg::ConfirmationRemind,
        Msg::CancellationSubject,
        Msg::CancellationBody,
        Msg::CancellationMistake,
        Msg::ReminderSubject,
        Msg::ReminderBody,
        Msg::ReminderLink,
        Msg::ReminderNoteLabel,
        Msg::StartsNow,
        Msg::InMinute,
        Msg::InMinutes,
        Msg::InHour,
        Msg::InHours,
        Msg::InDay,
        Msg::InDays,
        Msg::PendingSubject,
        Msg::WaitlistedSubject,
        Msg::OfferedSubject,
        Msg::RejectedSubject,
        Msg::ExpiredSubject,
        Msg::StatusPending,
        Msg::StatusWaitlisted,
        Msg::StatusPosition,
        Msg::StatusOffered,
        Msg::StatusDeadline,
        Msg::StatusRejected,
        Msg::StatusExpired,
        Msg::OrganisedBy,
        Msg::CertificateLink,
        Msg::CertificateHeading,
        Msg::CertificateText,
        Msg::CertificateOrganisedBy,
        Msg::CertificateCosponsors,
        Msg::CertificatePrint,
        Msg::CertificateUnavailableHeading,
        Msg::CertificateUnavailableText,
        Msg::UnconfirmedSubject,
        Msg::StatusUnconfirmed,
        Msg::ConfirmDeadline,
        Msg::StatusUnconfirmedLabel,
        Msg::StatusLapsedLabel,
        Msg::YourPersonalPage,
        Msg::LinkRenewedSubject,
        Msg::LinkRenewedBody,
        Msg::LinkRenewedIgnore,
        Msg::EventChangedSubject,
        Msg::EventChangedBody,
        Msg::ChangeWas,
        Msg::ChangeNow,
        Msg::EventChangedStands,
        Msg::EventCancelledSubject,
        Msg::EventCancelledBody,
        Msg::EventCancelledNothing,
        Msg::ChangeWhen,
        Msg::ChangeLocation,
        Msg::ChangeOnlineLink,
        Msg::ChangeTitle,
        Msg::ManageTitle,
        Msg::ManageHeading,
        Msg::StatusLabel,
        Msg::AddToCalendar,
        Msg::AcceptSeatButton,
        Msg::CancelHint,
        Msg::CancelButton,
        Msg::RegisterAgainBefore,
        Msg::RegistrationFormLink,
        Msg::RegisterAgainAfter,
        Msg::StatusConfirmedLabel,
        Msg::StatusWaitlistedNumber,
        Msg::StatusWaitlistedLabel,
        Msg::StatusOfferedUntil,
        Msg::StatusOfferedLabel,
        Msg::StatusPendingLabel,
        Msg::StatusRejectedLabel,
        Msg::StatusExpiredLabel,
        Msg::StatusCancelledLabel,
        Msg::SeatConfirmedHeading,
        Msg::SeatConfirmedText,
        Msg::NoSeatHeading,
        Msg::SeatAlreadyConfirmed,
        Msg::OfferLapsed,
        Msg::CancelledHeading,
        Msg::CancelledText,
        Msg::AlreadyCancelledText,
        Msg::LinkTitle,
        Msg::LinkSent,
        Msg::LinkIntro,
        Msg::LinkButton,
        Msg::EventsTitle,
        Msg::EventsHeading,
        Msg::NoEvents,
        Msg::LanguageNav,
        Msg::Hello,
        Msg::LabelInvitation,
        Msg::InvitationOnlyNote,
        Msg::InvitationBoundHint,
        Msg::InvitationUnknown,
        Msg::InvitationForAnother,
        Msg::InvitationSubject,
        Msg::InvitationBody,
        Msg::InvitationLink,
        Msg::InvitationReminderSubject,
        Msg::InvitationReminderBody,
        Msg::JoinButton,
        Msg::JoinOpensAt,
        Msg::JoinTooEarlyHeading,
        Msg::JoinTooEarlyText,
        Msg::JoinEndedHeading,
        Msg::JoinEndedText,
        Msg::JoinUnavailableHeading,
        Msg::JoinNotConfirmedText,
        Msg::JoinErasedText,
        Msg::JoinNoMeetingText,
        Msg::JoinLinkEmail,
        Msg::FollowUpAttendedSubject,
        Msg::FollowUpAttendedBody,
        Msg::FollowUpAbsentSubject,
        Msg::FollowUpAbsentBody,
        Msg::FollowUpMaterials,
        Msg::FollowUpRecording,
    ];

    /// The text in `lang`; English where a translation is missing.
    pub fn text(self, lang: Lang) -> &'static str {
        let translated = match lang {
            Lang::En => None,
            Lang::Fr => self.fr(),
            Lang::Es => self.es(),
        };
        or_english(translated, self)
    }

    /// English: exhaustive, so every message has it.
    pub fn en(self) -> &'static str {
        match self {
            Msg::ErrorPrefix => "Error: ",
            Msg::FieldProblem => "{label}: {problem}",
            Msg::RegisterTitle => "Register — {title}",
            Msg::RegisterHeading => "Register for {title}",
            Msg::Topics => "Topics:",
            Msg::CosponsoredBy => "Co-sponsored by",
            Msg::SeatsLeft => "Seats left:",
            Msg::OfferToCosponsor => "Offer to co-sponsor this exchange",
            Msg::AlreadyRegistered => "Already registered?",
            Msg::GetLinkAgain => "Get your link again",
            Msg::CorrectOneField => "Please correct 1 field",
            Msg::CorrectFields => "Please correct {n} fields",
            Msg::LabelName => "Full name",
            Msg::LabelEmail => "Email address",
            Msg::EmailHint => "We send your confirmation and reminders here.",
            Msg::LabelOrganisation => "Organisation",
            Msg::LabelCountry => "Country",
            Msg::ChooseCountryOption => "Choose a country",
            Msg::LabelRole => "You take part as",
            Msg::ChooseOneOption => "Choose one",
            Msg::LabelTimezone => "Your time zone (optional)",
            Msg::FieldTimezone => "Your time zone",
            Msg::FieldConsent => "Consent",
            Msg::TimezoneHint => "We show the exchange's times in your time zone too, e.g. America/Bogota. Leave it empty to use the exchange's: {zone}.",
            Msg::LeaveEmpty => "Leave this empty",
            Msg::ConsentText => "I agree that the organisers of this exchange process my name, email address, organisation, country and role to run this exchange, to send me its confirmation, reminders and changes, and to count participants by country and role. My data is deleted after the exchange, and I can ask for a copy or its erasure at any time.",
            Msg::RegisterButton => "Register",
            Msg::LanguageLabel => "Language:",
            Msg::RoleGovernmentOfficial => "Government official",
            Msg::RoleUnEntity => "UN entity",
            Msg::RoleCivilSociety => "Civil society",
            Msg::RoleOther => "Other",
            Msg::EventCancelledNote => "This exchange is cancelled.",
            Msg::RegistrationOpensAt => "Registration opens {when}.",
            Msg::RegistrationClosedNote => "Registration for this exchange has closed.",
            Msg::NotOpenYetHeading => "Registration is not open yet",
            Msg::ClosedHeading => "Registration is closed",
            Msg::ClosedText => "This exchange no longer takes registrations.",
            Msg::ReceivedHeading => "Your registration is received",
            Msg::ReceivedText => "Thank you for registering for {title}.",
            Msg::ReceivedEmail => "We email you whether your seat is confirmed, you are on the waiting list, or the organisers will review your registration first. The personal link in that email shows where your registration stands at any time, and lets you cancel it. If nothing arrives within a few minutes, check your spam folder.",
            Msg::ReceivedAlready => "If this address was already registered, nothing changes and no new email is sent: the link in the email you received then still shows your status.",
            Msg::NotFoundHeading => "Page not found",
            Msg::NotFoundText => "There is nothing at this address. Check the link you followed.",
            Msg::Required => "This field is required.",
            Msg::AtLeast => "Use at least {min} characters.",
            Msg::AtMost => "Use at most {max} characters (this has {len}).",
            Msg::SingleLine => "Use a single line, without control or text-direction characters.",
            Msg::NoControlChars => "Remove the control or text-direction characters.",
            Msg::EnterEmail => "Enter your email address.",
            Msg::EmailTooLong => "Use an email address of at most 254 characters.",
            Msg::EmailInvalid => "Enter an email address like name@example.org.",
            Msg::ChooseCountry => "Choose a country.",
            Msg::ChooseCountryFromList => "Choose a country from the list (an ISO 3166-1 code such as FR).",
            Msg::ChooseRole => "Choose the capacity you come in.",
            Msg::ChooseRoleFromList => "Choose one of government_official, un_entity, civil_society, other.",
            Msg::TimezoneInvalid => "Use a time zone name such as America/Bogota, or leave it empty.",
            Msg::ConsentRequired => "Tick the box to agree to the processing of your data; we cannot register you without it.",
            Msg::Dear => "Dear {name},",
            Msg::Signature => "Convene, for the organisers of {title}",
            Msg::WhenLabel => "When:",
            Msg::ForYou => "{theirs}; for you: {yours}",
            Msg::ConfirmationSubject => "Registered: {title}",
            Msg::ConfirmationBody => "You are registered for {title}.",
            Msg::ConfirmationLink => "Your personal link, to see or cancel your registration (keep it to yourself):",
            Msg::ConfirmationRemind => "We will remind you before the exchange starts.",
            Msg::CancellationSubject => "Cancelled: your registration for {title}",
            Msg::CancellationBody => "Your registration for {title} ({when}) is cancelled, and your seat is free for someone else.",
            Msg::CancellationMistake => "If this was a mistake, you can register again while registration is open.",
            Msg::ReminderSubject => "Reminder: {title} starts {starts_in}",
            Msg::ReminderBody => "This is a reminder: {title} starts {starts_in}.",
            Msg::ReminderLink => "Your registration, if you need to cancel:",
            Msg::ReminderNoteLabel => "A note from the organisers:",
            Msg::StartsNow => "now",
            Msg::InMinute => "in 1 minute",
            Msg::InMinutes => "in {n} minutes",
            Msg::InHour => "in 1 hour",
            Msg::InHours => "in {n} hours",
            Msg::InDay => "in 1 day",
            Msg::InDays => "in {n} days",
            Msg::PendingSubject => "Received: your registration for {title}",
            Msg::WaitlistedSubject => "Waiting list: {title}",
            Msg::OfferedSubject => "A seat is free for you: {title}",
            Msg::RejectedSubject => "Your registration for {title}",
            Msg::ExpiredSubject => "Your held seat for {title} has passed on",
            Msg::StatusPending => "We have received your registration for {title} ({when}). The organisers review each registration, and we will email you their answer.",
            Msg::StatusWaitlisted => "{title} ({when}) is full for now, so you are on its waiting list{position}. If a seat frees up, we email you and hold it for you for a while.",
            Msg::StatusPosition => ", number {n} in line",
            Msg::StatusOffered => "Good news: a seat has freed up at {title} ({when}) and we are holding it for you{deadline}. To take it, open your personal page below and press \"Accept my seat\". If you do not, it passes to the next person in line.",
            Msg::StatusDeadline => " until {deadline}",
            Msg::StatusRejected => "The organisers of {title} ({when}) are not able to accept your registration this time. Thank you for your interest.",
            Msg::StatusExpired => "The seat we held for you at {title} ({when}) has passed to the next person in line, as it was not accepted in time.",
            Msg::OrganisedBy => "Organised by",
            Msg::CertificateLink => "Your certificate of participation",
            Msg::CertificateHeading => "Certificate of participation",
            Msg::CertificateText => "This certifies that {name} ({organisation}) took part in “{title}” on {date}.",
            Msg::CertificateOrganisedBy => "Organised by {organisers}.",
            Msg::CertificateCosponsors => "With the support of {cosponsors}.",
            Msg::CertificatePrint => "To keep it, print this page or save it as a PDF with your browser's Print command.",
            Msg::CertificateUnavailableHeading => "No certificate for this registration",
            Msg::CertificateUnavailableText => "A certificate of participation is given to those who took part in the exchange, once it has begun: joining through your personal link, or marked present by the organisers.",
            Msg::UnconfirmedSubject => "Please confirm your registration for {title}",
            Msg::StatusUnconfirmed => "We have received a registration for {title} ({when}) with this email address. To confirm that it is yours, open your personal page below{deadline}: only then does the registration take its place. If you did not register, ignore this email: the registration will lapse and we will not write again.",
            Msg::ConfirmDeadline => " by {deadline}",
            Msg::StatusUnconfirmedLabel => "Waiting for you to confirm your email address",
            Msg::StatusLapsedLabel => "Lapsed: the email address was not confirmed in time. You may register again.",
            Msg::YourPersonalPage => "Your personal page:",
            Msg::LinkRenewedSubject => "Your link for {title}",
            Msg::LinkRenewedBody => "You asked for your personal link to {title} ({when}). Here is a new one; the old one no longer works:",
            Msg::LinkRenewedIgnore => "If you did not ask for it, you can ignore this email: your registration is unchanged.",
            Msg::EventChangedSubject => "Changed: {title}",
            Msg::EventChangedBody => "The organisers have changed {title}:",
            Msg::ChangeWas => "was:",
            Msg::ChangeNow => "now:",
            Msg::EventChangedStands => "Your registration stands. If you can no longer come, cancel it here:",
            Msg::EventCancelledSubject => "Cancelled: {title}",
            Msg::EventCancelledBody => "The organisers have cancelled {title}, which was to take place {when}.",
            Msg::EventCancelledNothing => "You do not need to do anything: your registration is closed and you will receive no reminders.",
            Msg::ChangeWhen => "When",
            Msg::ChangeLocation => "Location",
            Msg::ChangeOnlineLink => "Online link",
            Msg::ChangeTitle => "Title",
            Msg::ManageTitle => "Your registration — {title}",
            Msg::ManageHeading => "Your registration for {title}",
            Msg::StatusLabel => "Status:",
            Msg::AddToCalendar => "Add the exchange to your calendar",
            Msg::AcceptSeatButton => "Accept my seat",
            Msg::CancelHint => "If you can no longer come, cancel to free your place for someone else.",
            Msg::CancelButton => "Cancel my registration",
            Msg::RegisterAgainBefore => "You can register again from the",
            Msg::RegistrationFormLink => "registration form",
            Msg::RegisterAgainAfter => "while it is open.",
            Msg::StatusConfirmedLabel => "Confirmed",
            Msg::StatusWaitlistedNumber => "On the waiting list (number {n} in line)",
            Msg::StatusWaitlistedLabel => "On the waiting list",
            Msg::StatusOfferedUntil => "A seat is held for you until {when}: accept it below",
            Msg::StatusOfferedLabel => "A seat is held for you",
            Msg::StatusPendingLabel => "Waiting for the organisers' approval",
            Msg::StatusRejectedLabel => "Not accepted by the organisers",
            Msg::StatusExpiredLabel => "The seat held for you has passed to the next in line",
            Msg::StatusCancelledLabel => "Cancelled",
            Msg::SeatConfirmedHeading => "Your seat is confirmed",
            Msg::SeatConfirmedText => "Welcome: we have sent you an email to confirm, and will remind you before the exchange.",
            Msg::NoSeatHeading => "There is no seat to accept",
            Msg::SeatAlreadyConfirmed => "Your seat is already confirmed.",
            Msg::OfferLapsed => "The offer has lapsed or was withdrawn.",
            Msg::CancelledHeading => "Your registration is cancelled",
            Msg::CancelledText => "Your seat is free for someone else. We have sent you an email to confirm.",
            Msg::AlreadyCancelledText => "It was already cancelled; nothing changed.",
            Msg::LinkTitle => "Get your registration link again",
            Msg::LinkSent => "If this address is registered for an upcoming exchange, we have emailed it a new personal link. The old link no longer works. If nothing arrives within a few minutes, check your spam folder.",
            Msg::LinkIntro => "Enter the email address you registered with. We email it a new personal link for each exchange you are registered for.",
            Msg::LinkButton => "Send me my link",
            Msg::EventsTitle => "Upcoming exchanges",
            Msg::EventsHeading => "Upcoming peer-learning exchanges",
            Msg::NoEvents => "No exchange is open for registration right now.",
            Msg::LanguageNav => "Language",
            Msg::Hello => "Hello,",
            Msg::LabelInvitation => "Invitation",
            Msg::InvitationOnlyNote => "This exchange is by invitation only: register with the personal link in your invitation email.",
            Msg::InvitationBoundHint => "Your invitation is personal: it registers {email} only.",
            Msg::InvitationUnknown => "This invitation link is not valid for this exchange; check that you copied it whole.",
            Msg::InvitationForAnother => "This invitation was sent to another address: only the person invited can register with it.",
            Msg::InvitationSubject => "Invitation: {title}",
            Msg::InvitationBody => "You are invited to take part in {title}.",
            Msg::InvitationLink => "Register with your personal link (it works for your address only):",
            Msg::InvitationReminderSubject => "Reminder: your invitation to {title}",
            Msg::InvitationReminderBody => "You are invited to {title} and have not registered yet.",
            Msg::JoinButton => "Join the exchange",
            Msg::JoinOpensAt => "Your personal join link opens the meeting from {when}.",
            Msg::JoinTooEarlyHeading => "The exchange has not started yet",
            Msg::JoinTooEarlyText => "{title} takes place {when}.",
            Msg::JoinEndedHeading => "The exchange has ended",
            Msg::JoinEndedText => "{title} has ended: this link no longer opens the meeting.",
            Msg::JoinUnavailableHeading => "This link does not open the meeting",
            Msg::JoinNotConfirmedText => "Your registration for {title} is not confirmed, so this link does not open the meeting. Your personal page, linked from your emails, says where your registration stands.",
            Msg::JoinErasedText => "This registration no longer exists, so this link does not open the meeting.",
            Msg::JoinNoMeetingText => "{title} has no online meeting: there is nothing to join through this link.",
            Msg::JoinLinkEmail => "Your personal link to join online (it opens the meeting shortly before the start; keep it to yourself):",
            Msg::FollowUpAttendedSubject => "Thank you for taking part: {title}",
            Msg::FollowUpAttendedBody => "Thank you for taking part in {title}. We hope the exchange was useful to you and your work.",
            Msg::FollowUpAbsentSubject => "Sorry we missed you: {title}",
            Msg::FollowUpAbsentBody => "We are sorry you could not join us at {title}.",
            Msg::FollowUpMaterials => "The materials:",
            Msg::FollowUpRecording => "The recording:",
        }
    }

    /// French, where translated.
    pub fn fr(self) -> Option<&'static str> {
        Some(match self {
            Msg::ErrorPrefix => "Erreur\u{a0}: ",
            Msg::FieldProblem => "{label}\u{a0}: {problem}",
            Msg::RegisterTitle => "Inscription — {title}",
            Msg::RegisterHeading => "Inscription à {title}",
            Msg::Topics => "Thèmes\u{a0}:",
            Msg::CosponsoredBy => "Coparrainé par",
            Msg::SeatsLeft => "Places restantes\u{a0}:",
            Msg::OfferToCosponsor => "Proposer de coparrainer cet échange",
            Msg::AlreadyRegistered => "Déjà inscrit\u{a0}?",
            Msg::GetLinkAgain => "Recevoir à nouveau votre lien",
            Msg::CorrectOneField => "Veuillez corriger 1 champ",
            Msg::CorrectFields => "Veuillez corriger {n} champs",
            Msg::LabelName => "Nom complet",
            Msg::LabelEmail => "Adresse électronique",
            Msg::EmailHint => "Nous vous enverrons ici votre confirmation et vos rappels.",
            Msg::LabelOrganisation => "Organisation",
            Msg::LabelCountry => "Pays",
            Msg::ChooseCountryOption => "Choisissez un pays",
            Msg::LabelRole => "Vous participez en tant que",
            Msg::ChooseOneOption => "Choisissez une option",
            Msg::LabelTimezone => "Votre fuseau horaire (facultatif)",
            Msg::FieldTimezone => "Votre fuseau horaire",
            Msg::FieldConsent => "Consentement",
            Msg::TimezoneHint => "Nous indiquons aussi les horaires de l'échange dans votre fuseau horaire, par exemple America/Bogota. Laissez ce champ vide pour utiliser celui de l'échange\u{a0}: {zone}.",
            Msg::LeaveEmpty => "Laissez ce champ vide",
            Msg::ConsentText => "J'accepte que les organisateurs de cet échange traitent mes nom, adresse électronique, organisation, pays et fonction pour organiser cet échange, m'en envoyer la confirmation, les rappels et les modifications, et compter les participants par pays et par fonction. Mes données sont supprimées après l'échange, et je peux à tout moment en demander une copie ou l'effacement.",
            Msg::RegisterButton => "S'inscrire",
            Msg::LanguageLabel => "Langue\u{a0}:",
            Msg::RoleGovernmentOfficial => "Représentant(e) d'un gouvernement",
            Msg::RoleUnEntity => "Entité des Nations Unies",
            Msg::RoleCivilSociety => "Société civile",
            Msg::RoleOther => "Autre",
            Msg::EventCancelledNote => "Cet échange est annulé.",
            Msg::RegistrationOpensAt => "Les inscriptions ouvrent le {when}.",
            Msg::RegistrationClosedNote => "Les inscriptions à cet échange sont closes.",
            Msg::NotOpenYetHeading => "Les inscriptions ne sont pas encore ouvertes",
            Msg::ClosedHeading => "Les inscriptions sont closes",
            Msg::ClosedText => "Cet échange n'accepte plus d'inscriptions.",
            Msg::ReceivedHeading => "Votre inscription a bien été reçue",
            Msg::ReceivedText => "Merci de vous être inscrit(e) à {title}.",
            Msg::ReceivedEmail => "Nous vous écrivons pour vous dire si votre place est confirmée, si vous êtes sur la liste d'attente ou si les organisateurs examineront d'abord votre inscription. Le lien personnel contenu dans ce courrier indique à tout moment où en est votre inscription et vous permet de l'annuler. Si rien n'arrive d'ici quelques minutes, vérifiez votre dossier de courrier indésirable.",
            Msg::ReceivedAlready => "Si cette adresse était déjà inscrite, rien ne change et aucun nouveau courrier n'est envoyé\u{a0}: le lien du courrier reçu alors indique toujours votre statut.",
            Msg::NotFoundHeading => "Page introuvable",
            Msg::NotFoundText => "Il n'y a rien à cette adresse. Vérifiez le lien que vous avez suivi.",
            Msg::Required => "Ce champ est obligatoire.",
            Msg::AtLeast => "Utilisez au moins {min} caractères.",
            Msg::AtMost => "Utilisez au plus {max} caractères (ce texte en compte {len}).",
            Msg::SingleLine => "Utilisez une seule ligne, sans caractères de contrôle ni de direction du texte.",
            Msg::NoControlChars => "Supprimez les caractères de contrôle ou de direction du texte.",
            Msg::EnterEmail => "Saisissez votre adresse électronique.",
            Msg::EmailTooLong => "Utilisez une adresse électronique de 254 caractères au plus.",
            Msg::EmailInvalid => "Saisissez une adresse électronique de la forme nom@example.org.",
            Msg::ChooseCountry => "Choisissez un pays.",
            Msg::ChooseCountryFromList => "Choisissez un pays dans la liste (un code ISO 3166-1 tel que FR).",
            Msg::ChooseRole => "Choisissez la qualité en laquelle vous participez.",
            Msg::ChooseRoleFromList => "Choisissez l'une des valeurs government_official, un_entity, civil_society, other.",
            Msg::TimezoneInvalid => "Indiquez un nom de fuseau horaire tel que America/Bogota, ou laissez ce champ vide.",
            Msg::ConsentRequired => "Cochez la case pour accepter le traitement de vos données\u{a0}; nous ne pouvons pas vous inscrire sans votre accord.",
            Msg::Dear => "Bonjour {name},",
            Msg::Signature => "Convene, pour les organisateurs de {title}",
            Msg::WhenLabel => "Date\u{a0}:",
            Msg::ForYou => "{theirs}\u{a0}; pour vous\u{a0}: {yours}",
            Msg::ConfirmationSubject => "Inscription confirmée\u{a0}: {title}",
            Msg::ConfirmationBody => "Vous êtes inscrit(e) à {title}.",
            Msg::ConfirmationLink => "Votre lien personnel, pour consulter ou annuler votre inscription (ne le communiquez à personne)\u{a0}:",
            Msg::ConfirmationRemind => "Nous vous enverrons un rappel avant le début de l'échange.",
            Msg::CancellationSubject => "Annulation\u{a0}: votre inscription à {title}",
            Msg::CancellationBody => "Votre inscription à {title} ({when}) est annulée, et votre place est libérée pour une autre personne.",
            Msg::CancellationMistake => "S'il s'agit d'une erreur, vous pouvez vous inscrire à nouveau tant que les inscriptions sont ouvertes.",
            Msg::ReminderSubject => "Rappel\u{a0}: {title} commence {starts_in}",
            Msg::ReminderBody => "Ceci est un rappel\u{a0}: {title} commence {starts_in}.",
            Msg::ReminderLink => "Votre inscription, si vous devez l'annuler\u{a0}:",
            Msg::ReminderNoteLabel => "Un mot des organisateurs\u{a0}:",
            Msg::StartsNow => "maintenant",
            Msg::InMinute => "dans 1 minute",
            Msg::InMinutes => "dans {n} minutes",
            Msg::InHour => "dans 1 heure",
            Msg::InHours => "dans {n} heures",
            Msg::InDay => "dans 1 jour",
            Msg::InDays => "dans {n} jours",
            Msg::PendingSubject => "Reçue\u{a0}: votre inscription à {title}",
            Msg::WaitlistedSubject => "Liste d'attente\u{a0}: {title}",
            Msg::OfferedSubject => "Une place vous attend\u{a0}: {title}",
            Msg::RejectedSubject => "Votre inscription à {title}",
            Msg::ExpiredSubject => "La place qui vous était réservée pour {title} a été attribuée",
            Msg::StatusPending => "Nous avons bien reçu votre inscription à {title} ({when}). Les organisateurs examinent chaque inscription, et nous vous communiquerons leur réponse par courrier électronique.",
            Msg::StatusWaitlisted => "{title} ({when}) est complet pour le moment\u{a0}; vous êtes donc sur sa liste d'attente{position}. Si une place se libère, nous vous écrirons et vous la réserverons pendant un certain temps.",
            Msg::StatusPosition => ", en position {n}",
            Msg::StatusOffered => "Bonne nouvelle\u{a0}: une place s'est libérée pour {title} ({when}) et nous vous la réservons{deadline}. Pour l'accepter, ouvrez votre page personnelle ci-dessous et appuyez sur « Accepter ma place ». À défaut, elle sera proposée à la personne suivante sur la liste.",
            Msg::StatusDeadline => " jusqu'au {deadline}",
            Msg::StatusRejected => "Les organisateurs de {title} ({when}) ne sont pas en mesure d'accepter votre inscription cette fois-ci. Nous vous remercions de votre intérêt.",
            Msg::StatusExpired => "La place que nous vous réservions pour {title} ({when}) a été attribuée à la personne suivante sur la liste, faute d'avoir été acceptée à temps.",
            Msg::OrganisedBy => "Organisé par",
            Msg::CertificateLink => "Votre attestation de participation",
            Msg::CertificateHeading => "Attestation de participation",
            Msg::CertificateText => "Nous attestons que {name} ({organisation}) a participé à «\u{a0}{title}\u{a0}» le {date}.",
            Msg::CertificateOrganisedBy => "Organisé par {organisers}.",
            Msg::CertificateCosponsors => "Avec le soutien de {cosponsors}.",
            Msg::CertificatePrint => "Pour la conserver, imprimez cette page ou enregistrez-la en PDF avec la commande Imprimer de votre navigateur.",
            Msg::CertificateUnavailableHeading => "Pas d'attestation pour cette inscription",
            Msg::CertificateUnavailableText => "Une attestation de participation est délivrée aux personnes qui ont pris part à l'échange, une fois celui-ci commencé\u{a0}: en le rejoignant avec leur lien personnel, ou déclarées présentes par les organisateurs.",
            Msg::UnconfirmedSubject => "Veuillez confirmer votre inscription à {title}",
            Msg::StatusUnconfirmed => "Nous avons reçu une inscription à {title} ({when}) avec cette adresse électronique. Pour confirmer qu'elle est bien la vôtre, ouvrez votre page personnelle ci-dessous{deadline}\u{a0}: l'inscription ne prend sa place qu'à ce moment-là. Si vous ne vous êtes pas inscrit, ignorez ce message\u{a0}: l'inscription expirera et nous ne vous écrirons plus.",
            Msg::ConfirmDeadline => " avant le {deadline}",
            Msg::StatusUnconfirmedLabel => "En attente de la confirmation de votre adresse électronique",
            Msg::StatusLapsedLabel => "Expirée\u{a0}: l'adresse électronique n'a pas été confirmée à temps. Vous pouvez vous inscrire à nouveau.",
            Msg::YourPersonalPage => "Votre page personnelle\u{a0}:",
            Msg::LinkRenewedSubject => "Votre lien pour {title}",
            Msg::LinkRenewedBody => "Vous avez demandé votre lien personnel pour {title} ({when}). En voici un nouveau\u{a0}; l'ancien ne fonctionne plus\u{a0}:",
            Msg::LinkRenewedIgnore => "Si vous n'en avez pas fait la demande, vous pouvez ignorer ce message\u{a0}: votre inscription reste inchangée.",
            Msg::EventChangedSubject => "Modification\u{a0}: {title}",
            Msg::EventChangedBody => "Les organisateurs ont modifié {title}\u{a0}:",
            Msg::ChangeWas => "avant\u{a0}:",
            Msg::ChangeNow => "désormais\u{a0}:",
            Msg::EventChangedStands => "Votre inscription est maintenue. Si vous ne pouvez plus venir, annulez-la ici\u{a0}:",
            Msg::EventCancelledSubject => "Annulation\u{a0}: {title}",
            Msg::EventCancelledBody => "Les organisateurs ont annulé {title}, qui devait avoir lieu le {when}.",
            Msg::EventCancelledNothing => "Vous n'avez rien à faire\u{a0}: votre inscription est close et vous ne recevrez aucun rappel.",
            Msg::ChangeWhen => "Date",
            Msg::ChangeLocation => "Lieu",
            Msg::ChangeOnlineLink => "Lien en ligne",
            Msg::ChangeTitle => "Titre",
            Msg::ManageTitle => "Votre inscription — {title}",
            Msg::ManageHeading => "Votre inscription à {title}",
            Msg::StatusLabel => "Statut\u{a0}:",
            Msg::AddToCalendar => "Ajouter l'échange à votre agenda",
            Msg::AcceptSeatButton => "Accepter ma place",
            Msg::CancelHint => "Si vous ne pouvez plus venir, annulez votre inscription pour libérer votre place.",
            Msg::CancelButton => "Annuler mon inscription",
            Msg::RegisterAgainBefore => "Vous pouvez vous inscrire à nouveau au moyen du",
            Msg::RegistrationFormLink => "formulaire d'inscription",
            Msg::RegisterAgainAfter => "tant qu'il est ouvert.",
            Msg::StatusConfirmedLabel => "Confirmée",
            Msg::StatusWaitlistedNumber => "Sur la liste d'attente (en position {n})",
            Msg::StatusWaitlistedLabel => "Sur la liste d'attente",
            Msg::StatusOfferedUntil => "Une place vous est réservée jusqu'au {when}\u{a0}: acceptez-la ci-dessous",
            Msg::StatusOfferedLabel => "Une place vous est réservée",
            Msg::StatusPendingLabel => "En attente de l'approbation des organisateurs",
            Msg::StatusRejectedLabel => "Non acceptée par les organisateurs",
            Msg::StatusExpiredLabel => "La place qui vous était réservée a été attribuée à la personne suivante",
            Msg::StatusCancelledLabel => "Annulée",
            Msg::SeatConfirmedHeading => "Votre place est confirmée",
            Msg::SeatConfirmedText => "Bienvenue\u{a0}: nous vous avons envoyé un courrier électronique de confirmation et vous enverrons un rappel avant l'échange.",
            Msg::NoSeatHeading => "Il n'y a pas de place à accepter",
            Msg::SeatAlreadyConfirmed => "Votre place est déjà confirmée.",
            Msg::OfferLapsed => "L'offre a expiré ou a été retirée.",
            Msg::CancelledHeading => "Votre inscription est annulée",
            Msg::CancelledText => "Votre place est libérée pour une autre personne. Nous vous avons envoyé un courrier électronique de confirmation.",
            Msg::AlreadyCancelledText => "Elle était déjà annulée\u{a0}; rien n'a changé.",
            Msg::LinkTitle => "Recevoir à nouveau votre lien d'inscription",
            Msg::LinkSent => "Si cette adresse est inscrite à un échange à venir, nous lui avons envoyé un nouveau lien personnel. L'ancien lien ne fonctionne plus. Si rien n'arrive d'ici quelques minutes, vérifiez votre dossier de courrier indésirable.",
            Msg::LinkIntro => "Saisissez l'adresse électronique avec laquelle vous vous êtes inscrit(e). Nous y enverrons un nouveau lien personnel pour chaque échange auquel vous êtes inscrit(e).",
            Msg::LinkButton => "Envoyez-moi mon lien",
            Msg::EventsTitle => "Échanges à venir",
            Msg::EventsHeading => "Échanges d'apprentissage entre pairs à venir",
            Msg::NoEvents => "Aucun échange n'est ouvert aux inscriptions pour le moment.",
            Msg::LanguageNav => "Langue",
            Msg::Hello => "Bonjour,",
            Msg::LabelInvitation => "Invitation",
            Msg::InvitationOnlyNote => "Cet échange est sur invitation uniquement\u{a0}: inscrivez-vous avec le lien personnel de votre courriel d'invitation.",
            Msg::InvitationBoundHint => "Votre invitation est personnelle\u{a0}: elle n'inscrit que {email}.",
            Msg::InvitationUnknown => "Ce lien d'invitation n'est pas valable pour cet échange\u{a0}; vérifiez que vous l'avez copié en entier.",
            Msg::InvitationForAnother => "Cette invitation a été envoyée à une autre adresse\u{a0}: seule la personne invitée peut s'inscrire avec.",
            Msg::InvitationSubject => "Invitation\u{a0}: {title}",
            Msg::InvitationBody => "Vous êtes invité·e à participer à {title}.",
            Msg::InvitationLink => "Inscrivez-vous avec votre lien personnel (il ne vaut que pour votre adresse)\u{a0}:",
            Msg::InvitationReminderSubject => "Rappel\u{a0}: votre invitation à {title}",
            Msg::InvitationReminderBody => "Vous êtes invité·e à {title} et ne vous êtes pas encore inscrit·e.",
            Msg::JoinButton => "Rejoindre l'échange",
            Msg::JoinOpensAt => "Votre lien personnel ouvre la réunion à partir du {when}.",
            Msg::JoinTooEarlyHeading => "L'échange n'a pas encore commencé",
            Msg::JoinTooEarlyText => "{title} a lieu le {when}.",
            Msg::JoinEndedHeading => "L'échange est terminé",
            Msg::JoinEndedText => "{title} est terminé\u{a0}: ce lien n'ouvre plus la réunion.",
            Msg::JoinUnavailableHeading => "Ce lien n'ouvre pas la réunion",
            Msg::JoinNotConfirmedText => "Votre inscription à {title} n'est pas confirmée\u{a0}; ce lien n'ouvre donc pas la réunion. Votre page personnelle, dont le lien figure dans nos courriers électroniques, indique où en est votre inscription.",
            Msg::JoinErasedText => "Cette inscription n'existe plus\u{a0}; ce lien n'ouvre donc pas la réunion.",
            Msg::JoinNoMeetingText => "{title} n'a pas de réunion en ligne\u{a0}: ce lien ne permet de rejoindre aucune réunion.",
            Msg::JoinLinkEmail => "Votre lien personnel pour participer en ligne (il ouvre la réunion peu avant le début\u{a0}; ne le communiquez à personne)\u{a0}:",
            Msg::FollowUpAttendedSubject => "Merci de votre participation\u{a0}: {title}",
            Msg::FollowUpAttendedBody => "Merci d'avoir participé à {title}. Nous espérons que l'échange vous a été utile, à vous et à votre travail.",
            Msg::FollowUpAbsentSubject => "Vous nous avez manqué\u{a0}: {title}",
            Msg::FollowUpAbsentBody => "Nous regrettons que vous n'ayez pas pu vous joindre à nous pour {title}.",
            Msg::FollowUpMaterials => "Les documents\u{a0}:",
            Msg::FollowUpRecording => "L'enregistrement\u{a0}:",
        })
    }

    /// Spanish, where translated.
    pub fn es(self) -> Option<&'static str> {
        Some(match self {
            Msg::ErrorPrefix => "Error: ",
            Msg::FieldProblem => "{label}: {problem}",
            Msg::RegisterTitle => "Inscripción — {title}",
            Msg::RegisterHeading => "Inscripción en {title}",
            Msg::Topics => "Temas:",
            Msg::CosponsoredBy => "Copatrocinado por",
            Msg::SeatsLeft => "Plazas disponibles:",
            Msg::OfferToCosponsor => "Ofrecer copatrocinar este intercambio",
            Msg::AlreadyRegistered => "¿Ya se ha inscrito?",
            Msg::GetLinkAgain => "Recibir de nuevo su enlace",
            Msg::CorrectOneField => "Corrija 1 campo",
            Msg::CorrectFields => "Corrija {n} campos",
            Msg::LabelName => "Nombre completo",
            Msg::LabelEmail => "Correo electrónico",
            Msg::EmailHint => "Le enviaremos aquí su confirmación y los recordatorios.",
            Msg::LabelOrganisation => "Organización",
            Msg::LabelCountry => "País",
            Msg::ChooseCountryOption => "Elija un país",
            Msg::LabelRole => "Participa en calidad de",
            Msg::ChooseOneOption => "Elija una opción",
            Msg::LabelTimezone => "Su huso horario (opcional)",
            Msg::FieldTimezone => "Su huso horario",
            Msg::FieldConsent => "Consentimiento",
            Msg::TimezoneHint => "También mostramos los horarios del intercambio en su huso horario, por ejemplo America/Bogota. Déjelo vacío para usar el del intercambio: {zone}.",
            Msg::LeaveEmpty => "Deje este campo vacío",
            Msg::ConsentText => "Acepto que los organizadores de este intercambio traten mi nombre, correo electrónico, organización, país y función para organizar este intercambio, enviarme su confirmación, recordatorios y cambios, y contar a los participantes por país y función. Mis datos se eliminan después del intercambio, y puedo solicitar una copia o su supresión en cualquier momento.",
            Msg::RegisterButton => "Inscribirse",
            Msg::LanguageLabel => "Idioma:",
            Msg::RoleGovernmentOfficial => "Funcionario/a de gobierno",
            Msg::RoleUnEntity => "Entidad de las Naciones Unidas",
            Msg::RoleCivilSociety => "Sociedad civil",
            Msg::RoleOther => "Otro",
            Msg::EventCancelledNote => "Este intercambio ha sido cancelado.",
            Msg::RegistrationOpensAt => "Las inscripciones se abren el {when}.",
            Msg::RegistrationClosedNote => "Las inscripciones para este intercambio están cerradas.",
            Msg::NotOpenYetHeading => "Las inscripciones aún no están abiertas",
            Msg::ClosedHeading => "Las inscripciones están cerradas",
            Msg::ClosedText => "Este intercambio ya no admite inscripciones.",
            Msg::ReceivedHeading => "Hemos recibido su inscripción",
            Msg::ReceivedText => "Gracias por inscribirse en {title}.",
            Msg::ReceivedEmail => "Le escribiremos para decirle si su plaza está confirmada, si está en la lista de espera o si los organizadores examinarán primero su inscripción. El enlace personal de ese correo muestra en todo momento el estado de su inscripción y le permite cancelarla. Si no recibe nada en unos minutos, revise su carpeta de correo no deseado.",
            Msg::ReceivedAlready => "Si esta dirección ya estaba inscrita, nada cambia y no se envía ningún correo nuevo: el enlace del correo que recibió entonces sigue mostrando su estado.",
            Msg::NotFoundHeading => "Página no encontrada",
            Msg::NotFoundText => "No hay nada en esta dirección. Compruebe el enlace que ha seguido.",
            Msg::Required => "Este campo es obligatorio.",
            Msg::AtLeast => "Utilice al menos {min} caracteres.",
            Msg::AtMost => "Utilice como máximo {max} caracteres (este texto tiene {len}).",
            Msg::SingleLine => "Utilice una sola línea, sin caracteres de control ni de dirección del texto.",
            Msg::NoControlChars => "Elimine los caracteres de control o de dirección del texto.",
            Msg::EnterEmail => "Introduzca su correo electrónico.",
            Msg::EmailTooLong => "Utilice un correo electrónico de 254 caracteres como máximo.",
            Msg::EmailInvalid => "Introduzca un correo electrónico con el formato nombre@example.org.",
            Msg::ChooseCountry => "Elija un país.",
            Msg::ChooseCountryFromList => "Elija un país de la lista (un código ISO 3166-1 como FR).",
            Msg::ChooseRole => "Elija la calidad en la que participa.",
            Msg::ChooseRoleFromList => "Elija uno de los valores government_official, un_entity, civil_society, other.",
            Msg::TimezoneInvalid => "Indique un nombre de huso horario como America/Bogota, o deje el campo vacío.",
            Msg::ConsentRequired => "Marque la casilla para aceptar el tratamiento de sus datos; no podemos inscribirle sin su consentimiento.",
            Msg::Dear => "Estimado/a {name}:",
            Msg::Signature => "Convene, en nombre de los organizadores de {title}",
            Msg::WhenLabel => "Fecha:",
            Msg::ForYou => "{theirs}; para usted: {yours}",
            Msg::ConfirmationSubject => "Inscripción confirmada: {title}",
            Msg::ConfirmationBody => "Está inscrito/a en {title}.",
            Msg::ConfirmationLink => "Su enlace personal, para consultar o cancelar su inscripción (no lo comparta):",
            Msg::ConfirmationRemind => "Le enviaremos un recordatorio antes de que comience el intercambio.",
            Msg::CancellationSubject => "Cancelación: su inscripción en {title}",
            Msg::CancellationBody => "Su inscripción en {title} ({when}) ha sido cancelada y su plaza queda libre para otra persona.",
            Msg::CancellationMistake => "Si se trata de un error, puede inscribirse de nuevo mientras las inscripciones estén abiertas.",
            Msg::ReminderSubject => "Recordatorio: {title} comienza {starts_in}",
            Msg::ReminderBody => "Le recordamos que {title} comienza {starts_in}.",
            Msg::ReminderLink => "Su inscripción, por si necesita cancelarla:",
            Msg::ReminderNoteLabel => "Una nota de los organizadores:",
            Msg::StartsNow => "ahora",
            Msg::InMinute => "en 1 minuto",
            Msg::InMinutes => "en {n} minutos",
            Msg::InHour => "en 1 hora",
            Msg::InHours => "en {n} horas",
            Msg::InDay => "en 1 día",
            Msg::InDays => "en {n} días",
            Msg::PendingSubject => "Recibida: su inscripción en {title}",
            Msg::WaitlistedSubject => "Lista de espera: {title}",
            Msg::OfferedSubject => "Hay una plaza para usted: {title}",
            Msg::RejectedSubject => "Su inscripción en {title}",
            Msg::ExpiredSubject => "La plaza reservada para usted en {title} ha sido reasignada",
            Msg::StatusPending => "Hemos recibido su inscripción en {title} ({when}). Los organizadores examinan cada inscripción y le comunicaremos su respuesta por correo electrónico.",
            Msg::StatusWaitlisted => "{title} ({when}) está completo por ahora, por lo que está en su lista de espera{position}. Si se libera una plaza, le escribiremos y se la reservaremos durante un tiempo.",
            Msg::StatusPosition => ", en el puesto {n}",
            Msg::StatusOffered => "Buenas noticias: se ha liberado una plaza en {title} ({when}) y se la estamos reservando{deadline}. Para aceptarla, abra su página personal a continuación y pulse «Aceptar mi plaza». De lo contrario, pasará a la siguiente persona de la lista.",
            Msg::StatusDeadline => " hasta el {deadline}",
            Msg::StatusRejected => "Los organizadores de {title} ({when}) no pueden aceptar su inscripción en esta ocasión. Le agradecemos su interés.",
            Msg::StatusExpired => "La plaza que le reservábamos en {title} ({when}) ha pasado a la siguiente persona de la lista, al no haber sido aceptada a tiempo.",
            Msg::OrganisedBy => "Organizado por",
            Msg::CertificateLink => "Su certificado de participación",
            Msg::CertificateHeading => "Certificado de participación",
            Msg::CertificateText => "Se certifica que {name} ({organisation}) participó en «{title}» el {date}.",
            Msg::CertificateOrganisedBy => "Organizado por {organisers}.",
            Msg::CertificateCosponsors => "Con el apoyo de {cosponsors}.",
            Msg::CertificatePrint => "Para conservarlo, imprima esta página o guárdela como PDF con la orden Imprimir de su navegador.",
            Msg::CertificateUnavailableHeading => "No hay certificado para esta inscripción",
            Msg::CertificateUnavailableText => "El certificado de participación se entrega a quienes participaron en el intercambio, una vez comenzado: al unirse con su enlace personal, o registrados como presentes por los organizadores.",
            Msg::UnconfirmedSubject => "Confirme su inscripción a {title}",
            Msg::StatusUnconfirmed => "Hemos recibido una inscripción a {title} ({when}) con esta dirección de correo electrónico. Para confirmar que es suya, abra su página personal a continuación{deadline}: solo entonces la inscripción ocupa su lugar. Si usted no se inscribió, ignore este mensaje: la inscripción caducará y no volveremos a escribirle.",
            Msg::ConfirmDeadline => " antes del {deadline}",
            Msg::StatusUnconfirmedLabel => "Pendiente de que confirme su dirección de correo electrónico",
            Msg::StatusLapsedLabel => "Caducada: la dirección de correo electrónico no se confirmó a tiempo. Puede inscribirse de nuevo.",
            Msg::YourPersonalPage => "Su página personal:",
            Msg::LinkRenewedSubject => "Su enlace para {title}",
            Msg::LinkRenewedBody => "Ha solicitado su enlace personal para {title} ({when}). Aquí tiene uno nuevo; el anterior ya no funciona:",
            Msg::LinkRenewedIgnore => "Si no lo ha solicitado, puede ignorar este mensaje: su inscripción no ha cambiado.",
            Msg::EventChangedSubject => "Cambio: {title}",
            Msg::EventChangedBody => "Los organizadores han modificado {title}:",
            Msg::ChangeWas => "antes:",
            Msg::ChangeNow => "ahora:",
            Msg::EventChangedStands => "Su inscripción se mantiene. Si ya no puede asistir, cancélela aquí:",
            Msg::EventCancelledSubject => "Cancelación: {title}",
            Msg::EventCancelledBody => "Los organizadores han cancelado {title}, que debía celebrarse el {when}.",
            Msg::EventCancelledNothing => "No necesita hacer nada: su inscripción queda cerrada y no recibirá recordatorios.",
            Msg::ChangeWhen => "Fecha",
            Msg::ChangeLocation => "Lugar",
            Msg::ChangeOnlineLink => "Enlace en línea",
            Msg::ChangeTitle => "Título",
            Msg::ManageTitle => "Su inscripción — {title}",
            Msg::ManageHeading => "Su inscripción en {title}",
            Msg::StatusLabel => "Estado:",
            Msg::AddToCalendar => "Añadir el intercambio a su calendario",
            Msg::AcceptSeatButton => "Aceptar mi plaza",
            Msg::CancelHint => "Si ya no puede asistir, cancele su inscripción para liberar su plaza.",
            Msg::CancelButton => "Cancelar mi inscripción",
            Msg::RegisterAgainBefore => "Puede volver a inscribirse mediante el",
            Msg::RegistrationFormLink => "formulario de inscripción",
            Msg::RegisterAgainAfter => "mientras esté abierto.",
            Msg::StatusConfirmedLabel => "Confirmada",
            Msg::StatusWaitlistedNumber => "En la lista de espera (puesto {n})",
            Msg::StatusWaitlistedLabel => "En la lista de espera",
            Msg::StatusOfferedUntil => "Se le reserva una plaza hasta el {when}: acéptela a continuación",
            Msg::StatusOfferedLabel => "Se le reserva una plaza",
            Msg::StatusPendingLabel => "Pendiente de la aprobación de los organizadores",
            Msg::StatusRejectedLabel => "No aceptada por los organizadores",
            Msg::StatusExpiredLabel => "La plaza reservada para usted ha pasado a la siguiente persona",
            Msg::StatusCancelledLabel => "Cancelada",
            Msg::SeatConfirmedHeading => "Su plaza está confirmada",
            Msg::SeatConfirmedText => "Le damos la bienvenida: le hemos enviado un correo electrónico de confirmación y le enviaremos un recordatorio antes del intercambio.",
            Msg::NoSeatHeading => "No hay ninguna plaza que aceptar",
            Msg::SeatAlreadyConfirmed => "Su plaza ya está confirmada.",
            Msg::OfferLapsed => "La oferta ha caducado o ha sido retirada.",
            Msg::CancelledHeading => "Su inscripción ha sido cancelada",
            Msg::CancelledText => "Su plaza queda libre para otra persona. Le hemos enviado un correo electrónico de confirmación.",
            Msg::AlreadyCancelledText => "Ya estaba cancelada; no ha cambiado nada.",
            Msg::LinkTitle => "Recibir de nuevo su enlace de inscripción",
            Msg::LinkSent => "Si esta dirección está inscrita en un próximo intercambio, le hemos enviado un nuevo enlace personal. El enlace anterior ya no funciona. Si no recibe nada en unos minutos, revise su carpeta de correo no deseado.",
            Msg::LinkIntro => "Introduzca el correo electrónico con el que se inscribió. Le enviaremos un nuevo enlace personal para cada intercambio en el que esté inscrito/a.",
            Msg::LinkButton => "Envíenme mi enlace",
            Msg::EventsTitle => "Próximos intercambios",
            Msg::EventsHeading => "Próximos intercambios de aprendizaje entre pares",
            Msg::NoEvents => "No hay ningún intercambio abierto a inscripciones en este momento.",
            Msg::LanguageNav => "Idioma",
            Msg::Hello => "Hola:",
            Msg::LabelInvitation => "Invitación",
            Msg::InvitationOnlyNote => "Este intercambio es solo por invitación: inscríbase con el enlace personal de su correo de invitación.",
            Msg::InvitationBoundHint => "Su invitación es personal: solo inscribe a {email}.",
            Msg::InvitationUnknown => "Este enlace de invitación no es válido para este intercambio; compruebe que lo copió completo.",
            Msg::InvitationForAnother => "Esta invitación se envió a otra dirección: solo la persona invitada puede inscribirse con ella.",
            Msg::InvitationSubject => "Invitación: {title}",
            Msg::InvitationBody => "Le invitamos a participar en {title}.",
            Msg::InvitationLink => "Inscríbase con su enlace personal (solo sirve para su dirección):",
            Msg::InvitationReminderSubject => "Recordatorio: su invitación a {title}",
            Msg::InvitationReminderBody => "Está invitado/a a {title} y aún no se ha inscrito.",
            Msg::JoinButton => "Unirse al intercambio",
            Msg::JoinOpensAt => "Su enlace personal abre la reunión a partir del {when}.",
            Msg::JoinTooEarlyHeading => "El intercambio aún no ha comenzado",
            Msg::JoinTooEarlyText => "{title} tiene lugar el {when}.",
            Msg::JoinEndedHeading => "El intercambio ha terminado",
            Msg::JoinEndedText => "{title} ha terminado: este enlace ya no abre la reunión.",
            Msg::JoinUnavailableHeading => "Este enlace no abre la reunión",
            Msg::JoinNotConfirmedText => "Su inscripción en {title} no está confirmada, por lo que este enlace no abre la reunión. Su página personal, enlazada en nuestros correos electrónicos, indica en qué estado se encuentra su inscripción.",
            Msg::JoinErasedText => "Esta inscripción ya no existe, por lo que este enlace no abre la reunión.",
            Msg::JoinNoMeetingText => "{title} no tiene reunión en línea: este enlace no permite unirse a ninguna.",
            Msg::JoinLinkEmail => "Su enlace personal para participar en línea (abre la reunión poco antes del comienzo; no lo comparta):",
            Msg::FollowUpAttendedSubject => "Gracias por participar: {title}",
            Msg::FollowUpAttendedBody => "Gracias por participar en {title}. Esperamos que el intercambio le haya sido útil, a usted y a su trabajo.",
            Msg::FollowUpAbsentSubject => "Le echamos de menos: {title}",
            Msg::FollowUpAbsentBody => "Lamentamos que no haya podido acompañarnos en {title}.",
            Msg::FollowUpMaterials => "Los materiales:",
            Msg::FollowUpRecording => "La grabación:",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_english_and_no_key_names() {
        for msg in Msg::ALL {
            for lang in Lang::ALL {
                let text = msg.text(lang);
                assert!(!text.trim().is_empty(), "{msg:?} in {lang:?}");
                assert_ne!(text, format!("{msg:?}"), "{msg:?} in {lang:?}");
            }
        }
    }

    #[test]
    fn translations_keep_their_placeholders() {
        let placeholders = |s: &str| {
            let mut names: Vec<String> = s
                .split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
                .collect();
            names.sort();
            names
        };
        for msg in Msg::ALL {
            for lang in [Lang::Fr, Lang::Es] {
                assert_eq!(
                    placeholders(msg.en()),
                    placeholders(msg.text(lang)),
                    "{msg:?} in {lang:?}"
                );
            }
        }
    }

    #[test]
    fn key_strings_are_translated() {
        for msg in [
            Msg::LabelName,
            Msg::LabelEmail,
            Msg::LabelCountry,
            Msg::RegisterButton,
            Msg::Required,
            Msg::ConsentText,
            Msg::ConfirmationSubject,
            Msg::ConfirmationBody,
            Msg::Dear,
        ] {
            assert_ne!(msg.text(Lang::Fr), msg.en(), "{msg:?}");
            assert_ne!(msg.text(Lang::Es), msg.en(), "{msg:?}");
        }
        assert_eq!(Msg::LabelName.text(Lang::Fr), "Nom complet");
        assert_eq!(Msg::LabelName.text(Lang::En), "Full name");
    }

    #[test]
    fn unknown_problems_stay_in_english() {
        assert_eq!(
            translate_problem("Something new.", Lang::Fr),
            "Something new."
        );
        assert_eq!(
            translate_problem("This field is required.", Lang::Fr),
            "Ce champ est obligatoire."
        );
        assert_eq!(
            translate_problem("Use at most 200 characters (this has 201).", Lang::Es),
            "Utilice como máximo 200 caracteres (este texto tiene 201)."
        );
        assert_eq!(
            translate_problem("Use at least 3 characters.", Lang::Fr),
            "Utilisez au moins 3 caractères."
        );
        assert_eq!(
            translate_problem("This field is required.", Lang::En),
            "This field is required."
        );
    }

    #[test]
    fn negotiates_languages() {
        assert_eq!(Lang::negotiate(None), Lang::En);
        assert_eq!(Lang::negotiate(Some("")), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr-FR,fr;q=0.9")), Lang::Fr);
        assert_eq!(Lang::negotiate(Some("de-DE,es;q=0.8,en;q=0.5")), Lang::Es);
        assert_eq!(Lang::negotiate(Some("en;q=0.4, fr;q=0.7")), Lang::Fr);
        assert_eq!(Lang::negotiate(Some("fr;q=0, de")), Lang::En);
        assert_eq!(Lang::negotiate(Some("*")), Lang::En);
        assert_eq!(Lang::parse("es_419"), Some(Lang::Es));
        assert_eq!(Lang::parse("FR"), Some(Lang::Fr));
        assert_eq!(Lang::parse("de"), None);
        assert_eq!(Lang::choose(Some("es"), Some("fr")), Lang::Es);
        assert_eq!(Lang::choose(Some("xx"), Some("fr")), Lang::Fr);
        assert_eq!(Lang::choose(None, None), Lang::En);
    }

    #[test]
    fn a_missing_translation_falls_back_to_english() {
        assert_eq!(or_english(None, Msg::LabelName), "Full name");
        assert_eq!(or_english(Some(""), Msg::LabelName), "Full name");
        assert_eq!(
            or_english(Some("Nom complet"), Msg::LabelName),
            "Nom complet"
        );
    }

    #[test]
    fn fills_placeholders() {
        assert_eq!(
            fill("Dear {name}, {name}", &[("name", "Ana")]),
            "Dear Ana, Ana"
        );
    }
}
