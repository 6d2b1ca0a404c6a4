"""Versioned schema migrations, applied in order at start; each runs once, in a transaction.

Append new migrations; never edit one that has shipped.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "agencies, users, robots, residents, rentals",
        """
        CREATE TABLE agencies (
            id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, region TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE TABLE users (
            id INTEGER PRIMARY KEY, agency_id INTEGER NOT NULL REFERENCES agencies(id),
            email TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL, full_name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'social_worker', 'caregiver')),
            active INTEGER NOT NULL DEFAULT 1, created_at REAL NOT NULL
        );
        CREATE TABLE robots (
            id TEXT PRIMARY KEY, agency_id INTEGER NOT NULL REFERENCES agencies(id),
            serial TEXT NOT NULL UNIQUE, model TEXT NOT NULL, firmware TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'in_stock'
                CHECK (status IN ('in_stock', 'rented', 'maintenance', 'retired')),
            mqtt_password_hash TEXT NOT NULL, created_at REAL NOT NULL
        );
        CREATE TABLE residents (
            id INTEGER PRIMARY KEY, agency_id INTEGER NOT NULL REFERENCES agencies(id),
            full_name TEXT NOT NULL, address TEXT NOT NULL DEFAULT '',
            language TEXT NOT NULL DEFAULT 'ru' CHECK (language IN ('ru', 'en')),
            birth_date TEXT, disability_group INTEGER CHECK (disability_group IN (1, 2, 3)),
            contacts TEXT NOT NULL DEFAULT '[]', consents TEXT NOT NULL DEFAULT '{}',
            created_at REAL NOT NULL
        );
        CREATE TABLE rentals (
            id INTEGER PRIMARY KEY, agency_id INTEGER NOT NULL REFERENCES agencies(id),
            robot_id TEXT NOT NULL REFERENCES robots(id),
            resident_id INTEGER NOT NULL REFERENCES residents(id),
            starts_on TEXT NOT NULL, ends_on TEXT,
            status TEXT NOT NULL DEFAULT 'planned'
                CHECK (status IN ('planned', 'active', 'returned', 'cancelled')),
            handed_over_at REAL, returned_at REAL, wipe_requested_at REAL, wipe_confirmed_at REAL,
            created_at REAL NOT NULL
        );
        CREATE INDEX rentals_robot ON rentals (robot_id, status);
        """,
    ),
    (
        2,
        "telemetry, latest robot state, incidents, audit log",
        """
        CREATE TABLE telemetry (
            robot_id TEXT NOT NULL, ts REAL NOT NULL, battery_pct REAL, charging INTEGER,
            cpu_temp_c REAL, uptime_s REAL
        );
        CREATE INDEX telemetry_robot_ts ON telemetry (robot_id, ts);
        CREATE TABLE robot_state (
            robot_id TEXT PRIMARY KEY, state TEXT NOT NULL, bdseq INTEGER, fw TEXT,
            last_seen REAL NOT NULL, battery_pct REAL, charging INTEGER
        );
        CREATE TABLE incidents (
            id INTEGER PRIMARY KEY, alert_id TEXT NOT NULL UNIQUE, robot_id TEXT NOT NULL,
            kind TEXT NOT NULL, severity TEXT NOT NULL, details TEXT NOT NULL DEFAULT '{}',
            raised_at REAL NOT NULL, received_at REAL NOT NULL,
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'acknowledged', 'resolved')),
            acknowledged_by INTEGER REFERENCES users(id), acknowledged_at REAL,
            resolved_at REAL, outcome TEXT
        );
        CREATE INDEX incidents_robot ON incidents (robot_id, raised_at);
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY, at REAL NOT NULL, user_id INTEGER, agency_id INTEGER,
            action TEXT NOT NULL, object_type TEXT NOT NULL, object_id TEXT NOT NULL,
            changes TEXT NOT NULL DEFAULT '{}'
        );
        """,
    ),
    (
        3,
        "service secrets (token signing key)",
        """
        CREATE TABLE service_secrets (
            name TEXT PRIMARY KEY, value TEXT NOT NULL, created_at REAL NOT NULL
        );
        """,
    ),
    (
        4,
        "robots, residents and rentals API: erasure, wipe commands, agency indexes",
        """
        ALTER TABLE residents ADD COLUMN updated_at REAL;
        ALTER TABLE residents ADD COLUMN erased_at REAL;
        ALTER TABLE residents ADD COLUMN search_name TEXT NOT NULL DEFAULT '';
        ALTER TABLE rentals ADD COLUMN wipe_req_id TEXT;
        ALTER TABLE rentals ADD COLUMN wipe_failed_at REAL;
        ALTER TABLE rentals ADD COLUMN wipe_detail TEXT NOT NULL DEFAULT '';
        CREATE UNIQUE INDEX rentals_one_open_per_robot ON rentals (robot_id)
            WHERE status IN ('planned', 'active');
        CREATE INDEX rentals_agency ON rentals (agency_id, id);
        CREATE INDEX rentals_resident ON rentals (resident_id, status);
        CREATE INDEX robots_agency ON robots (agency_id, serial);
        CREATE INDEX residents_agency ON residents (agency_id, erased_at, search_name);
        CREATE INDEX audit_object ON audit_log (agency_id, object_type, object_id, id);
        """,
    ),
    (
        5,
        "telemetry rollups (downsampling), robot events, incidents by status",
        """
        CREATE TABLE telemetry_rollup (
            robot_id TEXT NOT NULL, bucket_start REAL NOT NULL, bucket_s INTEGER NOT NULL,
            samples INTEGER NOT NULL, battery_avg REAL, battery_min REAL, cpu_temp_max REAL,
            uptime_max REAL, charging_last INTEGER, last_ts REAL NOT NULL,
            PRIMARY KEY (robot_id, bucket_start)
        );
        CREATE TABLE robot_events (
            id INTEGER PRIMARY KEY, robot_id TEXT NOT NULL, type TEXT NOT NULL, ts REAL NOT NULL,
            received_at REAL NOT NULL, data TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX robot_events_robot ON robot_events (robot_id, ts);
        CREATE INDEX incidents_status ON incidents (status, id);
        """,
    ),
    (
        6,
        "escalation: agency duty channels, residents' chains, deliveries of incidents",
        """
        CREATE TABLE agency_escalation (
            agency_id INTEGER PRIMARY KEY REFERENCES agencies(id),
            duty_webhook_url TEXT, duty_email TEXT, webhook_secret TEXT NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE TABLE escalation_steps (
            resident_id INTEGER NOT NULL REFERENCES residents(id), position INTEGER NOT NULL,
            who TEXT NOT NULL CHECK (who IN ('operator_on_duty', 'contact')),
            contact_name TEXT NOT NULL DEFAULT '',
            channel TEXT NOT NULL CHECK (channel IN ('webhook', 'email')),
            target TEXT NOT NULL DEFAULT '', deadline_s INTEGER NOT NULL,
            PRIMARY KEY (resident_id, position)
        );
        CREATE TABLE incident_notifications (
            id INTEGER PRIMARY KEY, incident_id INTEGER NOT NULL REFERENCES incidents(id),
            step INTEGER NOT NULL, who TEXT NOT NULL, channel TEXT NOT NULL,
            target TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
            last_error TEXT NOT NULL DEFAULT '', queued_at REAL NOT NULL, sent_at REAL,
            UNIQUE (incident_id, step, channel, target)
        );
        """,
    ),
    (
        7,
        "reminders: residents' schedules, outcomes from the robots, what each robot was sent",
        """
        CREATE TABLE reminder_schedules (
            resident_id INTEGER PRIMARY KEY REFERENCES residents(id),
            agency_id INTEGER NOT NULL REFERENCES agencies(id),
            version INTEGER NOT NULL, schedule TEXT NOT NULL,
            updated_at REAL NOT NULL, updated_by INTEGER REFERENCES users(id)
        );
        CREATE TABLE reminder_outcomes (
            id INTEGER PRIMARY KEY, robot_id TEXT NOT NULL, event_id TEXT NOT NULL,
            agency_id INTEGER, resident_id INTEGER, rental_id INTEGER,
            reminder_id TEXT NOT NULL, occurrence_id TEXT NOT NULL, kind TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '', medicine TEXT NOT NULL DEFAULT '',
            outcome TEXT NOT NULL CHECK (outcome IN ('taken', 'snoozed', 'missed')),
            due TEXT NOT NULL, due_ts REAL NOT NULL, ts REAL NOT NULL,
            prompts INTEGER NOT NULL DEFAULT 1, reason TEXT NOT NULL DEFAULT '',
            received_at REAL NOT NULL,
            UNIQUE (robot_id, event_id)
        );
        CREATE INDEX reminder_outcomes_resident ON reminder_outcomes (resident_id, due_ts);
        CREATE TABLE reminder_publications (
            robot_id TEXT PRIMARY KEY, resident_id INTEGER NOT NULL, version INTEGER NOT NULL,
            published_at REAL NOT NULL
        );
        """,
    ),
    (
        8,
        "benefits: agencies' catalogs, residents' profiles, appointment requests, config sent",
        """
        CREATE TABLE benefit_catalogs (
            agency_id INTEGER PRIMARY KEY REFERENCES agencies(id),
            version INTEGER NOT NULL, document TEXT NOT NULL,
            updated_at REAL NOT NULL, updated_by INTEGER REFERENCES users(id)
        );
        CREATE TABLE benefit_profiles (
            resident_id INTEGER PRIMARY KEY REFERENCES residents(id),
            agency_id INTEGER NOT NULL REFERENCES agencies(id),
            facts TEXT NOT NULL, source TEXT NOT NULL CHECK (source IN ('voice', 'staff')),
            version INTEGER NOT NULL, updated_at REAL NOT NULL,
            updated_by INTEGER REFERENCES users(id), robot_id TEXT
        );
        CREATE TABLE benefit_sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        CREATE TABLE benefit_profile_events (
            robot_id TEXT NOT NULL, event_id TEXT NOT NULL, received_at REAL NOT NULL,
            PRIMARY KEY (robot_id, event_id)
        );
        CREATE TABLE benefit_appointment_requests (
            id INTEGER PRIMARY KEY, robot_id TEXT NOT NULL, event_id TEXT NOT NULL,
            agency_id INTEGER NOT NULL REFERENCES agencies(id),
            resident_id INTEGER NOT NULL REFERENCES residents(id), rental_id INTEGER,
            benefits_agency_id TEXT NOT NULL, measure_ids TEXT NOT NULL DEFAULT '[]',
            note TEXT NOT NULL DEFAULT '', ts REAL NOT NULL, received_at REAL NOT NULL,
            done_at REAL, done_by INTEGER REFERENCES users(id),
            UNIQUE (robot_id, event_id)
        );
        CREATE INDEX benefit_requests_resident
            ON benefit_appointment_requests (agency_id, resident_id, id);
        CREATE TABLE config_publications (
            robot_id TEXT NOT NULL, kind TEXT NOT NULL, stamp TEXT, version INTEGER NOT NULL,
            published_at REAL NOT NULL, PRIMARY KEY (robot_id, kind)
        );
        """,
    ),
    (
        9,
        "appointments: specialists, free slots, bookings, ratings of services, complaints",
        """
        CREATE TABLE specialists (
            id INTEGER PRIMARY KEY, agency_id INTEGER NOT NULL REFERENCES agencies(id),
            name TEXT NOT NULL, role TEXT NOT NULL, benefits_agency_id TEXT,
            active INTEGER NOT NULL DEFAULT 1, created_at REAL NOT NULL, updated_at REAL NOT NULL
        );
        CREATE INDEX specialists_agency ON specialists (agency_id, name);
        CREATE TABLE appointment_slots (
            id INTEGER PRIMARY KEY, agency_id INTEGER NOT NULL REFERENCES agencies(id),
            specialist_id INTEGER NOT NULL REFERENCES specialists(id),
            starts_at REAL NOT NULL, duration_min INTEGER NOT NULL,
            mode TEXT NOT NULL CHECK (mode IN ('in_person', 'video')),
            place TEXT NOT NULL DEFAULT '', created_at REAL NOT NULL
        );
        CREATE INDEX appointment_slots_agency ON appointment_slots (agency_id, starts_at);
        CREATE INDEX appointment_slots_specialist ON appointment_slots (specialist_id, starts_at);
        CREATE TABLE appointments (
            id INTEGER PRIMARY KEY, agency_id INTEGER NOT NULL REFERENCES agencies(id),
            resident_id INTEGER NOT NULL REFERENCES residents(id),
            slot_id INTEGER NOT NULL, specialist_id INTEGER NOT NULL REFERENCES specialists(id),
            starts_at REAL NOT NULL, duration_min INTEGER NOT NULL, mode TEXT NOT NULL,
            place TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'booked'
                CHECK (status IN ('booked', 'cancelled', 'done', 'no_show')),
            source TEXT NOT NULL CHECK (source IN ('voice', 'staff')), robot_id TEXT,
            booked_by INTEGER REFERENCES users(id), reminder_id TEXT NOT NULL,
            created_at REAL NOT NULL, updated_at REAL NOT NULL
        );
        CREATE UNIQUE INDEX appointments_one_per_slot ON appointments (slot_id)
            WHERE status != 'cancelled';
        CREATE INDEX appointments_resident ON appointments (agency_id, resident_id, starts_at);
        CREATE TABLE appointment_events (
            robot_id TEXT NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL,
            received_at REAL NOT NULL, PRIMARY KEY (robot_id, event_id)
        );
        CREATE TABLE appointment_refusals (
            id INTEGER PRIMARY KEY, agency_id INTEGER NOT NULL REFERENCES agencies(id),
            resident_id INTEGER NOT NULL REFERENCES residents(id), robot_id TEXT NOT NULL,
            slot_id TEXT NOT NULL, reason TEXT NOT NULL, ts REAL NOT NULL,
            received_at REAL NOT NULL
        );
        CREATE INDEX appointment_refusals_resident
            ON appointment_refusals (agency_id, resident_id, id);
        CREATE TABLE service_ratings (
            id INTEGER PRIMARY KEY, agency_id INTEGER NOT NULL REFERENCES agencies(id),
            appointment_id INTEGER NOT NULL UNIQUE, specialist_id INTEGER NOT NULL,
            resident_id INTEGER, time_to_service INTEGER, waiting_time INTEGER,
            courtesy INTEGER, comfort INTEGER, information INTEGER,
            comment TEXT NOT NULL DEFAULT '', robot_id TEXT, rated_at REAL NOT NULL,
            received_at REAL NOT NULL
        );
        CREATE INDEX service_ratings_specialist ON service_ratings (specialist_id, rated_at);
        CREATE TABLE complaints (
            id INTEGER PRIMARY KEY, agency_id INTEGER NOT NULL REFERENCES agencies(id),
            resident_id INTEGER, appointment_id INTEGER, specialist_id INTEGER,
            ground TEXT NOT NULL CHECK (ground IN ('missed_deadline', 'refusal',
                'extra_documents_or_fees', 'rude_treatment', 'other')),
            text TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL CHECK (source IN ('voice', 'staff')),
            robot_id TEXT, filed_by INTEGER REFERENCES users(id), filed_at REAL NOT NULL,
            due_at REAL NOT NULL, answer TEXT NOT NULL DEFAULT '', answered_at REAL,
            answered_by INTEGER REFERENCES users(id)
        );
        CREATE INDEX complaints_agency ON complaints (agency_id, answered_at, due_at);
        """,
    ),
    (
        10,
        "video consultations: calls between a resident's robot and a specialist, their events",
        """
        CREATE TABLE consultations (
            id INTEGER PRIMARY KEY, agency_id INTEGER NOT NULL REFERENCES agencies(id),
            resident_id INTEGER NOT NULL REFERENCES residents(id), robot_id TEXT NOT NULL,
            appointment_id INTEGER, caller_user_id INTEGER REFERENCES users(id),
            caller_name TEXT NOT NULL DEFAULT '', caller_role TEXT NOT NULL DEFAULT '',
            origin TEXT NOT NULL CHECK (origin IN ('staff', 'voice')),
            state TEXT NOT NULL CHECK (state IN ('requested', 'ringing', 'accepted',
                'connected', 'reconnecting', 'declined', 'ended')),
            reason TEXT NOT NULL DEFAULT '', event_id TEXT,
            created_at REAL NOT NULL, updated_at REAL NOT NULL, connected_at REAL, ended_at REAL
        );
        CREATE UNIQUE INDEX consultations_one_call_per_robot ON consultations (robot_id)
            WHERE state IN ('ringing', 'accepted', 'connected', 'reconnecting');
        CREATE UNIQUE INDEX consultations_voice_event ON consultations (robot_id, event_id)
            WHERE event_id IS NOT NULL;
        CREATE INDEX consultations_agency ON consultations (agency_id, id);
        CREATE INDEX consultations_resident ON consultations (agency_id, resident_id, id);
        CREATE INDEX consultations_appointment ON consultations (appointment_id, id)
            WHERE appointment_id IS NOT NULL;
        CREATE INDEX consultations_active ON consultations (state, updated_at)
            WHERE state IN ('ringing', 'accepted', 'reconnecting');
        CREATE TABLE consultation_events (
            id INTEGER PRIMARY KEY,
            consultation_id INTEGER NOT NULL REFERENCES consultations(id),
            state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
            by TEXT NOT NULL CHECK (by IN ('robot', 'specialist', 'fleet')), ts REAL NOT NULL
        );
        CREATE INDEX consultation_events_call ON consultation_events (consultation_id, id);
        """,
    ),
    (
        11,
        "assistive devices: each resident's registry, the devices' health the robots report",
        """
        CREATE TABLE device_registries (
            resident_id INTEGER PRIMARY KEY REFERENCES residents(id),
            agency_id INTEGER NOT NULL REFERENCES agencies(id), version INTEGER NOT NULL,
            registry TEXT NOT NULL, updated_at REAL NOT NULL,
            updated_by INTEGER REFERENCES users(id)
        );
        CREATE TABLE device_status (
            robot_id TEXT NOT NULL, device TEXT NOT NULL, role TEXT NOT NULL DEFAULT '',
            online INTEGER NOT NULL, battery_pct REAL, battery_low INTEGER NOT NULL DEFAULT 0,
            last_seen REAL, problem TEXT NOT NULL DEFAULT '', event_ts REAL NOT NULL,
            updated_at REAL NOT NULL, PRIMARY KEY (robot_id, device)
        );
        CREATE TABLE device_status_events (
            robot_id TEXT NOT NULL, event_id TEXT NOT NULL, received_at REAL NOT NULL,
            PRIMARY KEY (robot_id, event_id)
        );
        """,
    ),
]
