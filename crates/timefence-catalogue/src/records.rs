//! The catalogue's other records: signing keys' public halves, the audit log of issued files,
//! and settings.

use crate::db::{params, OptionalExtension};
use crate::{now_text, Catalogue, CatalogueError, CustomerId, Engine, LicenseId};

/// A signing key's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// Signs new files.
    Active,
    /// Trusted, not signing.
    Standby,
    /// No longer signs; files it signed still verify where it is trusted.
    Retired,
}

/// What the catalogue knows of a signing key: never its private half.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    /// Key id (hex of the first bytes of the public key's SHA-256).
    pub key_id: String,
    /// The Ed25519 public key.
    pub public_key: [u8; 32],
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// Its state.
    pub status: KeyStatus,
    /// Where the encrypted private key file lives.
    pub private_file: Option<String>,
}

/// One issued file, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When it was issued (RFC 3339).
    pub issued_at: String,
    /// The license.
    pub license_id: LicenseId,
    /// The license's revision.
    pub revision: u32,
    /// The key that signed it.
    pub key_id: String,
    /// The file's serial.
    pub serial: i64,
    /// SHA-256 of the file, hex.
    pub file_sha256: String,
}

/// A file being issued: written under `temporary`, to be renamed to `destination` once the
/// catalogue has recorded it (see [`Catalogue::begin_issuing`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileBeingIssued {
    /// The file's serial.
    pub serial: i64,
    /// The license.
    pub license_id: LicenseId,
    /// Where the signed file is written first.
    pub temporary: String,
    /// Where it goes.
    pub destination: String,
    /// SHA-256 of the file, hex.
    pub file_sha256: String,
    /// Whether the issued mark and the audit entry are committed.
    pub recorded: bool,
}

/// A relay certificate this catalogue signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayCertificateRecord {
    /// Its row id.
    pub id: i64,
    /// The customer it is for.
    pub customer_id: CustomerId,
    /// The relay's public key, base64 of its 32 bytes.
    pub relay_key: String,
    /// Its key id, as people read it.
    pub relay_key_id: String,
    /// The license uids it covers; empty for every license of the customer.
    pub licenses: Vec<String>,
    /// The vendor key that signed it.
    pub key_id: String,
    /// When it was signed (RFC 3339), as its payload says.
    pub issued_at: String,
    /// When it ends (RFC 3339), if it does.
    pub not_after: Option<String>,
    /// When it was withdrawn (RFC 3339), if it was.
    pub withdrawn_at: Option<String>,
}

impl RelayCertificateRecord {
    /// What it covers, in words: "every license", "1 license", "3 licenses".
    pub fn scope(&self) -> String {
        match self.licenses.len() {
            0 => "every license".to_string(),
            1 => "1 license".to_string(),
            n => format!("{n} licenses"),
        }
    }
}

/// An audit log entry with the names an administrator reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// What happened: `issued` (a license file), `certified` (a relay certificate signed) or
    /// `withdrawn` (one withdrawn). For the last two, `license` says which relay and what it
    /// covers, and revision, serial and hash are empty (0, 0, "").
    pub event: String,
    /// When it happened (RFC 3339).
    pub issued_at: String,
    /// The customer's id.
    pub customer_id: i64,
    /// The customer's name.
    pub customer: String,
    /// The license's id.
    pub license_id: LicenseId,
    /// The license's name.
    pub license: String,
    /// The license's revision.
    pub revision: u32,
    /// The key that signed it.
    pub key_id: String,
    /// The file's serial.
    pub serial: i64,
    /// SHA-256 of the file, hex.
    pub file_sha256: String,
}

impl KeyStatus {
    /// The status's name as the catalogue stores it (`active`, `standby`, `retired`).
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::Standby => "standby",
            KeyStatus::Retired => "retired",
        }
    }
}

impl Catalogue {
    /// Records a signing key's public half; the first key becomes the active one.
    pub fn add_signing_key(
        &mut self,
        key_id: &str,
        public_key: [u8; 32],
        private_file: Option<&str>,
    ) -> Result<(), CatalogueError> {
        let tx = self.conn.transaction()?;
        let has_active: bool = tx.query_row(
            "SELECT count(*) FROM signing_keys WHERE status = 'active'",
            [],
            |r| r.get::<_, i64>(0),
        )? > 0;
        let status = if has_active {
            KeyStatus::Standby
        } else {
            KeyStatus::Active
        };
        // A team's catalogue keeps no path to the private half: it stays encrypted on the
        // signer's own machine, where the key store finds it by the key's id.
        let public_key = public_key.to_vec();
        match tx.engine() {
            Engine::Sqlite => tx.execute(
                "INSERT INTO signing_keys (key_id, public_key, created_at, status, private_file) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key_id, public_key, now_text(), status.as_str(), private_file],
            )?,
            Engine::Postgres => tx.execute(
                "INSERT INTO signing_keys (key_id, public_key, created_at, status) VALUES (?1, ?2, ?3, ?4)",
                params![key_id, public_key, now_text(), status.as_str()],
            )?,
        };
        tx.commit()?;
        Ok(())
    }

    /// Every signing key, newest first.
    pub fn signing_keys(&self) -> Result<Vec<SigningKeyRecord>, CatalogueError> {
        let private_file = match self.conn.engine() {
            Engine::Sqlite => "private_file",
            Engine::Postgres => "NULL",
        };
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT key_id, public_key, created_at, status, {private_file} FROM signing_keys ORDER BY created_at DESC, key_id",
        ))?;
        let rows = statement.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (key_id, public, created_at, status, private_file) = row?;
            let public_key: [u8; 32] = public.try_into().map_err(|_| {
                CatalogueError::Damaged(format!(
                    "key {key_id} has a public key that is not 32 bytes"
                ))
            })?;
            let status = match status.as_str() {
                "active" => KeyStatus::Active,
                "standby" => KeyStatus::Standby,
                _ => KeyStatus::Retired,
            };
            out.push(SigningKeyRecord {
                key_id,
                public_key,
                created_at,
                status,
                private_file,
            });
        }
        Ok(out)
    }

    /// Makes a key the one that signs; the previously active key goes on standby.
    pub fn set_active_key(&mut self, key_id: &str) -> Result<(), CatalogueError> {
        let tx = self.conn.transaction()?;
        let status: Option<String> = tx
            .query_row(
                "SELECT status FROM signing_keys WHERE key_id = ?1",
                [key_id],
                |r| r.get(0),
            )
            .optional()?;
        match status.as_deref() {
            None => return Err(CatalogueError::KeyNotFound(key_id.to_string())),
            Some("retired") => return Err(CatalogueError::KeyRetired(key_id.to_string())),
            _ => {}
        }
        tx.execute(
            "UPDATE signing_keys SET status = 'standby' WHERE status = 'active'",
            [],
        )?;
        tx.execute(
            "UPDATE signing_keys SET status = 'active' WHERE key_id = ?1",
            [key_id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Retires a key: it signs no more.
    pub fn retire_key(&mut self, key_id: &str) -> Result<(), CatalogueError> {
        let changed = self.conn.execute(
            "UPDATE signing_keys SET status = 'retired' WHERE key_id = ?1",
            [key_id],
        )?;
        if changed == 0 {
            return Err(CatalogueError::KeyNotFound(key_id.to_string()));
        }
        Ok(())
    }

    /// Records an issued file in the audit log.
    pub fn record_issue(&mut self, entry: &AuditEntry) -> Result<(), CatalogueError> {
        self.conn.execute(
            "INSERT INTO audit_log (issued_at, license_id, revision, key_id, serial, file_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![entry.issued_at, entry.license_id, entry.revision, entry.key_id, entry.serial, entry.file_sha256],
        )?;
        Ok(())
    }

    /// The audit log, oldest first, optionally for one license only.
    pub fn audit_log(&self, license: Option<LicenseId>) -> Result<Vec<AuditEntry>, CatalogueError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT issued_at, license_id, revision, key_id, serial, file_sha256 FROM audit_log
             WHERE CAST(?1 AS BIGINT) IS NULL OR license_id = ?1 ORDER BY id",
        )?;
        let rows = statement.query_map([license], |r| {
            Ok(AuditEntry {
                issued_at: r.get(0)?,
                license_id: r.get(1)?,
                revision: r.get(2)?,
                key_id: r.get(3)?,
                serial: r.get(4)?,
                file_sha256: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks a license issued under `entry.serial` (taken with [`Catalogue::take_serial`]) and
    /// records the file in the audit log, both or neither; a file noted with
    /// [`Catalogue::begin_issuing`] is noted as recorded in the same transaction.
    pub fn record_issued(&mut self, entry: &AuditEntry) -> Result<(), CatalogueError> {
        self.record_issued_and(entry, || Ok::<(), CatalogueError>(()))
    }

    /// As [`Catalogue::record_issued`], for a file signed from the license as it was after
    /// `signed_from` saved edits ([`crate::License::edits`]): when someone saved the license
    /// since (another member, on a team catalogue), the file's terms are not the license's,
    /// so nothing is recorded and [`CatalogueError::EditConflict`] says who and when.
    pub fn record_issued_from(
        &mut self,
        entry: &AuditEntry,
        signed_from: u32,
    ) -> Result<(), CatalogueError> {
        self.record_issued_checked(entry, Some(signed_from), || Ok::<(), CatalogueError>(()))
    }

    /// Like [`Catalogue::record_issued`], with `place` (the rename that puts the file under
    /// its name) run inside the transaction: when `place` fails, the license stays as it was
    /// and no audit entry is written, so the catalogue never records a file that does not
    /// exist. When the commit itself fails after `place`, the error says so and the caller
    /// removes the placed file.
    pub fn record_issued_and<E: From<CatalogueError>>(
        &mut self,
        entry: &AuditEntry,
        place: impl FnOnce() -> Result<(), E>,
    ) -> Result<(), E> {
        self.record_issued_checked(entry, None, place)
    }

    fn record_issued_checked<E: From<CatalogueError>>(
        &mut self,
        entry: &AuditEntry,
        signed_from: Option<u32>,
        place: impl FnOnce() -> Result<(), E>,
    ) -> Result<(), E> {
        let tx = self.conn.transaction().map_err(CatalogueError::from)?;
        let state: Option<String> = tx
            .query_row(
                "SELECT state FROM licenses WHERE id = ?1",
                [entry.license_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(CatalogueError::from)?;
        match state.as_deref() {
            None => return Err(CatalogueError::LicenseNotFound(entry.license_id).into()),
            Some("draft") | Some("issued") => {}
            Some(other) => {
                return Err(CatalogueError::NotEditable {
                    license: entry.license_id,
                    state: other.to_string(),
                }
                .into())
            }
        }
        // Marked issued only as it was signed: the same statement checks the edit count, so a
        // member's save between the signing and this is never recorded as issued.
        let marked = tx
            .execute(
                "UPDATE licenses SET state = 'issued', serial = ?2, updated_at = ?3
                 WHERE id = ?1 AND (CAST(?4 AS BIGINT) IS NULL OR edits = ?4)",
                params![entry.license_id, entry.serial, now_text(), signed_from],
            )
            .map_err(CatalogueError::from)?;
        if marked == 0 {
            let now: u32 = tx
                .query_row(
                    "SELECT edits FROM licenses WHERE id = ?1",
                    [entry.license_id],
                    |r| r.get(0),
                )
                .map_err(CatalogueError::from)?;
            let (who, when) = crate::last_change(&tx, "licenses", entry.license_id)?;
            return Err(CatalogueError::EditConflict {
                what: "license",
                id: entry.license_id,
                started_from: signed_from.unwrap_or(now),
                now,
                who,
                when,
            }
            .into());
        }
        tx.execute(
            "INSERT INTO audit_log (issued_at, license_id, revision, key_id, serial, file_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![entry.issued_at, entry.license_id, entry.revision, entry.key_id, entry.serial, entry.file_sha256],
        )
        .map_err(CatalogueError::from)?;
        tx.execute(
            "UPDATE files_being_issued SET recorded = 1 WHERE serial = ?1",
            [entry.serial],
        )
        .map_err(CatalogueError::from)?;
        place()?;
        tx.commit().map_err(CatalogueError::from)?;
        Ok(())
    }

    /// Records a relay certificate just signed; returns its id.
    pub fn record_relay_certificate(
        &mut self,
        certificate: &RelayCertificateRecord,
    ) -> Result<i64, CatalogueError> {
        let licenses = serde_json::to_string(&certificate.licenses)
            .map_err(|e| CatalogueError::Damaged(e.to_string()))?;
        Ok(self.conn.query_row(
            "INSERT INTO relay_certificates (customer_id, relay_key, relay_key_id, licenses, key_id, issued_at, not_after) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
            params![certificate.customer_id, certificate.relay_key, certificate.relay_key_id, licenses, certificate.key_id, certificate.issued_at, certificate.not_after],
            |r| r.get(0),
        )?)
    }

    /// The relay certificates signed, newest first; one customer's when `customer` is given.
    pub fn relay_certificates(
        &self,
        customer: Option<CustomerId>,
    ) -> Result<Vec<RelayCertificateRecord>, CatalogueError> {
        let mut statement = self.conn.prepare(
            "SELECT id, customer_id, relay_key, licenses, key_id, issued_at, not_after, withdrawn_at, relay_key_id
             FROM relay_certificates WHERE CAST(?1 AS BIGINT) IS NULL OR customer_id = ?1 ORDER BY id DESC",
        )?;
        let rows = statement.query_map([customer], |r| {
            let licenses: String = r.get(3)?;
            Ok(RelayCertificateRecord {
                id: r.get(0)?,
                customer_id: r.get(1)?,
                relay_key: r.get(2)?,
                licenses: serde_json::from_str(&licenses).unwrap_or_default(),
                key_id: r.get(4)?,
                issued_at: r.get(5)?,
                not_after: r.get(6)?,
                withdrawn_at: r.get(7)?,
                relay_key_id: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Withdraws certificate `id` (once; a second withdrawal keeps the first time).
    pub fn withdraw_relay_certificate(&mut self, id: i64) -> Result<(), CatalogueError> {
        let changed = self.conn.execute(
            "UPDATE relay_certificates SET withdrawn_at = coalesce(withdrawn_at, ?2) WHERE id = ?1",
            params![id, now_text()],
        )?;
        if changed == 0 {
            return Err(CatalogueError::CertificateNotFound(id));
        }
        Ok(())
    }

    /// When the certificate of `relay_key` signed at `issued_at` was withdrawn, if it was.
    pub fn certificate_withdrawn(
        &self,
        relay_key: &str,
        issued_at: &str,
    ) -> Result<Option<String>, CatalogueError> {
        Ok(self
            .conn
            .query_row(
                "SELECT withdrawn_at FROM relay_certificates WHERE relay_key = ?1 AND issued_at = ?2 AND withdrawn_at IS NOT NULL LIMIT 1",
                params![relay_key, issued_at],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Notes that `file` is about to be written under its temporary name, before anything is
    /// written: a row that outlives the signing tells the next start what to finish or clean.
    pub fn begin_issuing(&mut self, file: &FileBeingIssued) -> Result<(), CatalogueError> {
        self.conn.execute(
            "INSERT INTO files_being_issued (serial, license_id, temporary, destination, file_sha256, recorded, started_at) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)",
            params![file.serial, file.license_id, file.temporary, file.destination, file.file_sha256, now_text()],
        )?;
        Ok(())
    }

    /// The file of `serial` is in place (or was given up): its row goes.
    pub fn end_issuing(&mut self, serial: i64) -> Result<(), CatalogueError> {
        self.conn
            .execute("DELETE FROM files_being_issued WHERE serial = ?1", [serial])?;
        Ok(())
    }

    /// Files whose signing stopped before they were in place, oldest first.
    pub fn files_being_issued(&self) -> Result<Vec<FileBeingIssued>, CatalogueError> {
        let mut statement = self.conn.prepare(
            "SELECT serial, license_id, temporary, destination, file_sha256, recorded FROM files_being_issued ORDER BY serial",
        )?;
        let rows = statement.query_map([], |r| {
            Ok(FileBeingIssued {
                serial: r.get(0)?,
                license_id: r.get(1)?,
                temporary: r.get(2)?,
                destination: r.get(3)?,
                file_sha256: r.get(4)?,
                recorded: r.get::<_, i64>(5)? != 0,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The audit log with each file's customer and license names, newest first, narrowed to
    /// one customer and to issue dates from `from` to `to` (YYYY-MM-DD, both included).
    pub fn audit_rows(
        &self,
        customer: Option<i64>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<AuditRow>, CatalogueError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT a.issued_at, c.id, c.name, l.id, l.name, a.revision, a.key_id, a.serial, a.file_sha256
             FROM audit_log a JOIN licenses l ON l.id = a.license_id JOIN customers c ON c.id = l.customer_id
             WHERE (CAST(?1 AS BIGINT) IS NULL OR c.id = ?1)
               AND (CAST(?2 AS TEXT) IS NULL OR substr(a.issued_at, 1, 10) >= ?2)
               AND (CAST(?3 AS TEXT) IS NULL OR substr(a.issued_at, 1, 10) <= ?3)
             ORDER BY a.id DESC",
        )?;
        let rows = statement.query_map(params![customer, from, to], |r| {
            Ok(AuditRow {
                event: "issued".into(),
                issued_at: r.get(0)?,
                customer_id: r.get(1)?,
                customer: r.get(2)?,
                license_id: r.get(3)?,
                license: r.get(4)?,
                revision: r.get(5)?,
                key_id: r.get(6)?,
                serial: r.get(7)?,
                file_sha256: r.get(8)?,
            })
        })?;
        let mut all: Vec<AuditRow> = rows.collect::<Result<_, _>>()?;
        // Relay certificates signed and withdrawn are in the log too, by when they happened.
        let names: std::collections::HashMap<i64, String> = self
            .list_customers()?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
        let day_in = |at: &str| {
            let day = at.get(..10).unwrap_or(at);
            from.is_none_or(|f| day >= f) && to.is_none_or(|t| day <= t)
        };
        for certificate in self.relay_certificates(customer)? {
            let scope = certificate.scope();
            let mut event = |event: &str, at: &str, what: String| {
                if day_in(at) {
                    all.push(AuditRow {
                        event: event.into(),
                        issued_at: at.to_string(),
                        customer_id: certificate.customer_id,
                        customer: names
                            .get(&certificate.customer_id)
                            .cloned()
                            .unwrap_or_default(),
                        license_id: 0,
                        license: what,
                        revision: 0,
                        key_id: certificate.key_id.clone(),
                        serial: 0,
                        file_sha256: String::new(),
                    });
                }
            };
            event(
                "certified",
                &certificate.issued_at,
                format!(
                    "Relay certificate: relay {}, {scope}, until {}",
                    certificate.relay_key_id,
                    certificate
                        .not_after
                        .as_deref()
                        .map_or("no end", |t| t.get(..10).unwrap_or(t))
                ),
            );
            if let Some(withdrawn) = &certificate.withdrawn_at {
                event(
                    "withdrawn",
                    withdrawn,
                    format!(
                        "Relay certificate withdrawn: relay {}",
                        certificate.relay_key_id
                    ),
                );
            }
        }
        // Newest first; files of one instant keep their order (the sort is stable).
        all.sort_by(|a, b| b.issued_at.cmp(&a.issued_at));
        Ok(all)
    }

    /// Sets a setting.
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<(), CatalogueError> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
            params![key, value],
        )?;
        Ok(())
    }

    /// A setting's value, if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, CatalogueError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }
}
