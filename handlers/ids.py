"""Every action_id, callback_id and block_id the chat surface sends or listens for: one place,
no repeated literals. The fields of forms whose errors the domain reports are named beside
their rules in models/ (`PrepField`, `FollowupField`, `SpreadField`, `SubstituteField`)."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    OPEN_PREP_ALL = "prep_open_all"
    OPEN_PREP_P1 = "prep_open_p1"
    OPEN_PREP_P2 = "prep_open_p2"
    OPEN_PREP_P3 = "prep_open_p3"
    SNOOZE_TOMORROW = "nudge_snooze_1"
    SNOOZE_THREE_DAYS = "nudge_snooze_3"
    AWAY = "nudge_away"
    FOLLOWUP_EDIT = "followup_edit"
    OPEN_FOLLOWUP = "followup_open"
    OPEN_SPARRING = "sparring_open"
    OPEN_SPREAD = "spread_open"
    ATTEND_YES = "attendance_yes"
    ATTEND_SUBSTITUTE = "attendance_substitute"
    ATTEND_NO = "attendance_no"
    DISPUTE_SPARRING = "sparring_dispute"
    DISPUTE_KEEP = "sparring_dispute_keep"
    DISPUTE_REMOVE = "sparring_dispute_remove"
    SPREAD_NOTICES_OFF = "spread_notices_off"
    FORGET_CONFIRM = "network_forget_confirm"
    SPREAD_UPDATE = "spread_update"
    OPEN_COMPETENCIES = "competencies_open"
    SISTER_SHARE = "sister_share"
    SISTER_WITHDRAW = "sister_withdraw"
    ADD_TO_CALENDAR = "calendar_add"
    OPEN_COLLEAGUE_REPORT = "colleague_report_open"
    OPEN_APPLICATION = "application_open"
    APPLICATION_ACCEPT = "application_accept"
    APPLICATION_WAITLIST = "application_waitlist"
    APPLICATION_DECLINE = "application_decline"
    RENEWAL_YES = "renewal_yes"
    RENEWAL_NO = "renewal_no"
    RENEWAL_UNSURE = "renewal_unsure"
    CLAIM_SEAT = "seat_claim_yes"
    CLAIM_DECLINE = "seat_claim_no"
    OPEN_REFLECTION = "reflection_open"
    LIBRARY_OPEN = "library_open"
    LIBRARY_SPARRING = "library_sparring"
    LIBRARY_TAKE_HOME = "library_take_home"
    BAZAAR_ADD = "bazaar_add"
    BAZAAR_CLAIM = "bazaar_claim"
    BAZAAR_GIVER_VIEW = "bazaar_giver_view"
    HOME_LIBRARY = "home_library"
    HOME_BAZAAR = "home_bazaar"


class Callback(StrEnum):
    PREP_MODAL = "prep_modal"
    AWAY_MODAL = "away_modal"
    FOLLOWUP_MODAL = "followup_modal"
    SPREAD_MODAL = "spread_modal"
    SPREAD_UPDATE_MODAL = "spread_update_modal"
    SUBSTITUTE_MODAL = "substitute_modal"
    SPARRING_MODAL = "sparring_modal"
    COMPETENCIES_MODAL = "competencies_modal"
    COLLEAGUE_REPORT_MODAL = "colleague_report_modal"
    APPLICATION_MODAL = "application_modal"
    APPLICATION_DECISION_MODAL = "application_decision_modal"
    REFLECTION_MODAL = "reflection_modal"
    BAZAAR_MODAL = "bazaar_modal"
    BAZAAR_GIVER_MODAL = "bazaar_giver_modal"


class Field(StrEnum):
    """action_ids of the input elements (one per block, so the block_id names the field)."""

    VALUE = "value"
    # Past Slack's 100 options a picker searches as the member types (an options request).
    MEMBER_SEARCH = "member_search"
    EXAMPLE_SEARCH = "example_search"
    # The preparation form's question pickers: members with their competencies.
    PERSON_SEARCH = "person_search"


class Block(StrEnum):
    """block_ids of messages and of forms only the chat surface reads."""

    NUDGE_INTRO = "nudge_intro"
    NUDGE_CHECKLIST = "nudge_checklist"
    NUDGE_PARTS = "nudge_parts"
    NUDGE_LATER = "nudge_later"
    MEETING_CHANGED = "meeting_changed"
    BETWEEN_INTRO = "between_intro"
    BETWEEN_OPEN = "between_open"
    BETWEEN_ACTIONS = "between_actions"
    BETWEEN_REFLECTION = "between_reflection"
    SPARRING_NOTICE = "sparring_notice"
    SPREAD_NOTICE = "spread_notice"
    SPREAD_NOTICE_ACTIONS = "spread_notice_actions"
    ATTENDANCE_ANSWERS = "attendance_answers"
    HEAD_COUNT = "head_count"
    RENEWAL_ASK = "renewal_ask"
    RENEWAL_VOTE = "renewal_vote"
    SEAT_CLAIM_ASK = "seat_claim_ask"
    SEAT_CLAIM = "seat_claim"
    FORGET = "forget"
    PREP_MEETING = "prep_meeting"
    AWAY_UNTIL = "away_until"
    # numbered by the row they show: f"{Block.FOLLOWUP_ROW}_{row.id}"
    FOLLOWUP_ROW = "followup"
    SPREAD_ROW = "spread"
    DISPUTE = "dispute"
    COLLEAGUE_REPORT = "colleague_report"
    LIBRARY_EXAMPLE = "library_example"
    LIBRARY_NOTICE = "library_notice"
    BAZAAR_ACTIONS = "bazaar_actions"
    BAZAAR_FOLLOW_UP = "bazaar_follow_up"


class SparringField(StrEnum):
    """The sparring form's fields (its block ids)."""

    DURATION = "sparring_duration"
    DATE = "sparring_date"
    RECEIVERS = "sparring_receivers"
    NOTE = "sparring_note"


NUDGE_METADATA_EVENT = "tovholder_nudge"
