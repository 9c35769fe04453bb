"""Numbered schema migrations. The database schema comes from here and nowhere else.

Each migration runs in one transaction together with its bookkeeping row
(sqlite-utils ``Migrations``). Never edit a migration that has shipped: add a new one.
"""

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("doorstep")


@migrations()
def m0001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE teams (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );

        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            display_name TEXT NOT NULL,
            email TEXT,
            role TEXT NOT NULL CHECK (role IN
                ('officer', 'team_leader', 'maintenance', 'safeguarding_lead', 'admin')),
            team_id INTEGER REFERENCES teams(id),
            password_hash TEXT NOT NULL,
            must_change_password INTEGER NOT NULL DEFAULT 0,
            password_changed_at TEXT NOT NULL,
            disabled_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
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
            revoked_reason TEXT
        );
        CREATE INDEX devices_user ON devices(user_id);

        CREATE TABLE patches (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            team_id INTEGER NOT NULL REFERENCES teams(id),
            officer_id INTEGER REFERENCES users(id),
            boundary TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX patches_team ON patches(team_id);
        CREATE INDEX patches_officer ON patches(officer_id);

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
        CREATE INDEX properties_postcode ON properties(postcode);
        CREATE INDEX properties_building ON properties(building);

        -- Computed from patch boundaries (sync.patches.recompute_membership).
        CREATE TABLE patch_properties (
            patch_id INTEGER NOT NULL REFERENCES patches(id),
            uprn INTEGER NOT NULL REFERENCES properties(uprn),
            PRIMARY KEY (patch_id, uprn)
        ) WITHOUT ROWID;
        CREATE INDEX patch_properties_uprn ON patch_properties(uprn);

        CREATE TABLE tenancies (
            tenancy_ref TEXT PRIMARY KEY,
            uprn INTEGER NOT NULL REFERENCES properties(uprn),
            tenure TEXT NOT NULL CHECK (tenure IN
                ('secure', 'introductory', 'flexible', 'assured', 'starter', 'garage')),
            start_date TEXT NOT NULL,
            end_date TEXT,
            weekly_rent REAL NOT NULL,
            current_snapshot_id INTEGER REFERENCES account_snapshots(id),
            imported_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX tenancies_uprn ON tenancies(uprn);

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
            updated_at TEXT NOT NULL
        );
        CREATE INDEX tenants_tenancy ON tenants(tenancy_ref);

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
            UNIQUE (tenancy_ref, as_of)
        );
        CREATE INDEX account_snapshots_stage ON account_snapshots(legal_stage);

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
            updated_at TEXT NOT NULL
        );
        CREATE INDEX warning_markers_uprn ON warning_markers(uprn);
        CREATE INDEX warning_markers_tenancy ON warning_markers(tenancy_ref);

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
            rejected INTEGER NOT NULL DEFAULT 0
        );

        CREATE TABLE import_errors (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES import_runs(id),
            line INTEGER NOT NULL,
            errors TEXT NOT NULL
        );
        CREATE INDEX import_errors_run ON import_errors(run_id);
        """
    )


@migrations()
def m0002_change_sequence(db: Database) -> None:
    db.executescript(
        """
        -- Server-wide settings of the sync protocol. 'epoch' changes when the database is
        -- restored from a backup, so phones holding older cursors know to reset.
        -- 'seq' is the last change sequence number handed out.
        CREATE TABLE sync_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            epoch TEXT NOT NULL,
            seq INTEGER NOT NULL
        );
        INSERT INTO sync_state (id, epoch, seq) VALUES (1, lower(hex(randomblob(8))), 0);

        -- One row per syncable record: the sequence number of its latest change. Pulls
        -- page through this by seq (never by clock time). Deleted records stay as
        -- tombstones (deleted = 1).
        CREATE TABLE sync_index (
            entity_type TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            uprn INTEGER,
            seq INTEGER NOT NULL UNIQUE,
            deleted INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (entity_type, entity_id)
        ) WITHOUT ROWID;
        CREATE INDEX sync_index_uprn ON sync_index(uprn, seq);

        -- A home that left a patch (boundary redrawn, home moved): phones holding that
        -- patch are told to remove it.
        CREATE TABLE scope_exits (
            seq INTEGER PRIMARY KEY,
            patch_id INTEGER NOT NULL REFERENCES patches(id),
            uprn INTEGER NOT NULL
        );
        CREATE INDEX scope_exits_patch ON scope_exits(patch_id, seq);
        """
    )
    # Everything that already exists gets a sequence number, so it can be pulled.
    for entity_type, sql in (
        ("property", "SELECT CAST(uprn AS TEXT), uprn FROM properties"),
        ("tenancy", "SELECT tenancy_ref, uprn FROM tenancies"),
        (
            "tenant",
            "SELECT t.person_ref, y.uprn FROM tenants t "
            "JOIN tenancies y ON y.tenancy_ref = t.tenancy_ref",
        ),
        (
            "account",
            "SELECT tenancy_ref, uprn FROM tenancies WHERE current_snapshot_id IS NOT NULL",
        ),
        ("marker", "SELECT marker_ref, uprn FROM warning_markers"),
    ):
        for entity_id, uprn in db.execute(sql).fetchall():
            db.execute("UPDATE sync_state SET seq = seq + 1")
            db.execute(
                "INSERT INTO sync_index (entity_type, entity_id, uprn, seq) "
                "VALUES (?, ?, ?, (SELECT seq FROM sync_state))",
                [entity_type, entity_id, uprn],
            )


@migrations()
def m0003_push(db: Database) -> None:
    db.executescript(
        """
        -- Every mutation a phone pushed, with its final result. mutation_id is the phone's
        -- UUID; a second mutation reusing an id with other content is kept too, rejected,
        -- pointing at the first (duplicate_of).
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
            content_hash TEXT NOT NULL,
            body TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('applied', 'conflict', 'rejected')),
            result TEXT NOT NULL,
            reviewed_at TEXT,
            reviewed_by INTEGER REFERENCES users(id)
        );
        CREATE UNIQUE INDEX mutations_id ON mutations(mutation_id) WHERE duplicate_of IS NULL;
        CREATE INDEX mutations_device ON mutations(device_id, device_seq);
        CREATE INDEX mutations_rejected ON mutations(status, reviewed_at);

        -- Visit records: append-only facts made on a phone.
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
            flags TEXT NOT NULL DEFAULT '[]'
        );
        CREATE INDEX visits_uprn ON visits(uprn);
        CREATE INDEX visits_tenancy ON visits(tenancy_ref, observed_at);

        -- Field-level history of mutable records (tenants' contact details, arrangement
        -- status): the record version at which each field last changed, and who changed it.
        -- pending_hms = 1: a phone's edit the housing system has not yet confirmed; the
        -- nightly import may not overwrite it (it records a conflict instead).
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

        -- Two values for one field: what the server kept and the other, both kept with
        -- who and when, for a team leader to review.
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

        -- Who owned which patch when: the grace period for reassignment looks here.
        CREATE TABLE patch_assignments (
            id INTEGER PRIMARY KEY,
            patch_id INTEGER NOT NULL REFERENCES patches(id),
            officer_id INTEGER NOT NULL REFERENCES users(id),
            started_at TEXT NOT NULL,
            ended_at TEXT
        );
        CREATE INDEX patch_assignments_officer ON patch_assignments(officer_id, ended_at);
        INSERT INTO patch_assignments (patch_id, officer_id, started_at)
            SELECT id, officer_id, updated_at FROM patches WHERE officer_id IS NOT NULL;

        -- Each tenancy's current repayment arrangement, as the housing system last sent
        -- it, with a status phones may also change (a mutable record with a version).
        CREATE TABLE arrangements (
            tenancy_ref TEXT PRIMARY KEY REFERENCES tenancies(tenancy_ref),
            amount REAL,
            frequency TEXT,
            start_date TEXT,
            status TEXT,
            version INTEGER NOT NULL DEFAULT 1,
            updated_at TEXT NOT NULL
        );

        ALTER TABLE tenants ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE sync_index ADD COLUMN origin_device_id INTEGER;
        ALTER TABLE devices ADD COLUMN last_pull_at TEXT;
        ALTER TABLE devices ADD COLUMN last_push_at TEXT;
        """
    )


@migrations()
def m0004_push_speed(db: Database) -> None:
    """Each device's acknowledged sequence is kept up to date by push, not recomputed from
    all its mutations on every request; only rejected mutations (the review queue) are
    indexed by status."""
    db.executescript(
        """
        DROP INDEX mutations_rejected;
        CREATE INDEX mutations_rejected ON mutations(reviewed_at, device_id)
            WHERE status = 'rejected';
        ALTER TABLE devices ADD COLUMN acknowledged_seq INTEGER NOT NULL DEFAULT 0;
        UPDATE devices SET acknowledged_seq = coalesce(
            (SELECT min(r) - 1 FROM (
                SELECT device_seq, dense_rank() OVER (ORDER BY device_seq) AS r
                FROM (SELECT DISTINCT device_seq FROM mutations
                      WHERE device_id = devices.id AND device_seq IS NOT NULL))
             WHERE device_seq != r),
            (SELECT max(device_seq) FROM mutations WHERE device_id = devices.id),
            0);
        """
    )


@migrations()
def m0005_field_records(db: Database) -> None:
    """Records made on phones (visits of every channel, doorstep arrangements and promises,
    repair referrals, safeguarding concerns, warning markers, check-ins), the photos they
    name, the outbox that carries them to other systems, and the audit log."""
    db.executescript(
        """
        -- Visits become contact attempts of any channel, with what was offered and who was
        -- present; a correction is a new record naming the one it corrects.
        ALTER TABLE visits ADD COLUMN channel TEXT NOT NULL DEFAULT 'home_visit';
        ALTER TABLE visits ADD COLUMN present TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE visits ADD COLUMN offers TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE visits ADD COLUMN promise_amount REAL;
        ALTER TABLE visits ADD COLUMN promise_date TEXT;
        ALTER TABLE visits ADD COLUMN corrects TEXT REFERENCES visits(id);
        ALTER TABLE visits ADD COLUMN photos TEXT NOT NULL DEFAULT '[]';
        CREATE INDEX visits_officer ON visits(officer_id, observed_at);

        -- Arrangements: the housing system's current one per tenancy (id = tenancy_ref,
        -- from the nightly import) and those agreed on the doorstep (id = a UUID).
        CREATE TABLE arrangements_new (
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
            updated_at TEXT NOT NULL
        );
        INSERT INTO arrangements_new (id, tenancy_ref, source, amount, frequency, start_date,
                                      status, version, updated_at)
            SELECT tenancy_ref, tenancy_ref, 'import', amount, frequency, start_date, status,
                   version, updated_at FROM arrangements;
        DROP TABLE arrangements;
        ALTER TABLE arrangements_new RENAME TO arrangements;
        CREATE INDEX arrangements_tenancy ON arrangements(tenancy_ref, status);

        -- A promise of payment made on a visit, checked against later account imports.
        CREATE TABLE promises (
            id TEXT PRIMARY KEY REFERENCES visits(id),
            tenancy_ref TEXT NOT NULL REFERENCES tenancies(tenancy_ref),
            amount REAL NOT NULL,
            due_date TEXT NOT NULL,
            made_on TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'kept', 'broken')),
            paid REAL NOT NULL DEFAULT 0,
            checked_at TEXT
        );
        CREATE INDEX promises_tenancy ON promises(tenancy_ref, status);

        -- Repair referrals and their lifecycle (Awaab's Law deadlines: sync/awaab.py).
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
            updated_at TEXT NOT NULL
        );
        CREATE INDEX repairs_status ON repairs(status, hazard_class);
        CREATE INDEX repairs_uprn ON repairs(uprn);
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

        -- Safeguarding concerns: append-only; a follow-up is a new record naming the first.
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
            cleared_by_clearance INTEGER REFERENCES concern_clearances(id)
        );
        CREATE INDEX concerns_uprn ON concerns(uprn);
        CREATE INDEX concerns_raiser ON concerns(raised_by);
        -- A safeguarding lead's clearing of a home's flag clears the concerns it saw; one
        -- raised offline before it and synced after keeps the flag up (add-wins).
        CREATE TABLE concern_clearances (
            id INTEGER PRIMARY KEY,
            uprn INTEGER NOT NULL REFERENCES properties(uprn),
            cleared_by INTEGER NOT NULL REFERENCES users(id),
            cleared_at TEXT NOT NULL,
            reason TEXT NOT NULL
        );

        -- Warning markers raised from the field wait for a team leader's approval.
        ALTER TABLE warning_markers ADD COLUMN status TEXT NOT NULL DEFAULT 'approved';
        ALTER TABLE warning_markers ADD COLUMN raised_by INTEGER REFERENCES users(id);
        ALTER TABLE warning_markers ADD COLUMN decided_by INTEGER REFERENCES users(id);
        ALTER TABLE warning_markers ADD COLUMN decided_at TEXT;
        ALTER TABLE warning_markers ADD COLUMN decision_note TEXT;
        CREATE INDEX warning_markers_status ON warning_markers(status);

        -- Lone working: a visit's check-in, expected check-out and check-out.
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

        -- Photos and signatures, content-addressed; the files live beside the database.
        CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            content_type TEXT NOT NULL,
            uploaded_by INTEGER NOT NULL REFERENCES users(id),
            uploaded_at TEXT NOT NULL
        );
        -- Which record expects which blob (uploaded or still missing).
        CREATE TABLE record_blobs (
            entity_type TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            PRIMARY KEY (entity_type, entity_id, sha256)
        ) WITHOUT ROWID;
        CREATE INDEX record_blobs_sha ON record_blobs(sha256);

        -- Field work for other systems: written in the same transaction as the record.
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL UNIQUE,
            topic TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        -- One webhook target's copy of an outbox event, with its retries.
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
        -- How far each target's queue has taken events from the outbox.
        CREATE TABLE delivery_targets (
            name TEXT PRIMARY KEY,
            last_outbox_id INTEGER NOT NULL DEFAULT 0
        );

        -- Who read what: safeguarding reads, markers received, and other audited acts.
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
        """
    )


@migrations()
def m0006_plans(db: Database) -> None:
    """Day plans, and records that belong to a person rather than a home (a plan reaches
    its officer's phone whatever patches they hold)."""
    db.executescript(
        """
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
        ALTER TABLE sync_index ADD COLUMN owner_id INTEGER;
        CREATE INDEX sync_index_owner ON sync_index(owner_id, seq) WHERE owner_id IS NOT NULL;
        """
    )


@migrations()
def m0007_scope_grants(db: Database) -> None:
    """A home granted to an officer for one day outside their patches: the partner's home
    on a paired visit."""
    db.executescript(
        """
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
        """
    )


@migrations()
def m0008_login_security(db: Database) -> None:
    """Device tokens expire (and can be rotated); failed logins are counted for throttling."""
    db.executescript(
        """
        ALTER TABLE devices ADD COLUMN expires_at TEXT;
        ALTER TABLE devices ADD COLUMN rotated_at TEXT;
        UPDATE devices SET expires_at = strftime('%Y-%m-%dT%H:%M:%f+00:00',
                                                 created_at, '+30 days');
        CREATE TABLE login_failures (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            failed_at TEXT NOT NULL
        );
        CREATE INDEX login_failures_key ON login_failures(key, failed_at);
        """
    )


@migrations()
def m0009_token_handover(db: Database) -> None:
    """A rotated token keeps working until the new one is first used: a phone whose
    rotation answer was lost is not locked out (and does not wipe itself)."""
    db.executescript(
        """
        ALTER TABLE devices ADD COLUMN previous_token_hash TEXT;
        CREATE UNIQUE INDEX devices_previous_token ON devices(previous_token_hash);
        """
    )


@migrations()
def m0010_visit_corrections(db: Database) -> None:
    """A tenancy's history finds each visit's corrections by index, not by reading every
    visit record once per visit. Partial: most visits correct nothing, and cost nothing."""
    db.execute("CREATE INDEX visits_corrects ON visits(corrects) WHERE corrects IS NOT NULL")


@migrations()
def m0011_change_index_by_seq(db: Database) -> None:
    """The change index keyed by its sequence number. It was a WITHOUT ROWID table keyed by
    (entity_type, entity_id), so its indexes by home and by owner each carried that text key
    as well (about twice as wide), and every change was written into the middle of the
    table. Keyed by seq, a change is appended at the end, the rows lie in the order pulls
    read them, and the indexes carry an integer. (entity_type, entity_id) stays unique."""
    db.executescript(
        """
        CREATE TABLE sync_index_by_seq (
            seq INTEGER PRIMARY KEY,
            entity_type TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            uprn INTEGER,
            deleted INTEGER NOT NULL DEFAULT 0,
            origin_device_id INTEGER,
            owner_id INTEGER,
            UNIQUE (entity_type, entity_id)
        );
        INSERT INTO sync_index_by_seq
            (seq, entity_type, entity_id, uprn, deleted, origin_device_id, owner_id)
        SELECT seq, entity_type, entity_id, uprn, deleted, origin_device_id, owner_id
        FROM sync_index ORDER BY seq;
        DROP TABLE sync_index;
        ALTER TABLE sync_index_by_seq RENAME TO sync_index;
        CREATE INDEX sync_index_uprn ON sync_index(uprn, seq);
        CREATE INDEX sync_index_owner ON sync_index(owner_id, seq) WHERE owner_id IS NOT NULL;
        """
    )


@migrations()
def m0012_record_exits(db: Database) -> None:
    """A record can leave a home that stays in scope (the import moves a tenancy, a tenant
    or a marker to another home): an exit may name that one record."""
    db.executescript(
        """
        ALTER TABLE scope_exits ADD COLUMN entity_type TEXT;
        ALTER TABLE scope_exits ADD COLUMN entity_id TEXT;
        """
    )


@migrations()
def m0013_blob_uploaders(db: Database) -> None:
    """Everyone who uploaded a photo's bytes, and who made each record naming one: a
    photo's hash is no secret (records, the pull feed and webhooks carry it), so a record
    grants its photos only when its author uploaded them (sync/blobs.py).

    Before this, only a photo's first uploader was kept (``blobs.uploaded_by``): that one
    user becomes its uploader. Anyone else who sent the same bytes then is not known to
    have, so their records show the photo missing until their phone uploads it again.
    A record's author is the user whose create made it (``mutations``); a record naming a
    photo without such a create (none is known) grants nothing."""
    db.executescript(
        """
        CREATE TABLE blob_uploaders (
            sha256 TEXT NOT NULL REFERENCES blobs(sha256),
            user_id INTEGER NOT NULL REFERENCES users(id),
            uploaded_at TEXT NOT NULL,
            PRIMARY KEY (sha256, user_id)
        ) WITHOUT ROWID;
        INSERT INTO blob_uploaders (sha256, user_id, uploaded_at)
            SELECT sha256, uploaded_by, uploaded_at FROM blobs;

        ALTER TABLE record_blobs ADD COLUMN author_id INTEGER REFERENCES users(id);
        UPDATE record_blobs SET author_id = m.user_id FROM mutations m
            WHERE m.entity_type = record_blobs.entity_type
              AND m.entity_id = record_blobs.entity_id
              AND m.op = 'create' AND m.status = 'applied';
        CREATE INDEX record_blobs_author ON record_blobs(author_id, sha256)
            WHERE author_id IS NOT NULL;
        """
    )


@migrations()
def m0014_record_moves(db: Database) -> None:
    """Every move of a record from one home to another (the import corrected its home),
    whatever patches held the old home then. A phone that held the old home before a
    boundary change took it out of scope must lose the records that moved away from it
    afterwards too, though no patch it holds saw them go (sync.pull). Moves made before
    this migration are not caught up."""
    db.executescript(
        """
        CREATE TABLE record_moves (
            seq INTEGER PRIMARY KEY,
            uprn INTEGER NOT NULL,
            entity_type TEXT NOT NULL,
            entity_id TEXT NOT NULL
        );
        CREATE INDEX record_moves_home ON record_moves(uprn, seq);
        """
    )


@migrations()
def m0015_record_flags(db: Database) -> None:
    """Repairs, concerns, arrangements and warning markers carry the flags the server
    noticed when a phone pushed them, as visits and check-ins do: ``clock-ahead`` above
    all, a record whose ``observed_at`` ran ahead of the server and was clamped to the
    time of receipt (sync.push). Records made before this migration have none."""
    for table in ("repairs", "concerns", "arrangements", "warning_markers"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN flags TEXT NOT NULL DEFAULT '[]'")


@migrations()
def m0016_notices_by_tenure(db: Database) -> None:
    """A ``non_secure`` tenure (some temporary housing: its notice is a Notice to Quit),
    and every import run's warnings: a stored row that breaks a rule of law (a notice
    that does not fit the tenure, too short, lapsed; a claim before the notice allows it),
    by line and rule. The tenancies table is rebuilt for its tenure check; the rows that
    name a tenancy keep naming it (their foreign keys are checked at commit, once the
    tenancies are back)."""
    db.executescript(
        """
        PRAGMA defer_foreign_keys = ON;
        CREATE TEMP TABLE tenancies_copy AS SELECT * FROM tenancies;
        DROP TABLE tenancies;
        CREATE TABLE tenancies (
            tenancy_ref TEXT PRIMARY KEY,
            uprn INTEGER NOT NULL REFERENCES properties(uprn),
            tenure TEXT NOT NULL CHECK (tenure IN ('secure', 'introductory', 'flexible',
                'assured', 'starter', 'non_secure', 'garage')),
            start_date TEXT NOT NULL,
            end_date TEXT,
            weekly_rent REAL NOT NULL,
            current_snapshot_id INTEGER REFERENCES account_snapshots(id),
            imported_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        INSERT INTO tenancies SELECT tenancy_ref, uprn, tenure, start_date, end_date,
            weekly_rent, current_snapshot_id, imported_at, updated_at FROM tenancies_copy;
        DROP TABLE tenancies_copy;
        CREATE INDEX tenancies_uprn ON tenancies(uprn);

        ALTER TABLE import_runs ADD COLUMN warnings INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE import_warnings (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES import_runs(id),
            line INTEGER NOT NULL,
            rule TEXT NOT NULL,
            field TEXT NOT NULL,
            message TEXT NOT NULL
        );
        CREATE INDEX import_warnings_run ON import_warnings(run_id);
        """
    )


@migrations()
def m0017_breathing_space_history(db: Database) -> None:
    """Every Breathing Space a tenancy has had (``breathing_spaces``: type, start, end,
    who told us, and its moratorium debt: the arrears owed at the start), derived from the
    account snapshots, which may now also say who notified the landlord, the moratorium
    debt, and the basis of a step taken inside one; and ``review_flags``, what a team
    leader reviews because it touched a rule: a record pushed asking for the frozen debt,
    or an imported step dated inside a moratorium. Spaces already imported are taken from
    the snapshots, their debt from the balance on or before the start (else the first
    after it)."""
    db.executescript(
        """
        ALTER TABLE account_snapshots ADD COLUMN breathing_space_notified_by TEXT;
        ALTER TABLE account_snapshots ADD COLUMN moratorium_debt REAL;
        ALTER TABLE account_snapshots ADD COLUMN moratorium_step_basis TEXT
            CHECK (moratorium_step_basis IN ('court_permission', 'ongoing_rent_only'));

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

        INSERT INTO breathing_spaces (tenancy_ref, type, start_date, end_date, first_seen,
                                      last_seen, updated_at)
        SELECT s.tenancy_ref, s.breathing_space_type, s.breathing_space_start,
               s.breathing_space_end, g.first_seen, g.last_seen,
               strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')
        FROM (SELECT tenancy_ref, breathing_space_start, min(as_of) AS first_seen,
                     max(as_of) AS last_seen
              FROM account_snapshots WHERE breathing_space_start IS NOT NULL
              GROUP BY tenancy_ref, breathing_space_start) g
        JOIN account_snapshots s ON s.tenancy_ref = g.tenancy_ref AND s.as_of = g.last_seen;

        UPDATE breathing_spaces SET debt_source = 'snapshot', debt_as_of = coalesce(
            (SELECT max(q.as_of) FROM account_snapshots q
             WHERE q.tenancy_ref = breathing_spaces.tenancy_ref
               AND q.as_of <= breathing_spaces.start_date),
            (SELECT min(q.as_of) FROM account_snapshots q
             WHERE q.tenancy_ref = breathing_spaces.tenancy_ref));
        UPDATE breathing_spaces SET moratorium_debt =
            (SELECT max(q.balance, 0) FROM account_snapshots q
             WHERE q.tenancy_ref = breathing_spaces.tenancy_ref
               AND q.as_of = breathing_spaces.debt_as_of);

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
        CREATE UNIQUE INDEX review_flags_record ON review_flags(entity_type, entity_id, rule)
            WHERE source = 'push';
        CREATE UNIQUE INDEX review_flags_step ON review_flags(tenancy_ref, rule, step_date)
            WHERE source = 'import';
        CREATE INDEX review_flags_open ON review_flags(reviewed_at, id);
        CREATE INDEX review_flags_tenancy ON review_flags(tenancy_ref);
        """
    )


@migrations()
def m0018_rent_transactions_and_letters(db: Database) -> None:
    """The rent account's transactions (charges, payments with their method, benefit
    credits, adjustments and the balance brought forward) and the letters the housing
    system sent, both from the nightly import: the rent statement and the Pre-Action
    Protocol's record of contact are built from them (sync.records.statements,
    sync.casework.evidence). Each is keyed by the housing system's own reference."""
    db.executescript(
        """
        CREATE TABLE rent_transactions (
            transaction_ref TEXT PRIMARY KEY,
            tenancy_ref TEXT NOT NULL REFERENCES tenancies(tenancy_ref),
            posted_on TEXT NOT NULL,
            type TEXT NOT NULL CHECK (type IN ('opening', 'charge', 'payment', 'benefit',
                'adjustment')),
            method TEXT,
            amount REAL NOT NULL,
            description TEXT,
            imported_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX rent_transactions_tenancy ON rent_transactions(tenancy_ref, posted_on);

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
        """
    )


@migrations()
def m0019_officer_bases(db: Database) -> None:
    """Each user's base: the place an officer's day starts and ends by default (their
    office, or home when they start from home). Empty until set; a plan falls back to the
    middle of the officer's homes only when there is no base."""
    db.executescript(
        """
        ALTER TABLE users ADD COLUMN base_latitude REAL;
        ALTER TABLE users ADD COLUMN base_longitude REAL;
        ALTER TABLE users ADD COLUMN base_label TEXT;
        """
    )


@migrations()
def m0020_absences(db: Database) -> None:
    """An officer's absences (annual leave, sickness, training, other), each a record of
    its own with its dates (England days, inclusive) and a note: an absent officer gets
    no day plan and no stops in the team's week (sync.casework.absences). Cancelled, not
    deleted, so the record of who was away when is kept."""
    db.executescript(
        """
        CREATE TABLE absences (
            id INTEGER PRIMARY KEY,
            officer_id INTEGER NOT NULL REFERENCES users(id),
            kind TEXT NOT NULL CHECK (kind IN ('annual_leave', 'sickness', 'training',
                'other')),
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
        """
    )


@migrations()
def m0021_work_phones(db: Database) -> None:
    """Each user's work phone (E.164, e.g. +447700900123): a team leader calls an officer
    overdue at a visit from the lone-working alert. Empty until set."""
    db.executescript("ALTER TABLE users ADD COLUMN work_phone TEXT;")


@migrations()
def m0022_phone_statements(db: Database) -> None:
    """Each tenancy's statement as phones hold it (the last 13 weeks, for a tenancy in
    arrears), built when the import changes its transactions or account, or when a new
    week moves its window, and stored: a pull reads it like any other record rather than
    building it for every phone (sync.records.phone_statements). ``from_day`` is the
    first day of its window, ``to_day`` the day it was built for. Filled by the next
    import; until then a pull builds what is missing."""
    db.executescript(
        """
        CREATE TABLE phone_statements (
            tenancy_ref TEXT PRIMARY KEY REFERENCES tenancies(tenancy_ref),
            from_day TEXT NOT NULL,
            to_day TEXT NOT NULL,
            body TEXT NOT NULL
        );
        """
    )


@migrations()
def m0023_outbox_rendered_events(db: Database) -> None:
    """An outbox event may be stored without its body: an event whose data is its record
    as stored, where the record never changes once made (a visit record), is read from
    the record when the feed or a webhook delivery reads the event (sync.protocol.outbox).
    That saves the event's copy of every visit record (some 400 bytes each, in the
    mutation log and the visits table already). ``event_id`` loses its unique index: a
    push's event ids are its mutation's id (unique in the mutation log) and a number, the
    server's are UUIDv7, and nothing looks an event up by it. Deliveries keep naming their
    events (checked at commit). Deliveries are indexed by event first: without it, each
    event deleted (here, and by retention) read every delivery, and the rebuild of 100,000
    events with their deliveries would hold the write lock for minutes."""
    db.executescript(
        """
        CREATE INDEX deliveries_outbox ON deliveries(outbox_id);
        PRAGMA defer_foreign_keys = ON;
        CREATE TEMP TABLE outbox_copy AS SELECT * FROM outbox;
        DROP TABLE outbox;
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL,
            topic TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            body TEXT,
            created_at TEXT NOT NULL
        );
        INSERT INTO outbox (id, event_id, topic, entity_id, body, created_at)
        SELECT id, event_id, topic, entity_id, body, created_at FROM outbox_copy ORDER BY id;
        DROP TABLE outbox_copy;
        """
    )


# The tables a pushed record's home is read from, and the columns read (sync.protocol.homes).
# Keys included: an UPDATE OR REPLACE that takes another row's key deletes that row
# without firing its DELETE trigger.
_HOME_SOURCES = {
    "properties": "uprn",
    "patch_properties": "patch_id, uprn",
    "tenancies": "uprn, tenancy_ref",
    "warning_markers": "marker_ref, uprn, code, status, start_date, end_date",
}


@migrations()
def m0024_homes_version(db: Database) -> None:
    """``sync_state.homes_version`` counts every change to what a push reads of a home
    (its patches, tenancies and the warning markers in force), by triggers on those
    tables, in the transaction that makes the change: a worker keeps the homes its last
    push read for as long as the count stands (sync.protocol.homes)."""
    statements = ["ALTER TABLE sync_state ADD COLUMN homes_version INTEGER NOT NULL DEFAULT 0;"]
    bump = "UPDATE sync_state SET homes_version = homes_version + 1;"
    for table, columns in _HOME_SOURCES.items():
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns.split(", "))
        for event, when in (
            ("INSERT", ""),
            ("DELETE", ""),
            (f"UPDATE OF {columns}", f" WHEN {changed}"),
        ):
            name = f"{table}_homes_{event.split()[0].lower()}"
            statements.append(
                f"CREATE TRIGGER {name} AFTER {event} ON {table}{when} BEGIN {bump} END;"
            )
    db.executescript("\n".join(statements))


@migrations()
def m0025_malformed_device_seq(db: Database) -> None:
    """A malformed mutation keeps its ``device_seq`` when that number is itself good, so
    its device's ``acknowledged_seq`` moves past it: until now it was stored without one,
    and the sequence stopped short of it for good. The number is taken back from what the
    phone sent, and each device with one taken back has its sequence worked out again
    (never moved back)."""
    db.executescript(
        """
        UPDATE mutations SET device_seq = CASE
                WHEN json_valid(body) AND json_type(body, '$.device_seq') = 'integer'
                THEN json_extract(body, '$.device_seq') END
         WHERE status = 'rejected' AND device_seq IS NULL;
        UPDATE mutations SET device_seq = NULL
         WHERE status = 'rejected' AND device_seq NOT BETWEEN 1 AND 4611686018427387904;
        UPDATE devices SET acknowledged_seq = max(acknowledged_seq, coalesce(
            (SELECT min(r) - 1 FROM (
                SELECT device_seq, dense_rank() OVER (ORDER BY device_seq) AS r
                FROM (SELECT DISTINCT device_seq FROM mutations
                      WHERE device_id = devices.id AND device_seq IS NOT NULL))
             WHERE device_seq != r),
            (SELECT max(device_seq) FROM mutations WHERE device_id = devices.id),
            0))
         WHERE id IN (SELECT device_id FROM mutations
                       WHERE status = 'rejected' AND device_seq IS NOT NULL);
        """
    )


@migrations()
def m0026_content_hash_when_needed(db: Database) -> None:
    """A push no longer hashes every mutation's content: a resend is compared with the
    stored copy of what the phone sent (``body``), and the hash is kept only where the copy
    will not do, so ``content_hash`` may now be null. It is kept for a long copy (over
    16,384 characters, which a resend is not made to read: sync.protocol.resends) and for a
    copy whose payload retention has purged. Rewrites the mutation log once: about 11
    seconds a million mutations on a 2-core machine."""
    db.executescript(
        """
        ALTER TABLE mutations ADD COLUMN kept_hash TEXT;
        UPDATE mutations SET kept_hash = content_hash
         WHERE length(body) > 16384
            OR (json_valid(body) AND json_type(body) = 'object'
                AND json_type(body, '$.redacted_at') IS NOT NULL);
        ALTER TABLE mutations DROP COLUMN content_hash;
        ALTER TABLE mutations RENAME COLUMN kept_hash TO content_hash;
        """
    )
