-- The schema a migrated database has: written by `python -m sync.store.schema` from
-- sync/store/migrations.py. Do not edit: add a migration, then regenerate.

CREATE TABLE absences (
    id INTEGER PRIMARY KEY,
    officer_id INTEGER NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL CHECK (kind IN ('annual_leave', 'sickness', 'training', 'other')),
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    note TEXT,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    cancelled_at TEXT,
    cancelled_by INTEGER REFERENCES users(id),
    CHECK (end_date >= start_date)
);

CREATE INDEX absences_officer ON absences(officer_id, start_date, end_date);

CREATE TABLE account_snapshots (
    id INTEGER PRIMARY KEY,
    tenancy_ref TEXT NOT NULL REFERENCES tenancies(tenancy_ref),
    as_of TEXT NOT NULL,
    balance REAL NOT NULL,
    arrears_weeks REAL NOT NULL,
    last_payment_date TEXT,
    last_payment_amount REAL,
    benefit TEXT NOT NULL,
    uc_managed_payment INTEGER NOT NULL DEFAULT 0,
    uc_deduction_weekly REAL,
    uc_assessment_day INTEGER,
    arrangement_amount REAL,
    arrangement_frequency TEXT,
    arrangement_start TEXT,
    arrangement_status TEXT,
    legal_stage TEXT NOT NULL,
    notice_type TEXT,
    notice_served_date TEXT,
    notice_expiry_date TEXT,
    claim_date TEXT,
    hearing_date TEXT,
    order_type TEXT,
    order_date TEXT,
    warrant_date TEXT,
    eviction_date TEXT,
    breathing_space_type TEXT,
    breathing_space_start TEXT,
    breathing_space_end TEXT,
    imported_at TEXT NOT NULL,
    breathing_space_notified_by TEXT,
    moratorium_debt REAL,
    moratorium_step_basis TEXT CHECK (moratorium_step_basis IN ('court_permission', 'ongoing_rent_only')),
    UNIQUE (tenancy_ref, as_of)
);

CREATE INDEX account_snapshots_stage ON account_snapshots(legal_stage);

CREATE TABLE "arrangements" (
    id TEXT PRIMARY KEY,
    tenancy_ref TEXT NOT NULL REFERENCES tenancies(tenancy_ref),
    source TEXT NOT NULL CHECK (source IN ('import', 'device')),
    amount REAL,
    frequency TEXT,
    start_date TEXT,
    status TEXT,
    income_expenditure TEXT,
    starting_balance REAL,
    created_by INTEGER REFERENCES users(id),
    visit_id TEXT,
    observed_at TEXT,
    status_reason TEXT,
    checked_at TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    flags TEXT NOT NULL DEFAULT '[]'
);

CREATE INDEX arrangements_tenancy ON arrangements(tenancy_ref, status);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id),
    device_id INTEGER REFERENCES devices(id),
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_ids TEXT NOT NULL,
    detail TEXT
);

CREATE INDEX audit_log_at ON audit_log(at);

CREATE TABLE blob_uploaders (
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    user_id INTEGER NOT NULL REFERENCES users(id),
    uploaded_at TEXT NOT NULL,
    PRIMARY KEY (sha256, user_id)
) WITHOUT ROWID;

CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    uploaded_by INTEGER NOT NULL REFERENCES users(id),
    uploaded_at TEXT NOT NULL
);

CREATE TABLE breathing_spaces (
    id INTEGER PRIMARY KEY,
    tenancy_ref TEXT NOT NULL REFERENCES tenancies(tenancy_ref),
    type TEXT NOT NULL CHECK (type IN ('standard', 'mental_health_crisis')),
    start_date TEXT NOT NULL,
    end_date TEXT,
    notified_by TEXT,
    moratorium_debt REAL,
    debt_as_of TEXT,
    debt_source TEXT CHECK (debt_source IN ('import', 'snapshot')),
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (tenancy_ref, start_date)
);

CREATE TABLE checkins (
    id TEXT PRIMARY KEY,
    uprn INTEGER NOT NULL REFERENCES properties(uprn),
    officer_id INTEGER NOT NULL REFERENCES users(id),
    checked_in_at TEXT NOT NULL,
    expected_out_at TEXT NOT NULL,
    checked_out_at TEXT,
    flags TEXT NOT NULL DEFAULT '[]',
    cleared_at TEXT,
    cleared_by INTEGER REFERENCES users(id),
    cleared_note TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    received_at TEXT NOT NULL
);

CREATE INDEX checkins_open ON checkins(checked_out_at, expected_out_at);

CREATE TABLE concern_clearances (
    id INTEGER PRIMARY KEY,
    uprn INTEGER NOT NULL REFERENCES properties(uprn),
    cleared_by INTEGER NOT NULL REFERENCES users(id),
    cleared_at TEXT NOT NULL,
    reason TEXT NOT NULL
);

CREATE TABLE concerns (
    id TEXT PRIMARY KEY,
    follows TEXT REFERENCES concerns(id),
    uprn INTEGER NOT NULL REFERENCES properties(uprn),
    tenancy_ref TEXT REFERENCES tenancies(tenancy_ref),
    category TEXT NOT NULL,
    subjects TEXT NOT NULL,
    immediate_danger INTEGER NOT NULL,
    seen TEXT NOT NULL,
    referred_to TEXT,
    referred_at TEXT,
    referral_ref TEXT,
    outcome TEXT,
    raised_by INTEGER NOT NULL REFERENCES users(id),
    team_id INTEGER REFERENCES teams(id),
    observed_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    cleared_by_clearance INTEGER REFERENCES concern_clearances(id),
    flags TEXT NOT NULL DEFAULT '[]'
);

CREATE INDEX concerns_raiser ON concerns(raised_by);

CREATE INDEX concerns_uprn ON concerns(uprn);

CREATE TABLE conflicts (
    id INTEGER PRIMARY KEY,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    field TEXT NOT NULL,
    uprn INTEGER,
    rule TEXT NOT NULL,
    kept_value TEXT,
    kept_source TEXT NOT NULL,
    kept_by INTEGER REFERENCES users(id),
    kept_at TEXT,
    other_value TEXT,
    other_source TEXT NOT NULL,
    other_by INTEGER REFERENCES users(id),
    other_at TEXT,
    mutation_id TEXT,
    created_at TEXT NOT NULL,
    resolved_at TEXT,
    resolved_by INTEGER REFERENCES users(id),
    resolution TEXT CHECK (resolution IN ('kept', 'other'))
);

CREATE INDEX conflicts_open ON conflicts(resolved_at, uprn);

CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    outbox_id INTEGER NOT NULL REFERENCES outbox(id),
    target TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    delivered_at TEXT,
    UNIQUE (target, outbox_id)
);

CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);

CREATE INDEX deliveries_outbox ON deliveries(outbox_id);

CREATE TABLE delivery_targets (
    name TEXT PRIMARY KEY,
    last_outbox_id INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_seen_at TEXT,
    revoked_at TEXT,
    revoked_by INTEGER REFERENCES users(id),
    revoked_reason TEXT,
    last_pull_at TEXT,
    last_push_at TEXT,
    acknowledged_seq INTEGER NOT NULL DEFAULT 0,
    expires_at TEXT,
    rotated_at TEXT,
    previous_token_hash TEXT
);

CREATE UNIQUE INDEX devices_previous_token ON devices(previous_token_hash);

CREATE INDEX devices_user ON devices(user_id);

CREATE TABLE field_versions (
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    field TEXT NOT NULL,
    version INTEGER NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('import', 'device', 'review')),
    changed_by INTEGER REFERENCES users(id),
    mutation_id TEXT,
    observed_at TEXT,
    changed_at TEXT NOT NULL,
    pending_hms INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (entity_type, entity_id, field)
) WITHOUT ROWID;

CREATE TABLE import_errors (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES import_runs(id),
    line INTEGER NOT NULL,
    errors TEXT NOT NULL
);

CREATE INDEX import_errors_run ON import_errors(run_id);

CREATE TABLE import_runs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    format TEXT NOT NULL,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    started_by INTEGER REFERENCES users(id),
    rows_read INTEGER NOT NULL DEFAULT 0,
    inserted INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    warnings INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE import_warnings (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES import_runs(id),
    line INTEGER NOT NULL,
    rule TEXT NOT NULL,
    field TEXT NOT NULL,
    message TEXT NOT NULL
);

CREATE INDEX import_warnings_run ON import_warnings(run_id);

CREATE TABLE letters (
    letter_ref TEXT PRIMARY KEY,
    tenancy_ref TEXT NOT NULL REFERENCES tenancies(tenancy_ref),
    person_ref TEXT REFERENCES tenants(person_ref),
    sent_on TEXT NOT NULL,
    type TEXT NOT NULL,
    description TEXT,
    imported_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX letters_tenancy ON letters(tenancy_ref, sent_on);

CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    failed_at TEXT NOT NULL
);

CREATE INDEX login_failures_key ON login_failures(key, failed_at);

CREATE TABLE mutations (
    id INTEGER PRIMARY KEY,
    mutation_id TEXT NOT NULL,
    duplicate_of INTEGER REFERENCES mutations(id),
    device_id INTEGER NOT NULL REFERENCES devices(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    device_seq INTEGER,
    entity_type TEXT,
    entity_id TEXT,
    op TEXT,
    base_version INTEGER,
    observed_at TEXT,
    received_at TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('applied', 'conflict', 'rejected')),
    result TEXT NOT NULL,
    reviewed_at TEXT,
    reviewed_by INTEGER REFERENCES users(id),
    content_hash TEXT
);

CREATE INDEX mutations_device ON mutations(device_id, device_seq);

CREATE UNIQUE INDEX mutations_id ON mutations(mutation_id) WHERE duplicate_of IS NULL;

CREATE INDEX mutations_rejected ON mutations(reviewed_at, device_id)
    WHERE status = 'rejected';

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    body TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE patch_assignments (
    id INTEGER PRIMARY KEY,
    patch_id INTEGER NOT NULL REFERENCES patches(id),
    officer_id INTEGER NOT NULL REFERENCES users(id),
    started_at TEXT NOT NULL,
    ended_at TEXT
);

CREATE INDEX patch_assignments_officer ON patch_assignments(officer_id, ended_at);

CREATE TABLE patch_covers (
    id INTEGER PRIMARY KEY,
    patch_id INTEGER NOT NULL REFERENCES patches(id),
    officer_id INTEGER NOT NULL REFERENCES users(id),
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    reason TEXT,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    cancelled_at TEXT,
    cancelled_by INTEGER REFERENCES users(id),
    CHECK (end_date >= start_date)
);

CREATE INDEX patch_covers_officer ON patch_covers(officer_id, start_date, end_date);

CREATE INDEX patch_covers_patch ON patch_covers(patch_id);

CREATE TABLE patch_properties (
    patch_id INTEGER NOT NULL REFERENCES patches(id),
    uprn INTEGER NOT NULL REFERENCES properties(uprn),
    PRIMARY KEY (patch_id, uprn)
) WITHOUT ROWID;

CREATE INDEX patch_properties_uprn ON patch_properties(uprn);

CREATE TRIGGER patch_properties_homes_delete AFTER DELETE ON patch_properties BEGIN UPDATE sync_state SET homes_version = homes_version + 1; END;

CREATE TRIGGER patch_properties_homes_insert AFTER INSERT ON patch_properties BEGIN UPDATE sync_state SET homes_version = homes_version + 1; END;

CREATE TRIGGER patch_properties_homes_update AFTER UPDATE OF patch_id, uprn ON patch_properties WHEN OLD.patch_id IS NOT NEW.patch_id OR OLD.uprn IS NOT NEW.uprn BEGIN UPDATE sync_state SET homes_version = homes_version + 1; END;

CREATE TABLE patches (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    team_id INTEGER NOT NULL REFERENCES teams(id),
    officer_id INTEGER REFERENCES users(id),
    boundary TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX patches_officer ON patches(officer_id);

CREATE INDEX patches_team ON patches(team_id);

CREATE TABLE phone_statements (
    tenancy_ref TEXT PRIMARY KEY REFERENCES tenancies(tenancy_ref),
    from_day TEXT NOT NULL,
    to_day TEXT NOT NULL,
    body TEXT NOT NULL
);

CREATE TABLE plans (
    id INTEGER PRIMARY KEY,
    officer_id INTEGER NOT NULL REFERENCES users(id),
    plan_date TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('current', 'superseded')),
    replaces INTEGER REFERENCES plans(id),
    rules_version TEXT NOT NULL,
    request TEXT NOT NULL,
    body TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
);

CREATE INDEX plans_officer ON plans(officer_id, plan_date, status);

CREATE TABLE promises (
    id TEXT PRIMARY KEY REFERENCES visits(id),
    tenancy_ref TEXT NOT NULL REFERENCES tenancies(tenancy_ref),
    amount REAL NOT NULL,
    due_date TEXT NOT NULL,
    made_on TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'kept', 'broken')),
    paid REAL NOT NULL DEFAULT 0,
    checked_at TEXT
);

CREATE INDEX promises_tenancy ON promises(tenancy_ref, status);

CREATE TABLE properties (
    uprn INTEGER PRIMARY KEY,
    address_line_1 TEXT NOT NULL,
    address_line_2 TEXT,
    address_line_3 TEXT,
    post_town TEXT NOT NULL,
    postcode TEXT NOT NULL,
    latitude REAL NOT NULL,
    longitude REAL NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('dwelling', 'garage')),
    building TEXT,
    bedrooms INTEGER,
    imported_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX properties_building ON properties(building);

CREATE INDEX properties_postcode ON properties(postcode);

CREATE TRIGGER properties_homes_delete AFTER DELETE ON properties BEGIN UPDATE sync_state SET homes_version = homes_version + 1; END;

CREATE TRIGGER properties_homes_insert AFTER INSERT ON properties BEGIN UPDATE sync_state SET homes_version = homes_version + 1; END;

CREATE TRIGGER properties_homes_update AFTER UPDATE OF uprn ON properties WHEN OLD.uprn IS NOT NEW.uprn BEGIN UPDATE sync_state SET homes_version = homes_version + 1; END;

CREATE TABLE record_blobs (
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    author_id INTEGER REFERENCES users(id),
    PRIMARY KEY (entity_type, entity_id, sha256)
) WITHOUT ROWID;

CREATE INDEX record_blobs_author ON record_blobs(author_id, sha256)
    WHERE author_id IS NOT NULL;

CREATE INDEX record_blobs_sha ON record_blobs(sha256);

CREATE TABLE record_moves (
    seq INTEGER PRIMARY KEY,
    uprn INTEGER NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL
);

CREATE INDEX record_moves_home ON record_moves(uprn, seq);

CREATE TABLE rent_transactions (
    transaction_ref TEXT PRIMARY KEY,
    tenancy_ref TEXT NOT NULL REFERENCES tenancies(tenancy_ref),
    posted_on TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('opening', 'charge', 'payment', 'benefit', 'adjustment')),
    method TEXT,
    amount REAL NOT NULL,
    description TEXT,
    imported_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX rent_transactions_tenancy ON rent_transactions(tenancy_ref, posted_on);

CREATE TABLE repair_events (
    id INTEGER PRIMARY KEY,
    repair_id TEXT NOT NULL REFERENCES repairs(id),
    action TEXT NOT NULL,
    at TEXT NOT NULL,
    by_user INTEGER NOT NULL REFERENCES users(id),
    note TEXT,
    recorded_at TEXT NOT NULL
);

CREATE INDEX repair_events_repair ON repair_events(repair_id, id);

CREATE TABLE repairs (
    id TEXT PRIMARY KEY,
    uprn INTEGER NOT NULL REFERENCES properties(uprn),
    tenancy_ref TEXT REFERENCES tenancies(tenancy_ref),
    location TEXT NOT NULL,
    category TEXT NOT NULL,
    hazard_class TEXT NOT NULL,
    description TEXT NOT NULL,
    photos TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL,
    observed_at TEXT NOT NULL,
    reported_by INTEGER NOT NULL REFERENCES users(id),
    received_at TEXT NOT NULL,
    investigated_at TEXT,
    cancel_reason TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    flags TEXT NOT NULL DEFAULT '[]'
);

CREATE INDEX repairs_status ON repairs(status, hazard_class);

CREATE INDEX repairs_uprn ON repairs(uprn);

CREATE TABLE review_flags (
    id INTEGER PRIMARY KEY,
    flag TEXT NOT NULL,
    rule TEXT NOT NULL,
    message TEXT NOT NULL,
    tenancy_ref TEXT NOT NULL,
    uprn INTEGER NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('push', 'import')),
    entity_type TEXT,
    entity_id TEXT,
    step TEXT,
    step_date TEXT,
    run_id INTEGER REFERENCES import_runs(id),
    line INTEGER,
    user_id INTEGER REFERENCES users(id),
    observed_at TEXT,
    created_at TEXT NOT NULL,
    reviewed_at TEXT,
    reviewed_by INTEGER REFERENCES users(id),
    review_note TEXT
);

CREATE INDEX review_flags_open ON review_flags(reviewed_at, id);

CREATE UNIQUE INDEX review_flags_record ON review_flags(entity_type, entity_id, rule)
    WHERE source = 'push';

CREATE UNIQUE INDEX review_flags_step ON review_flags(tenancy_ref, rule, step_date)
    WHERE source = 'import';

CREATE INDEX review_flags_tenancy ON review_flags(tenancy_ref);

CREATE TABLE scope_exits (
    seq INTEGER PRIMARY KEY,
    patch_id INTEGER NOT NULL REFERENCES patches(id),
    uprn INTEGER NOT NULL,
    entity_type TEXT,
    entity_id TEXT
);

CREATE INDEX scope_exits_patch ON scope_exits(patch_id, seq);

CREATE TABLE scope_grants (
    id INTEGER PRIMARY KEY,
    officer_id INTEGER NOT NULL REFERENCES users(id),
    uprn INTEGER NOT NULL REFERENCES properties(uprn),
    grant_date TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    UNIQUE (officer_id, uprn, grant_date)
);

CREATE TABLE "sync_index" (
    seq INTEGER PRIMARY KEY,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    uprn INTEGER,
    deleted INTEGER NOT NULL DEFAULT 0,
    origin_device_id INTEGER,
    owner_id INTEGER,
    UNIQUE (entity_type, entity_id)
);

CREATE INDEX sync_index_owner ON sync_index(owner_id, seq) WHERE owner_id IS NOT NULL;

CREATE INDEX sync_index_uprn ON sync_index(uprn, seq);

CREATE TABLE sync_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    epoch TEXT NOT NULL,
    seq INTEGER NOT NULL,
    homes_version INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE tenancies (
    tenancy_ref TEXT PRIMARY KEY,
    uprn INTEGER NOT NULL REFERENCES properties(uprn),
    tenure TEXT NOT NULL CHECK (tenure IN ('secure', 'introductory', 'flexible', 'assured', 'starter', 'non_secure', 'garage')),
    start_date TEXT NOT NULL,
    end_date TEXT,
    weekly_rent REAL NOT NULL,
    current_snapshot_id INTEGER REFERENCES account_snapshots(id),
    imported_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX tenancies_uprn ON tenancies(uprn);

CREATE TRIGGER tenancies_homes_delete AFTER DELETE ON tenancies BEGIN UPDATE sync_state SET homes_version = homes_version + 1; END;

CREATE TRIGGER tenancies_homes_insert AFTER INSERT ON tenancies BEGIN UPDATE sync_state SET homes_version = homes_version + 1; END;

CREATE TRIGGER tenancies_homes_update AFTER UPDATE OF uprn, tenancy_ref ON tenancies WHEN OLD.uprn IS NOT NEW.uprn OR OLD.tenancy_ref IS NOT NEW.tenancy_ref BEGIN UPDATE sync_state SET homes_version = homes_version + 1; END;

CREATE TABLE tenants (
    person_ref TEXT PRIMARY KEY,
    tenancy_ref TEXT NOT NULL REFERENCES tenancies(tenancy_ref),
    is_lead INTEGER NOT NULL DEFAULT 0,
    title TEXT,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    date_of_birth TEXT,
    phone TEXT,
    mobile TEXT,
    email TEXT,
    preferred_contact TEXT NOT NULL,
    language TEXT,
    interpreter_needed INTEGER NOT NULL DEFAULT 0,
    reasonable_adjustments TEXT,
    vulnerabilities TEXT NOT NULL DEFAULT '[]',
    imported_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);

CREATE INDEX tenants_tenancy ON tenants(tenancy_ref);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    email TEXT,
    role TEXT NOT NULL CHECK (role IN ('officer', 'team_leader', 'maintenance', 'safeguarding_lead', 'admin')),
    team_id INTEGER REFERENCES teams(id),
    password_hash TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    password_changed_at TEXT NOT NULL,
    disabled_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    base_latitude REAL,
    base_longitude REAL,
    base_label TEXT,
    work_phone TEXT
);

CREATE TABLE visits (
    id TEXT PRIMARY KEY,
    uprn INTEGER NOT NULL REFERENCES properties(uprn),
    tenancy_ref TEXT REFERENCES tenancies(tenancy_ref),
    officer_id INTEGER NOT NULL REFERENCES users(id),
    device_id INTEGER NOT NULL REFERENCES devices(id),
    mutation_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    notes TEXT,
    latitude REAL,
    longitude REAL,
    gps_accuracy_m REAL,
    arrived_at TEXT,
    left_at TEXT,
    observed_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    flags TEXT NOT NULL DEFAULT '[]',
    channel TEXT NOT NULL DEFAULT 'home_visit',
    present TEXT NOT NULL DEFAULT '[]',
    offers TEXT NOT NULL DEFAULT '[]',
    promise_amount REAL,
    promise_date TEXT,
    corrects TEXT REFERENCES visits(id),
    photos TEXT NOT NULL DEFAULT '[]'
);

CREATE INDEX visits_corrects ON visits(corrects) WHERE corrects IS NOT NULL;

CREATE INDEX visits_officer ON visits(officer_id, observed_at);

CREATE INDEX visits_tenancy ON visits(tenancy_ref, observed_at);

CREATE INDEX visits_uprn ON visits(uprn);

CREATE TABLE warning_markers (
    marker_ref TEXT PRIMARY KEY,
    uprn INTEGER NOT NULL REFERENCES properties(uprn),
    tenancy_ref TEXT REFERENCES tenancies(tenancy_ref),
    code TEXT NOT NULL,
    description TEXT NOT NULL,
    source_incident TEXT NOT NULL,
    start_date TEXT NOT NULL,
    review_date TEXT NOT NULL,
    end_date TEXT,
    imported_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'approved',
    raised_by INTEGER REFERENCES users(id),
    decided_by INTEGER REFERENCES users(id),
    decided_at TEXT,
    decision_note TEXT,
    flags TEXT NOT NULL DEFAULT '[]'
);

CREATE INDEX warning_markers_status ON warning_markers(status);

CREATE INDEX warning_markers_tenancy ON warning_markers(tenancy_ref);

CREATE INDEX warning_markers_uprn ON warning_markers(uprn);

CREATE TRIGGER warning_markers_homes_delete AFTER DELETE ON warning_markers BEGIN UPDATE sync_state SET homes_version = homes_version + 1; END;

CREATE TRIGGER warning_markers_homes_insert AFTER INSERT ON warning_markers BEGIN UPDATE sync_state SET homes_version = homes_version + 1; END;

CREATE TRIGGER warning_markers_homes_update AFTER UPDATE OF marker_ref, uprn, code, status, start_date, end_date ON warning_markers WHEN OLD.marker_ref IS NOT NEW.marker_ref OR OLD.uprn IS NOT NEW.uprn OR OLD.code IS NOT NEW.code OR OLD.status IS NOT NEW.status OR OLD.start_date IS NOT NEW.start_date OR OLD.end_date IS NOT NEW.end_date BEGIN UPDATE sync_state SET homes_version = homes_version + 1; END;
