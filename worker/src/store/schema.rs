//! The store's SQLite schema, versioned in code: each migration runs once, in order, and the
//! version reached is kept in `meta`. Add a migration; never edit one that has shipped.
//!
//! Times are INTEGER microseconds since the Unix epoch (JavaScript numbers carry 53 bits, so
//! nanoseconds would lose precision on the way in and out). Arrays are JSON text. Totals a
//! request would otherwise count row by row are kept by triggers.

use super::db::Db;
use labrelay_api::error::ApiError;

const MIGRATIONS: &[&str] = &[
    // 1: users, tokens, the CDRouter-shaped resources and jobs.
    "CREATE TABLE users (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        admin INTEGER NOT NULL DEFAULT 0,
        disabled INTEGER NOT NULL DEFAULT 0,
        password_hash TEXT NOT NULL,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL
    );
    CREATE TABLE tokens (
        hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL,
        source TEXT NOT NULL,
        created INTEGER NOT NULL
    );
    CREATE INDEX tokens_user ON tokens(user_id);
    CREATE TABLE packages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL,
        testlist TEXT NOT NULL,
        extra_cli_args TEXT NOT NULL,
        config_id INTEGER NOT NULL,
        device_id INTEGER NOT NULL,
        agent_id INTEGER NOT NULL,
        tags TEXT NOT NULL,
        note TEXT NOT NULL,
        locked INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL
    );
    CREATE TABLE configs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL,
        contents TEXT NOT NULL,
        tags TEXT NOT NULL,
        note TEXT NOT NULL,
        locked INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL
    );
    CREATE TABLE devices (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL,
        tags TEXT NOT NULL,
        note TEXT NOT NULL,
        locked INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        manufacturer TEXT NOT NULL,
        model_name TEXT NOT NULL,
        serial_number TEXT NOT NULL,
        software_version TEXT NOT NULL
    );
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        status TEXT NOT NULL,
        options TEXT NOT NULL,
        package_id INTEGER NOT NULL,
        package_name TEXT NOT NULL,
        device_id INTEGER NOT NULL,
        device_name TEXT NOT NULL,
        config_id INTEGER NOT NULL,
        config_name TEXT NOT NULL,
        result_id TEXT,
        user_id INTEGER NOT NULL,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        automatic INTEGER NOT NULL DEFAULT 0,
        run_at INTEGER NOT NULL,
        interfaces TEXT NOT NULL,
        interface_names TEXT NOT NULL,
        uses_wireless INTEGER NOT NULL,
        uses_ics INTEGER NOT NULL,
        ics_interface_name TEXT NOT NULL,
        stop_requested INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX jobs_status ON jobs(status, id);
    CREATE INDEX jobs_package_name ON jobs(package_name, id);",
    // 2: lab agents, dispatch leases, progress and outcome, logs.
    "CREATE TABLE agents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        labels TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        version TEXT NOT NULL DEFAULT '',
        host TEXT NOT NULL DEFAULT '',
        interfaces TEXT NOT NULL DEFAULT '[]',
        last_seen INTEGER,
        created INTEGER NOT NULL
    );
    ALTER TABLE jobs ADD COLUMN agent_id INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN lease_expires INTEGER;
    ALTER TABLE jobs ADD COLUMN progress_done INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN progress_total INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN passed INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN exit_code INTEGER;
    ALTER TABLE jobs ADD COLUMN reason TEXT NOT NULL DEFAULT '';
    ALTER TABLE jobs ADD COLUMN started INTEGER;
    ALTER TABLE jobs ADD COLUMN finished INTEGER;
    ALTER TABLE jobs ADD COLUMN log_received INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN log_stored INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX jobs_agent ON jobs(agent_id, status);
    CREATE INDEX jobs_dispatch ON jobs(status, agent_id, run_at);
    CREATE TABLE job_logs (
        job_id INTEGER NOT NULL,
        offset INTEGER NOT NULL,
        len INTEGER NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (job_id, offset)
    );",
    // 3: results (one per run), their tests and the files of their result directories
    // (the bytes are in R2 under `key`); R2 keys waiting to be deleted.
    "CREATE TABLE results (
        id INTEGER PRIMARY KEY,
        job_id INTEGER NOT NULL,
        status TEXT NOT NULL,
        result TEXT NOT NULL DEFAULT '',
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        finished INTEGER,
        tests INTEGER NOT NULL DEFAULT 0,
        pass INTEGER NOT NULL DEFAULT 0,
        fail INTEGER NOT NULL DEFAULT 0,
        duration INTEGER NOT NULL DEFAULT 0,
        size_on_disk INTEGER NOT NULL DEFAULT 0,
        files INTEGER NOT NULL DEFAULT 0,
        starred INTEGER NOT NULL DEFAULT 0,
        archived INTEGER NOT NULL DEFAULT 0,
        locked INTEGER NOT NULL DEFAULT 0,
        note TEXT NOT NULL DEFAULT '',
        agent_name TEXT NOT NULL DEFAULT '',
        package_id INTEGER NOT NULL,
        package_name TEXT NOT NULL,
        device_id INTEGER NOT NULL,
        device_name TEXT NOT NULL,
        config_id INTEGER NOT NULL,
        config_name TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        tags TEXT NOT NULL,
        options TEXT NOT NULL,
        interfaces TEXT NOT NULL,
        testcases TEXT NOT NULL DEFAULT '[]',
        progress_done INTEGER NOT NULL DEFAULT 0,
        progress_total INTEGER NOT NULL DEFAULT 0,
        update_seq INTEGER NOT NULL DEFAULT 1,
        reserved INTEGER NOT NULL DEFAULT 0,
        file_rows INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX results_job ON results(job_id);
    CREATE TABLE result_tests (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        result_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        loop INTEGER NOT NULL,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        result TEXT NOT NULL,
        started INTEGER,
        duration INTEGER NOT NULL,
        log TEXT NOT NULL,
        keylog TEXT NOT NULL,
        skip_reason TEXT NOT NULL,
        flagged INTEGER NOT NULL DEFAULT 0,
        note TEXT NOT NULL DEFAULT '',
        update_seq INTEGER NOT NULL,
        UNIQUE (result_id, seq)
    );
    CREATE TABLE result_files (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        result_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        key TEXT NOT NULL,
        upload_id TEXT,
        parts TEXT NOT NULL DEFAULT '[]',
        crc32 INTEGER NOT NULL DEFAULT 0,
        complete INTEGER NOT NULL DEFAULT 0,
        modified INTEGER NOT NULL,
        UNIQUE (result_id, name)
    );
    CREATE TABLE r2_garbage (
        key TEXT NOT NULL,
        upload_id TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (key, upload_id)
    );
    CREATE TRIGGER result_files_added AFTER INSERT ON result_files BEGIN
        UPDATE results SET reserved = reserved + NEW.size, file_rows = file_rows + 1,
        size_on_disk = size_on_disk + NEW.size * NEW.complete, files = files + NEW.complete
        WHERE id = NEW.result_id;
    END;
    CREATE TRIGGER result_files_removed AFTER DELETE ON result_files BEGIN
        UPDATE results SET reserved = reserved - OLD.size, file_rows = file_rows - 1,
        size_on_disk = size_on_disk - OLD.size * OLD.complete, files = files - OLD.complete
        WHERE id = OLD.result_id;
    END;
    CREATE TRIGGER result_files_changed AFTER UPDATE OF size, complete ON result_files BEGIN
        UPDATE results SET reserved = reserved - OLD.size + NEW.size,
        size_on_disk = size_on_disk - OLD.size * OLD.complete + NEW.size * NEW.complete,
        files = files - OLD.complete + NEW.complete
        WHERE id = NEW.result_id;
    END;",
    // 4: sign-in: an API token per user (sealed by the entry: it can be shown again),
    // expiring browser sessions, the read-only role, failed sign-ins for throttling.
    "ALTER TABLE users ADD COLUMN api_token_sealed TEXT NOT NULL DEFAULT '';
    ALTER TABLE users ADD COLUMN readonly INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE tokens ADD COLUMN expires INTEGER;
    CREATE TABLE login_failures (
        key TEXT PRIMARY KEY,
        count INTEGER NOT NULL,
        first INTEGER NOT NULL,
        locked_until INTEGER NOT NULL DEFAULT 0
    );",
    // 5: labs (in the directory, the default lab's object): names and members.
    "CREATE TABLE labs (
        name TEXT PRIMARY KEY,
        description TEXT NOT NULL DEFAULT '',
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL
    );
    CREATE TABLE lab_members (
        lab TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        PRIMARY KEY (lab, user_id)
    );
    CREATE INDEX lab_members_user ON lab_members(user_id);",
    // 6: queue control: priorities (jobs, and packages' default), device states.
    "ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 50;
    ALTER TABLE packages ADD COLUMN priority INTEGER NOT NULL DEFAULT 50;
    ALTER TABLE devices ADD COLUMN state TEXT NOT NULL DEFAULT 'ready';
    ALTER TABLE devices ADD COLUMN state_note TEXT NOT NULL DEFAULT '';
    CREATE INDEX jobs_queue ON jobs(status, agent_id, priority DESC, run_at, id);",
    // 7: health checks (devices, and the jobs that check them), package schedules,
    // reservations of a device or an agent.
    "ALTER TABLE devices ADD COLUMN health_package_id INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE devices ADD COLUMN health_every_hours INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE devices ADD COLUMN health TEXT NOT NULL DEFAULT 'unknown';
    ALTER TABLE devices ADD COLUMN health_checked INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN health_check INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE packages ADD COLUMN schedule TEXT NOT NULL DEFAULT '';
    ALTER TABLE packages ADD COLUMN schedule_next INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX packages_schedule ON packages(schedule_next) WHERE schedule_next > 0;
    CREATE TABLE reservations (
        id INTEGER PRIMARY KEY,
        device_id INTEGER NOT NULL DEFAULT 0,
        agent_id INTEGER NOT NULL DEFAULT 0,
        user_id INTEGER NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        created INTEGER NOT NULL,
        until INTEGER NOT NULL
    );
    CREATE INDEX reservations_until ON reservations(until);",
    // 8: a version of the due queue (the pending, unclaimed jobs whose run_at had come when
    // it was last read, `built_at`), moved by every write to such a job, so reading why jobs
    // wait need not scan the queue to learn that nothing changed. Jobs that come due later
    // are found by their run_at (see `queue/due.rs`). And the few health-check jobs, indexed.
    "CREATE TABLE queue_version (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        v INTEGER NOT NULL,
        built_at INTEGER NOT NULL
    );
    INSERT INTO queue_version (id, v, built_at) VALUES (1, 0, 0);
    CREATE INDEX jobs_health_checks ON jobs(status) WHERE health_check = 1;
    CREATE TRIGGER jobs_queue_added AFTER INSERT ON jobs
        WHEN NEW.status = 'pending' AND NEW.agent_id = 0
         AND NEW.run_at <= (SELECT built_at FROM queue_version WHERE id = 1) BEGIN
        UPDATE queue_version SET v = v + 1 WHERE id = 1;
    END;
    CREATE TRIGGER jobs_queue_removed AFTER DELETE ON jobs
        WHEN OLD.status = 'pending' AND OLD.agent_id = 0
         AND OLD.run_at <= (SELECT built_at FROM queue_version WHERE id = 1) BEGIN
        UPDATE queue_version SET v = v + 1 WHERE id = 1;
    END;
    CREATE TRIGGER jobs_queue_changed
        AFTER UPDATE OF status, agent_id, run_at, priority, interface_names ON jobs
        WHEN (OLD.status = 'pending' AND OLD.agent_id = 0
              AND OLD.run_at <= (SELECT built_at FROM queue_version WHERE id = 1))
          OR (NEW.status = 'pending' AND NEW.agent_id = 0
              AND NEW.run_at <= (SELECT built_at FROM queue_version WHERE id = 1)) BEGIN
        UPDATE queue_version SET v = v + 1 WHERE id = 1;
    END;",
    // 9: every column the app's jobs table sorts by has an index (then by id), so a long
    // list sorts by them within the per-request budget (see `check_sort_cost`).
    "CREATE INDEX jobs_created ON jobs(created, id);
    CREATE INDEX jobs_run_at ON jobs(run_at, id);
    CREATE INDEX jobs_result ON jobs(result_id, id);
    CREATE INDEX jobs_device_name ON jobs(device_name, id);
    CREATE INDEX jobs_config_name ON jobs(config_name, id);",
    // 10: the name of the agent that claimed a job, kept with it (as a result keeps its
    // agent's), filled in for the jobs claimed before.
    "ALTER TABLE jobs ADD COLUMN agent_name TEXT NOT NULL DEFAULT '';
    UPDATE jobs SET agent_name = coalesce((SELECT name FROM agents WHERE agents.id = jobs.agent_id), '')
     WHERE agent_id != 0;",
    // 11: a lab's life (in the directory). Each lab is an incarnation of its name, with an
    // object and files of its own (0: the labs made before, which keep theirs); a deleted
    // lab is kept for a restore until `purge_after`; the calls the directory owes labs'
    // objects (close, reopen, purge) wait in `lab_calls` until each has landed.
    "ALTER TABLE labs ADD COLUMN incarnation INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE deleted_labs (
        name TEXT NOT NULL,
        incarnation INTEGER NOT NULL,
        description TEXT NOT NULL,
        members TEXT NOT NULL,
        created INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        purge_after INTEGER NOT NULL,
        PRIMARY KEY (name, incarnation)
    );
    CREATE TABLE lab_calls (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        incarnation INTEGER NOT NULL,
        call TEXT NOT NULL,
        due INTEGER NOT NULL,
        tries INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX lab_calls_due ON lab_calls(due);",
    // 12: webhooks. A hook, the events that happened while any hook was on (written by
    // triggers, so every path that launches, starts or ends a job or turns a device bad or
    // ready is heard), and the deliveries each event makes, sent from the alarm.
    "CREATE TABLE webhooks (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL,
        base TEXT NOT NULL DEFAULT '',
        events TEXT NOT NULL DEFAULT '[]',
        format TEXT NOT NULL DEFAULT 'json',
        secret TEXT NOT NULL,
        own_jobs INTEGER NOT NULL DEFAULT 0,
        enabled INTEGER NOT NULL DEFAULT 1,
        disabled_reason TEXT NOT NULL DEFAULT '',
        failing_since INTEGER NOT NULL DEFAULT 0,
        dropped INTEGER NOT NULL DEFAULT 0,
        user_id INTEGER NOT NULL,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL
    );
    CREATE TABLE webhook_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        record_id INTEGER NOT NULL,
        at INTEGER NOT NULL
    );
    CREATE TABLE webhook_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        hook_id INTEGER NOT NULL,
        event TEXT NOT NULL,
        body TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        status INTEGER NOT NULL DEFAULT 0,
        ms INTEGER NOT NULL DEFAULT 0,
        response TEXT NOT NULL DEFAULT '',
        error TEXT NOT NULL DEFAULT '',
        created INTEGER NOT NULL,
        delivered INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_at) WHERE state = 'pending';
    CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(hook_id, id);
    CREATE TRIGGER webhook_job_launched AFTER INSERT ON jobs
        WHEN EXISTS (SELECT 1 FROM webhooks WHERE enabled = 1) BEGIN
        INSERT INTO webhook_events (kind, record_id, at) VALUES ('job.launched', NEW.id, NEW.created);
    END;
    CREATE TRIGGER webhook_job_status AFTER UPDATE OF status ON jobs
        WHEN OLD.status != NEW.status AND NEW.status != 'pending'
         AND EXISTS (SELECT 1 FROM webhooks WHERE enabled = 1) BEGIN
        INSERT INTO webhook_events (kind, record_id, at) VALUES (
            CASE WHEN NEW.status = 'running' THEN 'job.started' ELSE 'job.finished' END,
            NEW.id, NEW.updated);
    END;
    CREATE TRIGGER webhook_device_state AFTER UPDATE OF state ON devices
        WHEN OLD.state != NEW.state AND NEW.state IN ('bad', 'ready')
         AND EXISTS (SELECT 1 FROM webhooks WHERE enabled = 1) BEGIN
        INSERT INTO webhook_events (kind, record_id, at)
        VALUES ('device.' || NEW.state, NEW.id, NEW.updated);
    END;",
];

/// Brings the database up to the latest schema version (a purged lab's tombstone stays one:
/// see `closing`).
pub fn migrate(db: &Db) -> Result<(), ApiError> {
    db.exec(
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        vec![],
    )?;
    let current: usize = db
        .first::<MetaRow>(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            vec![],
        )?
        .and_then(|r| r.value.parse().ok())
        .unwrap_or(0);
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        for statement in statements(sql) {
            db.exec(&statement, vec![])?;
        }
        db.exec(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
            vec![(i + 1).to_string().into()],
        )?;
    }
    Ok(())
}

/// The statements of a migration: split at `;`, except inside a trigger's `BEGIN ... END`.
fn statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for piece in sql.split(';') {
        current.push_str(piece);
        let upper = current.to_ascii_uppercase();
        let in_trigger = upper.contains("CREATE TRIGGER") && !upper.trim_end().ends_with("END");
        if in_trigger {
            current.push(';');
            continue;
        }
        let s = current.trim();
        if !s.is_empty() {
            out.push(s.to_string());
        }
        current.clear();
    }
    out
}

#[derive(serde::Deserialize)]
struct MetaRow {
    value: String,
}
