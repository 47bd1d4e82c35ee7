"""The tables. Everything durable lives here, so a restart or a second process resumes every dialogue."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Index,
    LargeBinary,
    Table,
    UniqueConstraint,
    insert_sentinel,
    text,
)
from sqlmodel import Field, SQLModel

from storage.types import SealedJSON, SealedText, UTCDateTime, enum_text

# The states of what the exchange keeps, and the kinds of messages it pushes. Only the domain
# (`exchange/`) moves a row from one state to another; everyone else names states by these enums.


class Role(StrEnum):
    """How a person takes part."""

    VOLUNTEER = "volunteer"
    SEEKER = "seeker"
    RELATIVE = "relative"  # asks for help for someone else
    ORGANISATION = "organisation"


class Rhythm(StrEnum):
    """How often a volunteer wants offers: at once, in a daily digest, or in a weekly one."""

    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"


class RequestStatus(StrEnum):
    """open -> matched (someone accepted) -> done; open or matched -> cancelled (withdrawn);
    open -> expired (its day passed). A matched request whose volunteer drops out is open again."""

    OPEN = "open"
    MATCHED = "matched"
    DONE = "done"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class MatchState(StrEnum):
    """offered -> accepted (the first acceptance wins) | declined | taken (someone else was quicker)
    | withdrawn (the volunteer was blocked or left); accepted -> done (with hours) | missed |
    cancelled (by either side; the request goes back into matching)."""

    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    TAKEN = "taken"
    WITHDRAWN = "withdrawn"
    DONE = "done"
    MISSED = "missed"
    CANCELLED = "cancelled"


class Feedback(StrEnum):
    """What the asker said afterwards."""

    GOOD = "good"
    PROBLEM = "problem"


class OrganisationStatus(StrEnum):
    """pending -> approved | rejected, decided by a coordinator."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class OpportunityStatus(StrEnum):
    """open <-> paused; open or paused -> closed (and reopened)."""

    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"
    # Needs a police certificate or works with minors: waits for a coordinator's approval.
    PENDING = "pending"


class DeliveryKind(StrEnum):
    """What a pushed message is about; `Delivery.subject_id` names the row it speaks of."""

    OFFER = "offer"  # a request offered to a volunteer (subject: the match)
    OPPORTUNITY = "opportunity"  # an organisation's opportunity (subject: the opportunity)
    FOUND = "found"  # the asker learns who helps (subject: the match)
    REMINDER_EVENING = "reminder_evening"  # the evening before (subject: the match)
    REMINDER_SOON = "reminder_soon"  # two hours before (subject: the match)
    FOLLOWUP_VOLUNTEER = "followup_volunteer"  # did it take place, how long (subject: the match)
    FOLLOWUP_ASKER = "followup_asker"  # did all go well (subject: the match)
    MATCH_CANCELLED = "match_cancelled"  # the volunteer cannot come (subject: the match)
    REQUEST_WITHDRAWN = "request_withdrawn"  # the asker withdrew (subject: the match)
    EXPIRED = "expired"  # the request's day passed (subject: the request)
    UNMATCHED = "unmatched"  # nobody accepted in any round (subject: the request)
    COORDINATOR_ALERT = "coordinator_alert"  # the same, for coordinators (subject: the request)
    REPORT = "report"  # a problem was reported (subject: the report)
    INTEREST = "interest"  # a volunteer is interested (subject: the interest)
    ORGANISATION_DECIDED = (
        "organisation_decided"  # approved or rejected (subject: the organisation)
    )
    CASE = "case"  # something new in the agency's queue, for its staff (subject: the case)
    ASSIGNED = "assigned"  # a coordinator arranged this help with the volunteer (subject: match)
    AGENCY_NOTE = "agency_note"  # what the agency tells a person about their case (subject: note)
    CERTIFICATE_EXPIRING = "certificate_expiring"  # (subject: the volunteer profile)
    RELAY = "relay"  # a message written through the bot (subject: the relay message)
    CALENDAR = "calendar"  # the appointment as a calendar file (subject: the match)
    CALENDAR_CANCELLED = "calendar_cancelled"  # the appointment is off (subject: the match)
    CONFIRMED = "confirmed"  # the volunteer confirmed the day before, for the asker (match)
    HELP_DONE = "help_done"  # the volunteer reported the help took place, for the asker (match)
    # Community life (subjects in brackets).
    EVENT_NEW = "event_new"  # a new event that fits, for those who want event news (event)
    EVENT_CALENDAR = "event_calendar"  # a signup as a calendar file (signup)
    EVENT_REMINDER = "event_reminder"  # the day before (signup)
    EVENT_MOVED_UP = "event_moved_up"  # from the waiting list to a seat (signup)
    EVENT_POST = "event_post"  # the organiser's message to everyone signed up (event post)
    EVENT_CALLED_OFF = "event_called_off"  # the organiser called the event off (signup)
    NEWSLETTER = "newsletter"  # a newsletter or campaign (newsletter)
    NEWSLETTER_REPORT = "newsletter_report"  # reached / unreachable, for its author (newsletter)
    DOCUMENT_CHANGED = "document_changed"  # a fetched document has a new version (document)
    DOCUMENT_EXPIRED = "document_expired"  # for coordinators: a document is out of date (document)
    DOCUMENT_STORED = "document_stored"  # for its coordinator: an upload is on the shelf (upload)
    # Calls for helpers in a crisis (subjects in brackets).
    CRISIS_CALL = "crisis_call"  # the call, with "I'm coming" and "Not this time" (call)
    CRISIS_FULL = "crisis_full"  # enough people came forward, for who has not answered (call)
    CRISIS_MOVED_UP = "crisis_moved_up"  # from the waiting list to a place (answer)
    CRISIS_POST = "crisis_post"  # the coordinator's message to everyone with a place (post)
    CRISIS_SCOUT = "crisis_scout"  # named the scout of a group (group)
    CRISIS_ARRIVED = "crisis_arrived"  # for the call's coordinator: a group has arrived (group)
    DONATION_FOUND = "donation_found"  # an offered item fits a wish, for the wisher (donation pair)
    DONATION_ASKED = "donation_asked"  # someone would like an offered item, for its giver (pair)
    DONATION_PROMISED = "donation_promised"  # the giver said yes, for the wisher (pair)
    SUPPORT_OFFER = "support_offer"  # after a difficult help: a talk is offered, once (none)


class User(SQLModel, table=True):
    """A person who consented to the privacy notice. Nothing about anyone is stored before that."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True, index=True)
    language: str = Field(max_length=16)
    role: Role | None = Field(default=None, sa_type=enum_text(Role, 20))
    municipality: str | None = Field(default=None, max_length=40)
    # The district of a poster's start link (/start d-<district>): offered first wherever a
    # district is chosen.
    district: str | None = Field(default=None, max_length=40)
    consent_version: str = Field(max_length=20)
    consent_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    # No pushes between these local times, unless the person opted into urgent requests.
    quiet_from: time = time(21, 0)
    quiet_until: time = time(8, 0)
    # Set when the platform reports the person blocked the bot; nothing is pushed to them then.
    unreachable_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set when a coordinator blocked the person; the bot then only tells them whom to contact.
    blocked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Whether they hold a granted role in the agency (`StaffRole`, kept by `exchange.staff`), so
    # that showing everyone else's menu needs no look at the roles.
    staff: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})


class StartLinkTally(SQLModel, table=True):
    """How often a start link (/start <code>) was opened on a day, and how often it led someone to
    agree to the privacy notice: for the agency's figures. No person is in it."""

    __tablename__ = "start_link_tallies"
    __table_args__ = (UniqueConstraint("day", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date  # in the deployment's time zone
    # "d-<district>", "o-<organisation>", or "invitation" and "other" for codes not shown as such.
    code: str = Field(max_length=48)
    municipality: str | None = Field(default=None, max_length=40)
    opened: int = 0
    joined: int = 0


class Conversation(SQLModel, table=True):
    """Where a person is in a dialogue: flow, step, draft, the flows to return to, and the valid buttons.

    Keyed by the channel's user key rather than the user id, because a dialogue starts before consent.
    """

    __tablename__ = "conversations"

    key: str = Field(max_length=64, primary_key=True)
    language: str | None = Field(default=None, max_length=16)
    flow: str = Field(max_length=40)
    step: str = Field(max_length=40)
    # Drafts and the flows to return to hold what people typed: sealed with their key.
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(SealedJSON, nullable=False))
    stack: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(SealedJSON, nullable=False)
    )
    options: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(sa_type=UTCDateTime)


class VolunteerProfile(SQLModel, table=True):
    """What a volunteer offers. Categories, districts, languages and time slots live in their own
    tables so that matching can select candidates with indexes."""

    __tablename__ = "volunteer_profiles"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", unique=True, index=True, ondelete="CASCADE")
    commitment: str = Field(max_length=10)  # one_off | regular | both
    rhythm: Rhythm = Field(sa_type=enum_text(Rhythm, 10))
    paused: bool = False
    note: str | None = Field(default=None, sa_type=SealedText)
    age_group: str = Field(max_length=10)  # minor | adult
    first_name: str = Field(default="", sa_type=SealedText)  # shown to the people they help
    # Vetted: a coordinator saw an extended police certificate that is not too old (see
    # `exchange.vetting`); only then categories and positions that need one reach them.
    verified: bool = False
    identity_checked_on: date | None = None
    interviewed_on: date | None = None
    # The day the certificate was issued, as seen by a coordinator; the certificate itself is
    # never stored.
    certificate_issued_on: date | None = None
    certificate_reminded_on: date | None = None
    # Same-day urgent requests may reach them during their quiet hours.
    urgent_ok: bool = False
    # Calls for helpers in a crisis reach them (unless they turned them off).
    crisis_calls: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})
    # At most this many accepted helps on one day.
    daily_limit: int = Field(default=2, sa_column_kwargs={"server_default": text("2")})
    # Off duty until this day (then offers come again by themselves); None: until resumed.
    paused_until: date | None = None
    # Kept up to date by matching, to spread offers and to prefer those who turn up.
    offers_received: int = 0
    offers_accepted: int = 0
    helps_done: int = 0
    last_offered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class VolunteerCategory(SQLModel, table=True):
    __tablename__ = "volunteer_categories"
    # Matching walks the volunteers of one kind of help: the index covers that walk.
    __table_args__ = (Index("ix_volunteer_categories_category_profile", "category", "profile_id"),)

    profile_id: int = Field(
        foreign_key="volunteer_profiles.id", primary_key=True, ondelete="CASCADE"
    )
    category: str = Field(max_length=40, primary_key=True)


class VolunteerDistrict(SQLModel, table=True):
    __tablename__ = "volunteer_districts"
    __table_args__ = (
        Index("ix_volunteer_districts_place_profile", "municipality", "district", "profile_id"),
    )

    profile_id: int = Field(
        foreign_key="volunteer_profiles.id", primary_key=True, ondelete="CASCADE"
    )
    municipality: str = Field(max_length=40, primary_key=True)
    district: str = Field(max_length=40, primary_key=True)


class VolunteerLanguage(SQLModel, table=True):
    __tablename__ = "volunteer_languages"

    profile_id: int = Field(
        foreign_key="volunteer_profiles.id", primary_key=True, ondelete="CASCADE"
    )
    language: str = Field(max_length=16, primary_key=True, index=True)


class VolunteerSlot(SQLModel, table=True):
    """A part of a weekday the volunteer is usually free (weekday 0 is Monday)."""

    __tablename__ = "volunteer_slots"

    profile_id: int = Field(
        foreign_key="volunteer_profiles.id", primary_key=True, ondelete="CASCADE"
    )
    weekday: int = Field(primary_key=True, ge=0, le=6)
    part: str = Field(max_length=10, primary_key=True)  # morning | afternoon | evening


class HelpRequest(SQLModel, table=True):
    """A request for help, by the person themself or by someone asking on their behalf.

    The asker is always the contact. `address` and `person_phone` are shown only to the volunteer
    who is confirmed later. Names, the phone, the address and the description are sealed with the
    asker's key (`storage.sealing`).
    """

    __tablename__ = "help_requests"

    id: int | None = Field(default=None, primary_key=True)
    asker_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    for_other: bool = False
    person_name: str | None = Field(default=None, sa_type=SealedText)
    person_phone: str | None = Field(default=None, sa_type=SealedText)
    category: str = Field(max_length=40, index=True)
    municipality: str = Field(max_length=40)
    district: str = Field(max_length=40, index=True)
    day: date | None = None  # None: flexible
    part_of_day: str | None = Field(default=None, max_length=10)
    at_time: time | None = None
    address: str | None = Field(default=None, sa_type=SealedText)
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    description: str = Field(sa_type=SealedText)
    # The language the description was written in (the asker's), shown to readers of another.
    language: str = Field(default="de", max_length=16)
    status: RequestStatus = Field(
        default=RequestStatus.OPEN, sa_type=enum_text(RequestStatus, 12), index=True
    )
    # Matching: the current offer round, when it ends, and whether every round went unanswered.
    round: int = 0
    round_ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    exhausted: bool = False
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Organisation(SQLModel, table=True):
    """A club, parish or association that posts opportunities once a coordinator approved it."""

    __tablename__ = "organisations"

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    kind: str = Field(max_length=20)
    municipality: str = Field(max_length=40)
    contact_name: str = Field(sa_type=SealedText)
    status: OrganisationStatus = Field(
        default=OrganisationStatus.PENDING, sa_type=enum_text(OrganisationStatus, 10), index=True
    )
    created_at: datetime = Field(sa_type=UTCDateTime)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Opportunity(SQLModel, table=True):
    """A position or project of an organisation for which it needs volunteers."""

    __tablename__ = "opportunities"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisations.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=80)
    category: str = Field(max_length=40, index=True)
    description: str = Field(max_length=500)
    districts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    day: date | None = None  # a one-off date, or None for a regular schedule
    schedule: str | None = Field(default=None, max_length=10)  # weekly | monthly | flexible
    volunteers_needed: int = Field(ge=1, le=99)
    requirements: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    language: str = Field(default="de", max_length=16)  # of the title and description
    status: OpportunityStatus = Field(
        default=OpportunityStatus.OPEN, sa_type=enum_text(OpportunityStatus, 10), index=True
    )
    # When fitting volunteers were queued to hear of it in their weekly digest.
    announced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Match(SQLModel, table=True):
    """A volunteer offered a request, and what became of it (see `MatchState`)."""

    __tablename__ = "matches"
    __table_args__ = (UniqueConstraint("request_id", "profile_id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="help_requests.id", index=True, ondelete="CASCADE")
    profile_id: int = Field(foreign_key="volunteer_profiles.id", index=True, ondelete="CASCADE")
    round: int
    state: MatchState = Field(
        default=MatchState.OFFERED, sa_type=enum_text(MatchState, 10), index=True
    )
    offered_at: datetime = Field(sa_type=UTCDateTime)
    # The volunteer's last answer: accepting, declining, calling off, reporting the hours.
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the volunteer accepted (kept while `answered_at` moves on), for the agency's figures.
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    hours: float | None = None
    seeker_feedback: Feedback | None = Field(default=None, sa_type=enum_text(Feedback, 10))
    # Shown to both sides once accepted, so the person at the door can check the volunteer: in
    # the asker's language, and in Latin letters for a volunteer who reads another script.
    safety_word: str | None = Field(default=None, max_length=40)
    safety_latin: str | None = Field(default=None, max_length=40)
    # Why the volunteer said "not this time" (see `exchange.matches.DeclineReason`).
    decline_reason: str | None = Field(default=None, max_length=20)
    # When the volunteer confirmed, the day before, that they come.
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Hours count as confirmed when the asker said all went well, or a coordinator confirmed
    # them (then: when, and who; see `exchange.recognition`).
    hours_confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    hours_confirmed_by: int | None = Field(
        default=None, foreign_key="users.id", ondelete="SET NULL"
    )


class Interest(SQLModel, table=True):
    """A volunteer said "I'm interested" in an organisation's opportunity."""

    __tablename__ = "interests"
    __table_args__ = (UniqueConstraint("opportunity_id", "profile_id"),)

    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int = Field(foreign_key="opportunities.id", index=True, ondelete="CASCADE")
    profile_id: int = Field(foreign_key="volunteer_profiles.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(sa_type=UTCDateTime)


class Relay(SQLModel, table=True):
    """A conversation through the bot between the two sides of a match (the asker and the
    volunteer) or of an interest (the organisation and the volunteer), so that nobody has to give
    out a phone number. Open until `closes_at`."""

    __tablename__ = "relays"

    id: int | None = Field(default=None, primary_key=True)
    match_id: int | None = Field(
        default=None, foreign_key="matches.id", unique=True, ondelete="CASCADE"
    )
    interest_id: int | None = Field(
        default=None, foreign_key="interests.id", unique=True, ondelete="CASCADE"
    )
    # A donated item: the giver is the helper, the wisher the asker.
    donation_pair_id: int | None = Field(
        default=None, foreign_key="donation_pairs.id", unique=True, ondelete="CASCADE"
    )
    # The side that asked (the asker, or the organisation's representative) and the volunteer.
    asker_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    helper_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    closes_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)


class RelayMessage(SQLModel, table=True):
    """One message of a relay, sealed with its writer's key; a photo or a voice message is kept
    as the platform's id of the file, which the bot sends on."""

    __tablename__ = "relay_messages"

    id: int | None = Field(default=None, primary_key=True)
    relay_id: int = Field(foreign_key="relays.id", index=True, ondelete="CASCADE")
    sender_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    text: str | None = Field(default=None, sa_type=SealedText)
    photo: str | None = Field(default=None, sa_type=SealedText)
    voice: str | None = Field(default=None, sa_type=SealedText)
    language: str = Field(max_length=16)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Delivery(SQLModel, table=True):
    """One message to push, written before it is sent (the outbox).

    `key` is unique per recipient, subject and kind, so planning the same message twice, from a
    second scheduler or after a restart, adds nothing. A worker claims a row before sending and
    marks it sent once the platform accepted it; a claim whose worker died expires after a lease.
    """

    __tablename__ = "deliveries"
    # Claiming looks only at what is still to be sent, however long the history grows, lane by
    # lane (a call for helpers before everything else), the longest due first.
    __table_args__ = (
        Index(
            "ix_deliveries_unsent",
            "lane",
            "due_at",
            "id",
            sqlite_where=text("sent_at IS NULL"),
            postgresql_where=text("sent_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120, unique=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    kind: DeliveryKind = Field(sa_type=enum_text(DeliveryKind, 24))
    subject_id: int | None = None
    due_at: datetime = Field(sa_type=UTCDateTime)
    # Which goes first among what is due: `CRISIS_LANE` before `REGULAR_LANE` (`storage.outbox`).
    lane: int = Field(default=1, sa_column_kwargs={"server_default": text("1")})
    claimed_by: str | None = Field(default=None, max_length=40)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)


class PendingReply(SQLModel, table=True):
    """A message a dialogue step answered with, kept until the platform took it (the reply outbox).

    Written in the step's transaction, so a reply is exactly as durable as the step; sent after
    the commit by the process that handled the step, which claims it for a short lease; deleted
    once the platform accepted it. What a process that died had not sent is sent by the next one
    once the claim has expired. `body` is the platform's call, rendered: text, buttons, which
    message to edit. Keyed by the channel's user key, since replies start before consent.
    """

    __tablename__ = "pending_replies"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, index=True)
    # Sealed with the reader's key, like the file.
    body: dict[str, Any] = Field(default_factory=dict, sa_column=Column(SealedJSON, nullable=False))
    file: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    # Ids of the people whose personal details the reply shows (see `Mention`).
    about: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=40)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Numbers the rows of one multi-row INSERT, so that it returns their new ids in the order
    # written: without it SQLAlchemy inserts a step's replies one statement each on SQLite.
    sentinel: int | None = Field(default=None, sa_column=insert_sentinel("sentinel"))


class Mention(SQLModel, table=True):
    """A sent message that shows a person's details in someone else's chat (a volunteer's
    confirmation with the address of the person helped), and how to edit them out of it.

    When that person erases their data, `redaction` (the platform's call, rendered in the
    reader's language) goes into the reply outbox, so the message no longer shows them.
    """

    __tablename__ = "mentions"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=64, index=True)  # whose chat the message is in
    redaction: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)


class HandledUpdate(SQLModel, table=True):
    """An update the platform delivered and a step handled, recorded in the step's transaction.

    Platforms deliver an update again when they did not see it confirmed (a webhook answered
    slowly, a poll whose offset was not acknowledged before a crash); the key, such as
    `telegram:815`, lets each be handled once. Kept for two days, longer than Telegram keeps
    an update.
    """

    __tablename__ = "handled_updates"

    key: str = Field(max_length=64, primary_key=True)
    handled_at: datetime = Field(sa_type=UTCDateTime, index=True)


class Report(SQLModel, table=True):
    """Someone reported a problem with another person; the coordinators look into it."""

    __tablename__ = "reports"

    id: int | None = Field(default=None, primary_key=True)
    reporter_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    reported_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    match_id: int | None = Field(default=None, foreign_key="matches.id", ondelete="SET NULL")
    # A report made on a message of a relay: the coordinators then see that conversation.
    relay_id: int | None = Field(default=None, foreign_key="relays.id", ondelete="SET NULL")
    created_at: datetime = Field(sa_type=UTCDateTime)
    handled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StaffKind(StrEnum):
    COORDINATOR = "coordinator"  # the whole municipality
    SPONSOR = "sponsor"  # one district of it (a row per district)


class StaffRole(SQLModel, table=True):
    """A person's part in the agency: coordinator of a municipality or sponsor of a district.

    Granted by a coordinator or an operator (`ehrenamt admin`); the deployment file's
    coordinators are the first seed. `district` is "" for a coordinator."""

    __tablename__ = "staff_roles"
    __table_args__ = (UniqueConstraint("user_id", "kind", "municipality", "district"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    kind: StaffKind = Field(sa_type=enum_text(StaffKind, 16))
    municipality: str = Field(max_length=40, index=True)
    district: str = Field(default="", max_length=40)
    granted_at: datetime = Field(sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """What someone in the agency did, and when: kept for accountability. People are named by
    their row id only (`actor_id`; None for the operator's shell or the deployment file)."""

    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, index=True)
    via: str = Field(max_length=16)  # "chat", "cli" or "deployment"
    action: str = Field(max_length=40)
    subject: str = Field(max_length=40)  # for example "user:12" or "request:7"
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class CaseKind(StrEnum):
    """What needs a person of the agency, and what `Case.subject_id` names."""

    UNMATCHED = "unmatched"  # nobody accepted a request in any round (the request)
    CALLBACK = "callback"  # someone wrote or spoke what the bot could not file (none)
    REPORT = "report"  # a problem was reported (the report)
    ORGANISATION = "organisation"  # a registration waits for approval (the organisation)
    POSITION = "position"  # an opportunity waits for approval (the opportunity)
    VETTING = "vetting"  # a volunteer waits to be vetted (the volunteer profile)
    UNCONFIRMED = "unconfirmed"  # a volunteer did not confirm the day before (the match)
    # A volunteer would like to talk about a help (none): confidential, so only coordinators
    # (never a district's sponsor) see it.
    TALK = "talk"
    # A volunteer asks the agency to sign their Ehrenamtsnachweis (the volunteer profile).
    RECOGNITION = "recognition"


class CaseStatus(StrEnum):
    """open -> taken (someone of the agency looks after it) -> closed, with a reason."""

    OPEN = "open"
    TAKEN = "taken"
    CLOSED = "closed"


class Case(SQLModel, table=True):
    """An item in the agency's queue: something a coordinator or a district's sponsor handles.

    `person_id` is the person it is about (the asker, the reporter, the representative, the
    volunteer); what they wrote, their voice message (the platform's file id) and a number to call
    back are sealed with their key, and erasing them deletes the case."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_queue", "municipality", "status", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: CaseKind = Field(sa_type=enum_text(CaseKind, 16))
    municipality: str = Field(max_length=40)
    district: str = Field(default="", max_length=40)
    subject_id: int | None = Field(default=None, index=True)
    person_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    note: str | None = Field(default=None, sa_type=SealedText)
    voice: str | None = Field(default=None, sa_type=SealedText)
    phone: str | None = Field(default=None, sa_type=SealedText)
    urgent: bool = False
    status: CaseStatus = Field(default=CaseStatus.OPEN, sa_type=enum_text(CaseStatus, 10))
    taken_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    reason: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AgencyNote(SQLModel, table=True):
    """A message from the agency to one person (a warning, an answer to a report, what happens
    with their request), pushed through the outbox; sealed with the reader's key."""

    __tablename__ = "agency_notes"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=30)  # which text (see `push.cards.AGENCY_NOTES`)
    text: str | None = Field(default=None, sa_type=SealedText)  # typed by a coordinator
    created_at: datetime = Field(sa_type=UTCDateTime)


class Invitation(SQLModel, table=True):
    """A link a coordinator made to give someone a role; it works once and expires."""

    __tablename__ = "invitations"

    token: str = Field(max_length=32, primary_key=True)
    kind: StaffKind = Field(sa_type=enum_text(StaffKind, 16))
    municipality: str = Field(max_length=40)
    districts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Handover(SQLModel, table=True):
    """A link that makes a relative the contact of a request a coordinator took by phone: the
    relative then gets its updates. It works once and expires."""

    __tablename__ = "handovers"

    token: str = Field(max_length=32, primary_key=True)
    request_id: int = Field(foreign_key="help_requests.id", index=True, ondelete="CASCADE")
    created_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PersonKey(SQLModel, table=True):
    """The key that seals a person's personal fields (see `storage.sealing`); erasing the person
    deletes it. `owner` is the person's user key; `key` is wrapped with DATA_KEY if one is set."""

    __tablename__ = "person_keys"

    kid: str = Field(max_length=16, primary_key=True)
    owner: str = Field(max_length=64, unique=True)
    key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


class Erasure(SQLModel, table=True):
    """A key that was destroyed: other processes forget it, and the key table is compacted."""

    __tablename__ = "erasures"

    kid: str = Field(max_length=16, primary_key=True)
    erased_at: datetime = Field(sa_type=UTCDateTime, index=True)
    compacted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- community life: events, news, documents, donations ---------------------------------------


class EventKind(StrEnum):
    CAFE = "cafe"  # Seniorencafé
    READING = "reading"
    INFO = "info"  # information evening
    OFFICE_HOURS = "office_hours"
    TRAINING = "training"
    CONFERENCE = "conference"  # club conference
    # Support for the supporters: only for volunteers.
    COACHING = "coaching"
    SUPERVISION = "supervision"


class EventAudience(StrEnum):
    EVERYONE = "everyone"
    VOLUNTEERS = "volunteers"
    SEEKERS = "seekers"  # those asking for help, for themselves or for someone else
    ORGANISATIONS = "organisations"


class EventStatus(StrEnum):
    """open -> cancelled (by its organiser or a coordinator)."""

    OPEN = "open"
    CANCELLED = "cancelled"


class Event(SQLModel, table=True):
    """Something the agency or an organisation hosts: a café, a reading, a training. A weekly
    event is one entry; each of its days (`EventSignup.on_day`) has its own seats."""

    __tablename__ = "events"

    id: int | None = Field(default=None, primary_key=True)
    organiser_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    organisation_id: int | None = Field(
        default=None, foreign_key="organisations.id", ondelete="CASCADE"
    )
    municipality: str = Field(max_length=40, index=True)
    district: str = Field(default="", max_length=40)  # "" for the whole municipality
    kind: EventKind = Field(sa_type=enum_text(EventKind, 16))
    title: str = Field(max_length=80)
    place: str = Field(max_length=200)  # an address, or a link for an online event
    online: bool = False
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    minutes: int = Field(default=120, ge=15, le=24 * 60)
    weekly: bool = False  # again every week at the same time, until `until`
    until: date | None = None
    capacity: int = Field(ge=1, le=1000)
    audience: EventAudience = Field(sa_type=enum_text(EventAudience, 16))
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    language: str = Field(default="de", max_length=16)  # of the title and place
    status: EventStatus = Field(
        default=EventStatus.OPEN, sa_type=enum_text(EventStatus, 10), index=True
    )
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class SignupStatus(StrEnum):
    """going | waiting (the list moves up when a seat frees) -> cancelled."""

    GOING = "going"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class EventSignup(SQLModel, table=True):
    """A seat at one day of an event, for the person or for a relative they bring (`guest`)."""

    __tablename__ = "event_signups"
    __table_args__ = (UniqueConstraint("event_id", "on_day", "user_id", "for_guest"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", index=True, ondelete="CASCADE")
    on_day: date
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    for_guest: bool = False
    guest_name: str | None = Field(default=None, sa_type=SealedText)
    status: SignupStatus = Field(sa_type=enum_text(SignupStatus, 10))
    attended: bool | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class EventPost(SQLModel, table=True):
    """What an organiser wrote to everyone signed up for one day of an event."""

    __tablename__ = "event_posts"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="events.id", index=True, ondelete="CASCADE")
    on_day: date
    author_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    text: str = Field(sa_type=SealedText)
    language: str = Field(max_length=16)
    created_at: datetime = Field(sa_type=UTCDateTime)


class NewsKind(StrEnum):
    """The kinds of news a person can choose to receive (all, unless they stopped one)."""

    EVENTS = "events"
    CAMPAIGNS = "campaigns"
    NEWSLETTERS = "newsletters"


class NewsOptOut(SQLModel, table=True):
    """A kind of news a person does not want."""

    __tablename__ = "news_opt_outs"

    user_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    kind: NewsKind = Field(sa_type=enum_text(NewsKind, 16), primary_key=True)


class NewsletterStatus(StrEnum):
    """draft -> scheduled (deliveries are planned at `send_at`) -> sent (reported to its author);
    draft or scheduled -> cancelled."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENT = "sent"
    CANCELLED = "cancelled"


class Newsletter(SQLModel, table=True):
    """A newsletter or a campaign a coordinator writes to a chosen audience, in one version per
    language (`NewsletterText`); readers of another language get the default version."""

    __tablename__ = "newsletters"

    id: int | None = Field(default=None, primary_key=True)
    author_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    kind: NewsKind = Field(sa_type=enum_text(NewsKind, 16))
    municipality: str = Field(max_length=40, index=True)
    # The audience: roles (empty: everyone), districts and languages (empty: all).
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    districts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    default_language: str = Field(default="de", max_length=16)
    photo: str | None = Field(default=None, max_length=200)  # the platform's id of a picture
    document_id: int | None = Field(default=None, foreign_key="documents.id", ondelete="SET NULL")
    send_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: NewsletterStatus = Field(
        default=NewsletterStatus.DRAFT, sa_type=enum_text(NewsletterStatus, 10), index=True
    )
    planned: int = 0  # deliveries written when it went out
    reached: int | None = None  # counted once every delivery was sent
    unreachable: int | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class NewsletterText(SQLModel, table=True):
    """One language's version of a newsletter."""

    __tablename__ = "newsletter_texts"

    newsletter_id: int = Field(foreign_key="newsletters.id", primary_key=True, ondelete="CASCADE")
    language: str = Field(max_length=16, primary_key=True)
    text: str = Field(max_length=4000)


class DocumentCategory(StrEnum):
    FORMS = "forms"
    FUNDING = "funding"  # funding applications
    GUIDES = "guides"  # guides for volunteers
    INSURANCE = "insurance"
    PRIVACY = "privacy"


class Document(SQLModel, table=True):
    """A document on the agency's shelf. The file lives in the storage directory under
    `stored_as`; replacing it raises `version`, and who fetched an earlier one is told."""

    __tablename__ = "documents"

    id: int | None = Field(default=None, primary_key=True)
    municipality: str = Field(max_length=40, index=True)
    category: DocumentCategory = Field(sa_type=enum_text(DocumentCategory, 16))
    # The title per language (at least German); readers of another language see the German one.
    titles: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    filename: str = Field(max_length=120)  # as the reader receives it
    stored_as: str = Field(max_length=120)  # the file's name in the storage directory
    mime_type: str = Field(max_length=80)
    size: int
    version: int = 1
    valid_until: date | None = None
    expiry_reported_on: date | None = None
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class DocumentUpload(SQLModel, table=True):
    """A file a coordinator sent in the chat for the shelf: a new document, or a new version of
    `document_id`. The scheduler fetches it from the platform into the storage directory (a
    dialogue step writes nothing outside the database), then sets `stored_at` and tells them."""

    __tablename__ = "document_uploads"

    id: int | None = Field(default=None, primary_key=True)
    document_id: int | None = Field(default=None, foreign_key="documents.id", ondelete="CASCADE")
    municipality: str = Field(max_length=40)
    category: DocumentCategory = Field(sa_type=enum_text(DocumentCategory, 16))
    titles: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    file_id: str = Field(max_length=200)  # the platform's id of the file
    filename: str = Field(max_length=120)
    mime_type: str = Field(max_length=80)
    size: int
    valid_until: date | None = None
    uploaded_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(sa_type=UTCDateTime)
    attempts: int = 0
    stored_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    failed: str | None = Field(default=None, max_length=200)


class DocumentFetch(SQLModel, table=True):
    """Someone fetched a document (the version they have), so they hear of a newer one."""

    __tablename__ = "document_fetches"

    document_id: int = Field(foreign_key="documents.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    version: int
    fetched_at: datetime = Field(sa_type=UTCDateTime)


class DonationSide(StrEnum):
    OFFER = "offer"  # someone gives an item away
    WISH = "wish"  # someone is looking for one


class DonationStatus(StrEnum):
    """open -> promised (the giver chose a taker) -> given; open -> expired | withdrawn (by its
    owner) | removed (by a coordinator)."""

    OPEN = "open"
    PROMISED = "promised"
    GIVEN = "given"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    REMOVED = "removed"


class Donation(SQLModel, table=True):
    """An item offered in the Spendenbörse, or wished for: nothing is sold, there are no prices.
    What it is and its photo are sealed with the owner's key."""

    __tablename__ = "donations"
    __table_args__ = (Index("ix_donations_open", "side", "status", "category", "municipality"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    side: DonationSide = Field(sa_type=enum_text(DonationSide, 8))
    category: str = Field(max_length=20)  # see `exchange.donations.CATEGORIES`
    what: str = Field(sa_type=SealedText)
    condition: str | None = Field(default=None, max_length=10)  # new | good | used (offers)
    photo: str | None = Field(default=None, sa_type=SealedText)
    municipality: str = Field(max_length=40)
    district: str = Field(max_length=40)
    handover: str = Field(max_length=10)  # pickup | delivery | either
    language: str = Field(default="de", max_length=16)
    status: DonationStatus = Field(
        default=DonationStatus.OPEN, sa_type=enum_text(DonationStatus, 10), index=True
    )
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class DonationPairState(StrEnum):
    """found (the wisher heard of the offer) -> asked (they would like it) -> promised (the giver
    said yes) | declined; found -> passed (the wisher did not want it)."""

    FOUND = "found"
    ASKED = "asked"
    PROMISED = "promised"
    DECLINED = "declined"
    PASSED = "passed"


class DonationPair(SQLModel, table=True):
    """An offered item that fits a wish, and what the two sides made of it."""

    __tablename__ = "donation_pairs"
    __table_args__ = (UniqueConstraint("offer_id", "wish_id"),)

    id: int | None = Field(default=None, primary_key=True)
    offer_id: int = Field(foreign_key="donations.id", index=True, ondelete="CASCADE")
    wish_id: int = Field(foreign_key="donations.id", index=True, ondelete="CASCADE")
    state: DonationPairState = Field(sa_type=enum_text(DonationPairState, 10))
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Certificate(SQLModel, table=True):
    """An Ehrenamtsnachweis that was issued: what it says, so that its code can be checked. The
    volunteer's name is on the document only, never stored."""

    __tablename__ = "certificates"

    code: str = Field(max_length=16, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    period_from: date
    period_to: date
    # Confirmed hours and helps per kind of help: {"shopping": [hours, helps], ...}.
    kinds: dict[str, list[float]] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    trainings: int = 0
    issued_at: datetime = Field(sa_type=UTCDateTime)
    # A coordinator who issued it in the chat and signed it off for the agency.
    signed_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")


class SendBudget(SQLModel, table=True):
    """A budget of messages per second that every process sending for the bot shares: the next
    free send slot, as seconds since the epoch by the database's clock (`storage.budget`)."""

    __tablename__ = "send_budgets"

    name: str = Field(max_length=20, primary_key=True)
    next_at: float = 0.0


class CrisisCallStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CrisisCall(SQLModel, table=True):
    """A call for helpers ("Hilfeaufruf"): many people at one meeting point, now. The counts are
    kept on the row, in the transaction of each answer, so the coordinator's live view reads one
    row however many answer."""

    __tablename__ = "crisis_calls"

    id: int | None = Field(default=None, primary_key=True)
    created_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    municipality: str = Field(max_length=40, index=True)
    districts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    what: str = Field(max_length=300)
    meeting_point: str = Field(max_length=200)
    language: str = Field(default="de", max_length=16)  # of what the coordinator wrote
    latitude: float | None = None
    longitude: float | None = None
    starts_at: datetime = Field(sa_type=UTCDateTime)
    needed: int = Field(ge=1, le=100_000)
    group_size: int = Field(default=10, ge=1, le=1000)
    bring: str = Field(default="", max_length=300)
    # Who is called: kinds of help and languages (empty: any), adults and vetted volunteers only.
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    adults_only: bool = True
    vetted_only: bool = False
    # Urgent: sent in quiet hours too.
    urgent: bool = False
    # Offered to those who come too late for a place: a phone chain, sorting donations.
    online_task: str | None = Field(default=None, max_length=300)
    status: CrisisCallStatus = Field(
        default=CrisisCallStatus.OPEN, sa_type=enum_text(CrisisCallStatus, 10), index=True
    )
    called: int = 0  # volunteers the call was sent to
    confirmed: int = 0
    waiting: int = 0
    declined: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CrisisAnswerState(StrEnum):
    CONFIRMED = "confirmed"  # has a place, in a group (`group_number`)
    WAITING = "waiting"  # said yes when the call was full: moves up in the order of answering
    DECLINED = "declined"  # "not this time"
    CANCELLED = "cancelled"  # said yes, then could not come after all


class CrisisAnswer(SQLModel, table=True):
    """A volunteer's answer to a call; one per person and call, changed in place."""

    __tablename__ = "crisis_answers"
    __table_args__ = (UniqueConstraint("call_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="crisis_calls.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    state: CrisisAnswerState = Field(sa_type=enum_text(CrisisAnswerState, 10))
    group_number: int | None = None
    # The order of the waiting list: when they said yes.
    answered_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class CrisisGroup(SQLModel, table=True):
    """A group of a call with its scout: a vetted volunteer of the group, named by the
    coordinator, who writes to the group through the bot and reports when it has arrived."""

    __tablename__ = "crisis_groups"
    __table_args__ = (UniqueConstraint("call_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="crisis_calls.id", index=True, ondelete="CASCADE")
    number: int
    scout_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    arrived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CrisisPost(SQLModel, table=True):
    """What a coordinator wrote to everyone with a place in a call, or a scout to their group."""

    __tablename__ = "crisis_posts"

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="crisis_calls.id", index=True, ondelete="CASCADE")
    group_number: int | None = None  # None: to everyone with a place
    # Sealed with the author's key: erasing them erases what they wrote.
    author_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    text: str = Field(sa_type=SealedText)
    language: str = Field(max_length=16)
    created_at: datetime = Field(sa_type=UTCDateTime)


def table_of(model: type[SQLModel]) -> Table:
    """The table behind a model, for bulk statements that bypass the ORM's unit of work."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table
