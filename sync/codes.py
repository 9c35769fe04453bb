"""The documented code lists. ``docs/data.md`` explains each; tests check they agree."""

ROLES = ("officer", "team_leader", "maintenance", "safeguarding_lead", "admin")
# Each role as the subject of a sentence (a refusal: "An officer may not ...").
AS_SUBJECT = {
    "officer": "An officer",
    "team_leader": "A team leader",
    "maintenance": "Maintenance staff",
    "safeguarding_lead": "A safeguarding lead",
    "admin": "An admin",
}

# Roles that see every home in the landlord, not just patches they own or lead.
LANDLORD_WIDE_ROLES = ("maintenance", "safeguarding_lead", "admin")
# Roles that may see rent account finances (balances, arrangements, legal stages).
FINANCE_ROLES = ("officer", "team_leader", "admin")
# Roles that may manage patches' owning officer and cover.
PATCH_MANAGER_ROLES = ("team_leader", "admin")

# Why an officer is away (sync.casework.absences): no day plan on those days.
ABSENCE_KINDS = {
    "annual_leave": "Annual leave",
    "sickness": "Sickness",
    "training": "Training",
    "other": "Other",
}

PROPERTY_KINDS = ("dwelling", "garage")

TENURES = ("secure", "introductory", "flexible", "assured", "starter", "non_secure", "garage")

CONTACT_METHODS = ("phone", "sms", "email", "letter", "visit")

VULNERABILITIES = {
    "mental_health": "Mental health condition",
    "physical_disability": "Physical disability or mobility",
    "learning_disability": "Learning disability or difficulty",
    "older_person": "Older person (75 or over)",
    "hearing_impairment": "Deaf or hearing impairment",
    "visual_impairment": "Blind or visual impairment",
    "serious_illness": "Serious or terminal illness",
    "substance_misuse": "Alcohol or substance misuse",
    "domestic_abuse": "Domestic abuse survivor",
    "care_leaver": "Care leaver",
    "bereavement": "Recent bereavement",
    "pregnancy": "Pregnancy",
    "young_children": "Children under 5 in the household",
    "low_literacy": "Difficulty reading or writing",
    "financial_hardship": "Severe financial hardship",
}

BENEFITS = ("none", "housing_benefit", "universal_credit")

ARRANGEMENT_FREQUENCIES = ("weekly", "fortnightly", "four_weekly", "monthly")
ARRANGEMENT_STATUSES = ("live", "breached", "completed", "cancelled")

# Which tenure each fits, and its minimum period and life: sync.records.notices.
NOTICE_TYPES = {
    "nosp": "Notice of Seeking Possession (secure and flexible tenancies)",
    "notice_of_proceedings": "Notice of proceedings (introductory tenancies)",
    "section_8": "Section 8 notice (assured and starter tenancies)",
    "notice_to_quit": "Notice to Quit (non-secure tenancies)",
}
# A rent account's transactions (the nightly import's ``transactions``). The amount is
# signed as it moves the balance: a charge adds to what is owed, a payment or benefit
# credit takes from it (a returned direct debit is a payment with a positive amount).
TRANSACTION_TYPES = {
    "opening": "Balance brought forward",
    "charge": "Rent or other charge",
    "payment": "Payment by the tenant",
    "benefit": "Benefit credit",
    "adjustment": "Adjustment (write-off, correction, refund)",
}
# How a payment was made, and where a benefit credit came from.
PAYMENT_METHODS = {
    "direct_debit": "Direct debit",
    "standing_order": "Standing order",
    "card": "Debit or credit card",
    "bank_transfer": "Bank transfer",
    "cash": "Cash (PayPoint, Post Office or office)",
    "cheque": "Cheque",
}
BENEFIT_METHODS = {
    "housing_benefit": "Housing Benefit",
    "managed_payment": "Universal Credit managed payment to landlord",
    "third_party_deduction": "Universal Credit deduction towards arrears",
    "dhp": "Discretionary Housing Payment",
}

# Letters the housing system sent (the nightly import's ``letters``): the Pre-Action
# Protocol's written contact (sync.casework.evidence reads them against its checklist).
LETTER_TYPES = {
    "arrears_reminder": "Arrears reminder",
    "arrears_letter": "Arrears letter: the cause, finances, benefits and repayment",
    "income_expenditure_form": "Income and expenditure form",
    "arrangement_confirmation": "Repayment arrangement set out in writing, with time limits",
    "rent_statement": "Rent statement",
    "benefit_advice": "Benefit entitlement and housing costs help",
    "debt_advice": "Free debt advice services",
    "pre_action_letter": "Pre-action letter: offer to discuss the case or mediation",
    "notice_cover_letter": "Notice served, with its covering letter",
    "hearing_letter": "The date and time of the hearing",
    "breathing_space_acknowledgement": "Breathing Space acknowledged",
}

ORDER_TYPES = ("adjourned", "suspended", "outright", "dismissed")
BREATHING_SPACE_TYPES = ("standard", "mental_health_crisis")

# Legal stages, in order. An account's stage is the furthest step it has a record of.
LEGAL_STAGES = ("none", "notice", "claim", "order", "warrant")

MARKER_CODES = {
    "no_lone_visits": "No lone visits: visit in pairs only",
    "verbal_abuse": "History of verbal abuse towards staff",
    "physical_abuse": "History of physical violence towards staff",
    "dangerous_animals": "Dangerous animals at the property",
    "unsafe_environment": "Unsafe environment (hoarding, needles, structure)",
    "do_not_attend": "Do not attend: contact by phone or letter only",
    "no_female_staff": "No female staff to visit alone",
    "interpreter_needed": "Interpreter needed for visits",
}


# Visit outcomes (Pre-Action Protocol evidence).
VISIT_OUTCOMES = {
    "contact_made": "Contact made with the tenant",
    "no_access": "No access: card left",
    "refused": "Refused to engage",
    "not_safe": "Not safe to enter",
    "suspected_abandoned": "Home suspected abandoned",
    "suspected_subletting": "Suspected subletting",
    "appointment_made": "Appointment made",
}

# Tenant fields a phone may edit (contact details).
TENANT_CONTACT_FIELDS = (
    "phone",
    "mobile",
    "email",
    "preferred_contact",
    "language",
    "interpreter_needed",
    "reasonable_adjustments",
)


def legal_stage(account: dict) -> str:
    """The furthest legal step an account snapshot records."""
    if account.get("warrant_date") or account.get("eviction_date"):
        return "warrant"
    if account.get("order_type") or account.get("order_date"):
        return "order"
    if account.get("claim_date") or account.get("hearing_date"):
        return "claim"
    if account.get("notice_type") or account.get("notice_served_date"):
        return "notice"
    return "none"


# How a contact attempt was made. Calls and letters recommended by planning are recorded
# as visit records with their channel.
CHANNELS = {
    "home_visit": "Visit at the home",
    "phone_call": "Telephone call",
    "sms": "Text message",
    "letter": "Letter",
}

# What was offered or done during a contact (Pre-Action Protocol evidence).
OFFERS = {
    "arrangement": "Repayment arrangement offered or agreed",
    "benefit_claim_help": "Help with a benefit claim",
    "dhp": "Discretionary Housing Payment application",
    "debt_advice_referral": "Referral to free debt advice",
    "uc_managed_payment": "Universal Credit managed payment to landlord requested",
}

PROMISE_STATUSES = ("pending", "kept", "broken")

REPAIR_CATEGORIES = {
    "damp_mould": "Damp and mould",
    "electrical": "Electrical",
    "gas": "Gas",
    "water_leak": "Water leak",
    "structural": "Structural",
    "fire_safety": "Fire safety",
    "security": "Security (doors, windows, locks)",
    "other": "Other",
}
HAZARD_CLASSES = {
    "emergency": "Emergency: investigate and make safe within 24 hours",
    "significant": "Significant: investigate within 10 working days",
    "routine": "Routine: no statutory timescale",
}
# A repair's status, in order; cancelled ends it at any point before completion.
REPAIR_STATUSES = (
    "reported",
    "acknowledged",
    "investigated",
    "made_safe",
    "completed",
    "cancelled",
)
# What maintenance records. Each moves the status on (or, for summary_sent and
# works_started, meets a deadline without changing it).
REPAIR_ACTIONS = {
    "acknowledged": "Referral acknowledged",
    "investigated": "Investigation ended",
    "summary_sent": "Written summary sent to the tenant",
    "made_safe": "Made safe / safety work done",
    "works_started": "Other repair work started",
    "completed": "Repair completed",
    "cancelled": "Cancelled (with a reason)",
}

CONCERN_CATEGORIES = {
    "child": "Child at risk (Children Act 2004 s11)",
    "adult_at_risk": "Adult at risk (Care Act 2014 s42)",
    "domestic_abuse": "Domestic abuse (Domestic Abuse Act 2021)",
}

MARKER_STATUSES = ("pending", "approved", "rejected")
