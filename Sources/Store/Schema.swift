import GRDB

/// The database schema, built by named migrations from an empty file.
///
/// Conventions: instants are UTC unix milliseconds (`*_at`, INTEGER); money is INTEGER micro-yuan
/// (`*_micro_yuan`); energy is INTEGER hundredths of a kWh (`*_hundredths`); meter addresses are
/// their 12-digit text. Nothing is ever stored as a floating-point number.
package enum Schema {
    package static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: station") { db in
            try db.execute(sql: """
                CREATE TABLE terminal (
                    id TEXT PRIMARY KEY NOT NULL,
                    host TEXT NOT NULL,
                    port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
                    updated_at INTEGER NOT NULL
                );
                CREATE TABLE account (
                    id TEXT PRIMARY KEY NOT NULL,
                    meter_address TEXT NOT NULL UNIQUE,
                    terminal_id TEXT NOT NULL REFERENCES terminal(id),
                    tariff TEXT NOT NULL,
                    region TEXT NOT NULL,
                    alarm_micro_yuan INTEGER,              -- NULL: the station default
                    trip_micro_yuan INTEGER,
                    is_protected INTEGER NOT NULL DEFAULT 0,
                    balance_micro_yuan INTEGER NOT NULL DEFAULT 0,   -- cache of the ledger replay
                    tier_year_start_at INTEGER,
                    tier_year_used_hundredths INTEGER NOT NULL DEFAULT 0,
                    last_reading_id INTEGER,
                    last_reading_at INTEGER,
                    relay TEXT NOT NULL DEFAULT 'closed' CHECK (relay IN ('closed', 'open', 'armed')),
                    alarm INTEGER NOT NULL DEFAULT 0,
                    keep_power INTEGER NOT NULL DEFAULT 0,
                    state TEXT NOT NULL DEFAULT 'normal',
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE INDEX account_terminal ON account(terminal_id);
                CREATE INDEX account_region ON account(region);

                CREATE TABLE reading (
                    id INTEGER PRIMARY KEY,
                    account_id TEXT NOT NULL REFERENCES account(id),
                    collected_at INTEGER NOT NULL,
                    meter_time_at INTEGER,
                    total_hundredths INTEGER NOT NULL,
                    sharp_hundredths INTEGER NOT NULL,
                    peak_hundredths INTEGER NOT NULL,
                    flat_hundredths INTEGER NOT NULL,
                    valley_hundredths INTEGER NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('accepted', 'abnormal')),
                    abnormal_reasons TEXT
                );
                CREATE INDEX reading_account_time ON reading(account_id, collected_at);

                CREATE TABLE ledger (
                    id INTEGER PRIMARY KEY,
                    account_id TEXT NOT NULL REFERENCES account(id),
                    kind TEXT NOT NULL CHECK (kind IN ('opening', 'payment', 'adjustment', 'charge')),
                    amount_micro_yuan INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    reference TEXT NOT NULL DEFAULT '',
                    reading_id INTEGER REFERENCES reading(id),
                    energy_hundredths INTEGER
                );
                CREATE INDEX ledger_account ON ledger(account_id, id);

                CREATE TABLE payment (
                    order_no TEXT PRIMARY KEY NOT NULL,
                    account_id TEXT NOT NULL REFERENCES account(id),
                    amount_micro_yuan INTEGER NOT NULL CHECK (amount_micro_yuan > 0),
                    channel TEXT NOT NULL,
                    paid_at INTEGER NOT NULL,
                    received_at INTEGER NOT NULL,
                    ledger_id INTEGER NOT NULL REFERENCES ledger(id),
                    balance_after_micro_yuan INTEGER NOT NULL
                );

                CREATE TABLE command (
                    id INTEGER PRIMARY KEY,
                    account_id TEXT NOT NULL REFERENCES account(id),
                    meter_address TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    balance_micro_yuan INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    not_before INTEGER NOT NULL,
                    deadline_at INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'acknowledged', 'superseded', 'cancelled', 'review')),
                    last_error TEXT,
                    acknowledged_at INTEGER,
                    updated_at INTEGER NOT NULL
                );
                CREATE INDEX command_due ON command(state, next_attempt_at);
                CREATE INDEX command_account ON command(account_id, id);

                CREATE TABLE review_item (
                    id INTEGER PRIMARY KEY,
                    kind TEXT NOT NULL CHECK (kind IN ('command', 'reading')),
                    account_id TEXT NOT NULL,
                    meter_address TEXT NOT NULL,
                    command_id INTEGER REFERENCES command(id),
                    reading_id INTEGER REFERENCES reading(id),
                    reason TEXT NOT NULL,
                    opened_at INTEGER NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('open', 'retried', 'resolved', 'cancelled')),
                    closed_at INTEGER,
                    operator_note TEXT
                );
                CREATE INDEX review_open ON review_item(state, id);

                -- Append-only: each row carries the hash of the one before it.
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY,
                    at INTEGER NOT NULL,
                    event TEXT NOT NULL,
                    account_id TEXT,
                    meter_address TEXT,
                    command_id INTEGER,
                    balance_micro_yuan INTEGER,
                    detail TEXT NOT NULL,
                    prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                );
                CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
                CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;

                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY,
                    event_key TEXT NOT NULL UNIQUE,      -- one notification per event, however often it is raised
                    event TEXT NOT NULL,
                    account_id TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER NOT NULL,
                    delivered_at INTEGER,
                    last_error TEXT
                );
                CREATE INDEX outbox_due ON outbox(delivered_at, next_attempt_at);
                """)
        }
        migrator.registerMigration("v2: customer class") { db in
            // The class picks the account's collection strategy and default thresholds
            // ([collection.classes.NAME], [control.classes.NAME]); NULL means the station defaults.
            try db.execute(sql: "ALTER TABLE account ADD COLUMN customer_class TEXT")
        }
        migrator.registerMigration("v3: meter state instant, command lookups") { db in
            // When the stored relay/alarm state was seen (a status word read or a command
            // acknowledged): a reading whose status word is older does not overwrite it.
            try db.execute(sql: "ALTER TABLE account ADD COLUMN meter_state_at INTEGER")
            // Queueing a decision looks up the meter's live commands: without this, a scan of
            // every command ever queued.
            try db.execute(sql: "CREATE INDEX command_meter ON command(meter_address, state)")
        }
        migrator.registerMigration("v4: no reading index by account") { db in
            // No query reads readings by account (a reading is found by its id: the account's
            // baseline, a charge's or a review item's reading), and this index cost every reading
            // a write at a random place in a tree as large as the table, a third of the pages a
            // reading dirties (issue 7, p2 profile). An account's billed readings are reached
            // through its ledger (ledger_account, then reading_id).
            try db.execute(sql: "DROP INDEX reading_account_time")
        }
        migrator.registerMigration("v5: dispatch order index") { db in
            // The dispatcher's walk over due commands in sending order (reconnections first, then
            // by due instant and id), pending ones only (`dispatchableCommands`).
            try db.execute(sql: """
                CREATE INDEX command_dispatch_order
                ON command(CASE WHEN kind IN ('allow_close', 'direct_close') THEN 0 ELSE 1 END, next_attempt_at, id)
                WHERE state = 'pending'
                """)
        }
        migrator.registerMigration("v6: balance bounds") { db in
            // The last line behind the Swift checks (AmountBounds, issue 17): SQLite turns an
            // integer sum that overflows into a REAL, and a REAL balance is a row no read can
            // decode. A write that would store one, or a balance past ±1,000,000,000.00 yuan
            // (AmountBounds.balance; a test holds the two equal), is refused instead.
            try db.execute(sql: """
                CREATE TRIGGER account_balance_bounds_insert BEFORE INSERT ON account
                WHEN typeof(NEW.balance_micro_yuan) != 'integer'
                    OR NEW.balance_micro_yuan NOT BETWEEN -1000000000000000 AND 1000000000000000
                BEGIN SELECT RAISE(ABORT, 'account balance out of bounds'); END;
                CREATE TRIGGER account_balance_bounds_update BEFORE UPDATE OF balance_micro_yuan ON account
                WHEN typeof(NEW.balance_micro_yuan) != 'integer'
                    OR NEW.balance_micro_yuan NOT BETWEEN -1000000000000000 AND 1000000000000000
                BEGIN SELECT RAISE(ABORT, 'account balance out of bounds'); END;
                """)
        }
        migrator.registerMigration("v7: adjustments") { db in
            // An operator's correction, idempotent by its number like a payment by its order.
            try db.execute(sql: """
                CREATE TABLE adjustment (
                    adjustment_no TEXT PRIMARY KEY NOT NULL,
                    account_id TEXT NOT NULL REFERENCES account(id),
                    amount_micro_yuan INTEGER NOT NULL CHECK (amount_micro_yuan != 0),
                    reason TEXT NOT NULL,
                    received_at INTEGER NOT NULL,
                    ledger_id INTEGER NOT NULL REFERENCES ledger(id),
                    balance_after_micro_yuan INTEGER NOT NULL
                )
                """)
        }
        migrator.registerMigration("v8: parameter writes, fee control, price pushes") { db in
            // A `write` command's identifier (8 hex digits) and value as the meter shows it.
            try db.execute(sql: "ALTER TABLE command ADD COLUMN identifier TEXT")
            try db.execute(sql: "ALTER TABLE command ADD COLUMN value TEXT")
            // The campaign a command belongs to (a price push), for its progress.
            try db.execute(sql: "ALTER TABLE command ADD COLUMN batch TEXT")
            try db.execute(sql: "CREATE INDEX command_batch ON command(batch, account_id) WHERE batch IS NOT NULL")
            // Price versions whose prices went to the meters' second price set.
            try db.execute(sql: """
                CREATE TABLE price_push (
                    batch TEXT PRIMARY KEY NOT NULL,
                    tariff TEXT NOT NULL,
                    effective_at INTEGER NOT NULL,
                    switch_time TEXT NOT NULL,
                    queued_at INTEGER NOT NULL,
                    accounts INTEGER NOT NULL
                )
                """)
            // Fee control (INTERFACES.md "Meter management"): v1 accounts are active.
            try db.execute(sql: """
                ALTER TABLE account ADD COLUMN fee_control TEXT NOT NULL DEFAULT 'active'
                    CHECK (fee_control IN ('pending', 'active', 'released'))
                """)
        }
        migrator.registerMigration("v9: reading resolution") { db in
            // An open abnormal-reading item holds its account (no alarm, no trip, no charge:
            // AbnormalDataHold), so an evaluation looks for one by account: a partial index,
            // empty while no meter's data is in doubt. The operator's resolution (accept,
            // meter_replaced) is kept with the item.
            try db.execute(sql: """
                ALTER TABLE review_item ADD COLUMN resolution TEXT CHECK (resolution IN ('accept', 'meter_replaced'));
                CREATE INDEX review_open_reading ON review_item(account_id) WHERE state = 'open' AND kind = 'reading';
                """)
            // Readings look for the item only on accounts in state `abnormal` (the policy's
            // state while one is open). Before this version a later good reading took the
            // account out of it with its item still open: put those accounts back on hold.
            try db.execute(sql: """
                UPDATE account SET state = 'abnormal'
                WHERE id IN (SELECT account_id FROM review_item WHERE state = 'open' AND kind = 'reading')
                """)
        }
        migrator.registerMigration("v10: audit actor") { db in
            // The operator (API token name) an audit row speaks for; NULL for the station's own
            // rows and every row written before v10. It joins the row's hash only when set
            // (AuditTrail.digest), so the chain written before still verifies.
            try db.execute(sql: "ALTER TABLE audit ADD COLUMN actor TEXT")
        }
        migrator.registerMigration("v11: second alarm level") { db in
            // When the balance fell to alarm limit 2 (the meter's 04001002): a decision of its own.
            try db.execute(sql: "ALTER TABLE account ADD COLUMN alarm2_at INTEGER")
        }
        migrator.registerMigration("v12: list pages") { db in
            // Keyset pages of accounts by region and state (`accountPage`): each filter walks an
            // index in id order from the cursor instead of sorting a whole region; (region, id)
            // serves everything (region) did. Every reading's account UPDATE sets `state`, so an
            // index over all states would be rewritten by every reading (the pages a reading
            // dirties are what p2 measures, v4): the state indexes leave out `normal` accounts
            // (most of them, and their pages are then found in id order) and fee control the
            // active ones. The audit trail of one account (`auditPage`) newest first, without
            // walking every account's rows.
            try db.execute(sql: """
                DROP INDEX account_region;
                CREATE INDEX account_region ON account(region, id);
                CREATE INDEX account_state ON account(state, id) WHERE state != 'normal';
                CREATE INDEX account_region_state ON account(region, state, id) WHERE state != 'normal';
                CREATE INDEX account_fee_control ON account(fee_control, id) WHERE fee_control != 'active';
                CREATE INDEX audit_account ON audit(account_id, id) WHERE account_id IS NOT NULL;
                """)
        }
        migrator.registerMigration("v13: review work orders") { db in
            // Job review as work orders (issue 14): a due time fixed when the item opens, an
            // assignee, and when the item was first seen overdue (EVENT=review_overdue is raised
            // once: a restart must not raise it again). Items opened before v13 are due 24 h
            // after they opened, the default.
            try db.execute(sql: """
                ALTER TABLE review_item ADD COLUMN due_at INTEGER;
                ALTER TABLE review_item ADD COLUMN assignee TEXT;
                ALTER TABLE review_item ADD COLUMN overdue_at INTEGER;
                UPDATE review_item SET due_at = opened_at + 86400000;
                CREATE INDEX review_due_open ON review_item(due_at) WHERE state = 'open' AND overdue_at IS NULL;
                CREATE INDEX review_closed ON review_item(closed_at) WHERE closed_at IS NOT NULL;
                -- The due time per kind ([review] due), written by the daemon at start and on
                -- reload, so every writer of review items uses the same one.
                CREATE TABLE review_due (kind TEXT PRIMARY KEY, seconds INTEGER NOT NULL CHECK (seconds > 0));
                """)
        }
        migrator.registerMigration("v14: retention lookups") { db in
            // Retention deletes old readings (Retention): each delete checks the tables whose
            // rows name a reading (foreign keys), and clears the ledger's link first. Without these
            // both would scan the ledger and the review items once per reading deleted. Partial:
            // only rows that name a reading; ids grow, so a charge's entry lands at the end.
            try db.execute(sql: """
                CREATE INDEX IF NOT EXISTS ledger_reading ON ledger(reading_id) WHERE reading_id IS NOT NULL;
                CREATE INDEX IF NOT EXISTS review_reading ON review_item(reading_id) WHERE reading_id IS NOT NULL;
                """)
        }
        migrator.registerMigration("v15: account book") { db in
            // Account state lives in memory (AccountBook) and a reading no longer updates its
            // account row: the row is written behind. So that a restart can rebuild what the row
            // lacks, an accepted reading carries what it did: its charge (as the ledger's amount;
            // NULL when it billed nothing), energy, the balance after it and the tier-year
            // position after it. `account.charged_through`: the newest reading folded into the
            // row; `account_book.folded_through`: every reading up to it is folded into its row
            // (where a restart's replay starts). Existing rows are up to date: all folded.
            // The reading row is the ledger of its charge (no ledger entry is written for it):
            // `reading_account_billed` finds an account's charges (statements, its ledger, the
            // days-left spend); `payment.readings_through`, the newest reading when the payment
            // was booked, tells the charges booked after a payment from those before it.
            // `account.billed_hundredths`: the energy billed to the account in all (written behind
            // like the balance), so that totals per region need no pass over the ledger.
            // `account.baseline_*`: a copy of the baseline reading's registers, so that start-up
            // loads every account in one pass over its table (joining each one's reading was
            // most of a 1,000,000-account start).
            try db.execute(sql: """
                ALTER TABLE reading ADD COLUMN charge_micro_yuan INTEGER;
                ALTER TABLE reading ADD COLUMN energy_hundredths INTEGER;
                ALTER TABLE reading ADD COLUMN balance_after_micro_yuan INTEGER;
                ALTER TABLE reading ADD COLUMN tier_year_start_at INTEGER;
                ALTER TABLE reading ADD COLUMN tier_year_used_hundredths INTEGER;
                ALTER TABLE account ADD COLUMN charged_through INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE account_book (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    folded_through INTEGER NOT NULL
                );
                INSERT INTO account_book (id, folded_through) VALUES (1, COALESCE((SELECT MAX(id) FROM reading), 0));
                UPDATE account SET charged_through = COALESCE((SELECT MAX(id) FROM reading), 0);
                CREATE INDEX reading_account_billed ON reading(account_id, id) WHERE balance_after_micro_yuan IS NOT NULL;
                ALTER TABLE payment ADD COLUMN readings_through INTEGER;
                ALTER TABLE account ADD COLUMN billed_hundredths INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE account ADD COLUMN baseline_collected_at INTEGER;
                ALTER TABLE account ADD COLUMN baseline_meter_time_at INTEGER;
                ALTER TABLE account ADD COLUMN baseline_total_hundredths INTEGER;
                ALTER TABLE account ADD COLUMN baseline_sharp_hundredths INTEGER;
                ALTER TABLE account ADD COLUMN baseline_peak_hundredths INTEGER;
                ALTER TABLE account ADD COLUMN baseline_flat_hundredths INTEGER;
                ALTER TABLE account ADD COLUMN baseline_valley_hundredths INTEGER;
                UPDATE account SET baseline_collected_at = r.collected_at, baseline_meter_time_at = r.meter_time_at,
                    baseline_total_hundredths = r.total_hundredths, baseline_sharp_hundredths = r.sharp_hundredths,
                    baseline_peak_hundredths = r.peak_hundredths, baseline_flat_hundredths = r.flat_hundredths,
                    baseline_valley_hundredths = r.valley_hundredths
                FROM reading AS r WHERE r.id = account.last_reading_id;
                UPDATE account SET billed_hundredths = (SELECT COALESCE(SUM(energy_hundredths), 0) FROM ledger
                                                        WHERE ledger.account_id = account.id AND ledger.kind = 'charge');
                """)
        }
        migrator.registerMigration("v16: account book snapshot") { db in
            // A graceful stop writes the account book to a file beside the database and names it
            // here (AccountBookSnapshot); the next start reads it instead of every account row.
            // It is a copy of the rows, so any change to a row, by whatever writes the file,
            // clears the name: the start then reads the rows. (The daemon clears it at start.)
            try db.execute(sql: """
                ALTER TABLE account_book ADD COLUMN snapshot_token TEXT;
                CREATE TRIGGER account_snapshot_stale_insert AFTER INSERT ON account
                    WHEN (SELECT snapshot_token FROM account_book WHERE id = 1) IS NOT NULL
                    BEGIN UPDATE account_book SET snapshot_token = NULL WHERE id = 1; END;
                CREATE TRIGGER account_snapshot_stale_update AFTER UPDATE ON account
                    WHEN (SELECT snapshot_token FROM account_book WHERE id = 1) IS NOT NULL
                    BEGIN UPDATE account_book SET snapshot_token = NULL WHERE id = 1; END;
                CREATE TRIGGER account_snapshot_stale_delete AFTER DELETE ON account
                    WHEN (SELECT snapshot_token FROM account_book WHERE id = 1) IS NOT NULL
                    BEGIN UPDATE account_book SET snapshot_token = NULL WHERE id = 1; END;
                """)
        }
        migrator.registerMigration("v17: terminal leases") { db in
            // Several daemons on one PostgreSQL station (issue 16): the nodes seen, each
            // terminal's lease (its holder, until when, and a generation that grows at every
            // change of holder), and on each command the node and lease generation of its last
            // claim (the fence: a node that lost a terminal cannot settle or send its commands);
            // each audit row's node, each node keeping a hash chain of its own. A SQLite station
            // has one daemon and leaves them empty.
            try db.execute(sql: """
                CREATE TABLE cluster_node (
                    node TEXT PRIMARY KEY NOT NULL,
                    started_at INTEGER NOT NULL,
                    last_seen INTEGER NOT NULL,
                    stopped_at INTEGER
                );
                CREATE TABLE terminal_lease (
                    terminal_id TEXT PRIMARY KEY NOT NULL,
                    node TEXT NOT NULL,
                    generation INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL
                );
                CREATE INDEX terminal_lease_node ON terminal_lease(node);
                ALTER TABLE command ADD COLUMN claimed_by TEXT;
                ALTER TABLE command ADD COLUMN claim_generation INTEGER;
                ALTER TABLE audit ADD COLUMN node TEXT;
                CREATE INDEX audit_node ON audit(node, id);
                """)
        }
        return migrator
    }
}

extension Schema {
    /// The migrations applied to the database, in the order this binary knows them (both engines
    /// record SQLite's names: GRDB in `grdb_migrations`, `PostgresMigrator` in `schema_migrations`).
    package static func appliedMigrations(_ db: SQLSession) throws -> [String] {
        let sql = db.engine == .postgres ? "SELECT identifier FROM schema_migrations" : "SELECT identifier FROM grdb_migrations"
        let applied = Set(try String.fetchAll(db, sql: sql))
        return migrator.migrations.filter(applied.contains)
    }
}
