//! Moving a catalogue in (`push`: SQLite to an empty team catalogue) and out (`backup`: a
//! team catalogue to a new SQLite file). Rows are copied one to one, table by table, in one
//! transaction on each side; before committing, every table's rows are read back from the
//! destination and compared with the source by count and checksum.

use crate::{connect, require_team, TeamError, TEAM_VERSION};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use sha2::{Digest, Sha256};
use std::path::Path;
use timefence_catalogue::{Catalogue, FirstRun};

/// The tables copied, parents before the rows that refer to them. The search index and
/// SQLite's own tables are derived and not copied; nor is where a signing key's encrypted
/// private half lies on one machine (`signing_keys.private_file`): the team catalogue keeps
/// public halves only.
const TABLES: &[&str] = &[
    "customers",
    "products",
    "signing_keys",
    "licenses",
    "price_books",
    "audit_log",
    "settings",
    "deleted_customers",
    "deleted_licenses",
    "usage_reports",
    "deleted_usage_reports",
    "files_being_issued",
    "relay_certificates",
];

/// What was copied of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    /// The table.
    pub table: String,
    /// Rows copied (the same on both sides).
    pub rows: u64,
    /// SHA-256 over the rows' values (hex; the same on both sides).
    pub checksum: String,
}

/// One value as both engines hold it.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

/// The kind of a team catalogue's column.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Int,
    Text,
    Blob,
}

impl Kind {
    fn pg_type(self) -> Type {
        match self {
            Kind::Int => Type::INT8,
            Kind::Text => Type::TEXT,
            Kind::Blob => Type::BYTEA,
        }
    }
}

/// A table's copied columns, as the team catalogue has them (in order).
fn columns(
    client: &mut impl postgres::GenericClient,
    table: &str,
) -> Result<Vec<(String, Kind)>, TeamError> {
    let rows = client.query(
        "SELECT column_name, data_type FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
        &[&table],
    )?;
    rows.into_iter()
        .map(|row| {
            let (name, kind): (String, String) = (row.get(0), row.get(1));
            let kind = match kind.as_str() {
                "bigint" => Kind::Int,
                "text" => Kind::Text,
                "bytea" => Kind::Blob,
                other => {
                    return Err(TeamError::Mismatch {
                        table: table.to_string(),
                        detail: format!("column {name} is {other}, which is not copied"),
                    })
                }
            };
            Ok((name, kind))
        })
        .collect()
}

/// Columns the SQLite catalogue has and the team catalogue leaves out on purpose.
const LOCAL_ONLY: &[(&str, &str)] = &[("signing_keys", "private_file")];

/// The same columns on both sides (but [`LOCAL_ONLY`]): a column one side has and the other
/// lacks would be lost without a word.
fn same_columns(
    sqlite: &rusqlite::Connection,
    table: &str,
    columns: &[(String, Kind)],
) -> Result<(), TeamError> {
    let mut statement = sqlite.prepare(&format!("PRAGMA table_info({table})"))?;
    let mut local: Vec<String> = statement
        .query_map([], |row| row.get::<_, String>(1))?
        .collect::<Result<_, _>>()?;
    local.retain(|c| !LOCAL_ONLY.contains(&(table, c.as_str())));
    local.sort();
    let mut team: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
    team.sort();
    if local != team {
        return Err(TeamError::Mismatch {
            table: table.to_string(),
            detail: format!(
                "the SQLite catalogue's columns ({}) are not the team catalogue's ({})",
                local.join(", "),
                team.join(", ")
            ),
        });
    }
    Ok(())
}

/// A table's checksum: each row's values hashed, the row hashes sorted (so neither engine's
/// order or collation matters), hashed together.
fn checksum(rows: &[Vec<Value>]) -> String {
    let mut hashes: Vec<[u8; 32]> = rows
        .iter()
        .map(|row| {
            let mut h = Sha256::new();
            for value in row {
                match value {
                    Value::Null => h.update(b"n"),
                    Value::Int(i) => {
                        h.update(b"i");
                        h.update(i.to_be_bytes());
                    }
                    Value::Text(t) => {
                        h.update(b"t");
                        h.update((t.len() as u64).to_be_bytes());
                        h.update(t.as_bytes());
                    }
                    Value::Blob(b) => {
                        h.update(b"b");
                        h.update((b.len() as u64).to_be_bytes());
                        h.update(b);
                    }
                }
            }
            h.finalize().into()
        })
        .collect();
    hashes.sort_unstable();
    let mut all = Sha256::new();
    for hash in &hashes {
        all.update(hash);
    }
    all.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn sqlite_rows(
    conn: &rusqlite::Connection,
    table: &str,
    columns: &[(String, Kind)],
) -> Result<Vec<Vec<Value>>, TeamError> {
    let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
    let mut statement = conn.prepare(&format!("SELECT {} FROM {table}", names.join(", ")))?;
    let mut rows = statement.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut values = Vec::with_capacity(columns.len());
        for (i, (name, kind)) in columns.iter().enumerate() {
            use rusqlite::types::ValueRef;
            let value = match (row.get_ref(i)?, kind) {
                (ValueRef::Null, _) => Value::Null,
                (ValueRef::Integer(v), Kind::Int) => Value::Int(v),
                (ValueRef::Text(t), Kind::Text) => match std::str::from_utf8(t) {
                    Ok(text) => Value::Text(text.to_string()),
                    Err(_) => {
                        return Err(TeamError::Mismatch {
                            table: table.to_string(),
                            detail: format!("column {name} holds text that is not UTF-8"),
                        })
                    }
                },
                (ValueRef::Blob(b), Kind::Blob) => Value::Blob(b.to_vec()),
                (other, _) => {
                    return Err(TeamError::Mismatch {
                        table: table.to_string(),
                        detail: format!(
                            "column {name} holds {:?}, not {kind:?}",
                            other.data_type()
                        ),
                    })
                }
            };
            values.push(value);
        }
        out.push(values);
    }
    Ok(out)
}

fn pg_rows(
    client: &mut impl postgres::GenericClient,
    table: &str,
    columns: &[(String, Kind)],
) -> Result<Vec<Vec<Value>>, TeamError> {
    let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
    let rows = client.query(&format!("SELECT {} FROM {table}", names.join(", ")), &[])?;
    Ok(rows
        .iter()
        .map(|row| {
            columns
                .iter()
                .enumerate()
                .map(|(i, (_, kind))| match kind {
                    Kind::Int => row.get::<_, Option<i64>>(i).map_or(Value::Null, Value::Int),
                    Kind::Text => row
                        .get::<_, Option<String>>(i)
                        .map_or(Value::Null, Value::Text),
                    Kind::Blob => row
                        .get::<_, Option<Vec<u8>>>(i)
                        .map_or(Value::Null, Value::Blob),
                })
                .collect()
        })
        .collect())
}

fn compare(
    table: &str,
    source: &[Vec<Value>],
    copied: &[Vec<Value>],
) -> Result<TableCopy, TeamError> {
    let (want, got) = (checksum(source), checksum(copied));
    if source.len() != copied.len() || want != got {
        return Err(TeamError::Mismatch {
            table: table.to_string(),
            detail: format!(
                "{} rows read, {} rows written, checksums {} and {}",
                source.len(),
                copied.len(),
                &want[..12],
                &got[..12]
            ),
        });
    }
    Ok(TableCopy {
        table: table.to_string(),
        rows: source.len() as u64,
        checksum: want,
    })
}

/// Opens a SQLite catalogue at the team's version (migrating an older file, as the app does).
fn open_sqlite(path: &Path, first_run: FirstRun) -> Result<rusqlite::Connection, TeamError> {
    Catalogue::open(path, first_run).map_err(|e| TeamError::Sqlite(e.to_string()))?;
    let conn = rusqlite::Connection::open(path)?;
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found != TEAM_VERSION {
        return Err(TeamError::WrongVersion {
            found,
            known: TEAM_VERSION,
        });
    }
    Ok(conn)
}

/// Copies the SQLite catalogue at `from` into the empty team catalogue at `url`, in one
/// transaction: every table's rows, ids kept (and each identity moved past them), the serial
/// sequence moved past every serial issued. Read back and compared before the commit.
pub fn push(from: &Path, url: &str) -> Result<Vec<TableCopy>, TeamError> {
    if !from.exists() {
        return Err(TeamError::Sqlite(format!(
            "{} does not exist",
            from.display()
        )));
    }
    let mut file = open_sqlite(from, FirstRun::Empty)?;
    // One snapshot of the file for every table.
    let sqlite = file.transaction()?;
    let mut client = connect(url)?;
    require_team(&mut client)?;
    let mut tx = client.transaction()?;
    // Nobody else writes while the catalogue moves in.
    tx.batch_execute(&format!(
        "LOCK TABLE {} IN EXCLUSIVE MODE",
        TABLES.join(", ")
    ))?;
    for table in TABLES {
        let rows: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])?
            .get(0);
        if rows > 0 {
            return Err(TeamError::NotEmpty {
                table: table.to_string(),
                rows,
            });
        }
    }
    let mut report = Vec::new();
    for table in TABLES {
        let columns = columns(&mut tx, table)?;
        same_columns(&sqlite, table, &columns)?;
        let source = sqlite_rows(&sqlite, table, &columns)?;
        let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
        let types: Vec<Type> = columns.iter().map(|(_, k)| k.pg_type()).collect();
        let sink = tx.copy_in(&format!(
            "COPY {table} ({}) FROM STDIN (FORMAT binary)",
            names.join(", ")
        ))?;
        let mut writer = BinaryCopyInWriter::new(sink, &types);
        for row in &source {
            let params: Vec<Box<dyn ToSql + Sync>> = row
                .iter()
                .zip(&columns)
                .map(|(value, (_, kind))| -> Box<dyn ToSql + Sync> {
                    match (value, kind) {
                        (Value::Int(i), _) => Box::new(*i),
                        (Value::Text(t), _) => Box::new(t.clone()),
                        (Value::Blob(b), _) => Box::new(b.clone()),
                        (Value::Null, Kind::Int) => Box::new(None::<i64>),
                        (Value::Null, Kind::Text) => Box::new(None::<String>),
                        (Value::Null, Kind::Blob) => Box::new(None::<Vec<u8>>),
                    }
                })
                .collect();
            let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref()).collect();
            writer.write(&refs)?;
        }
        writer.finish()?;
        let copied = pg_rows(&mut tx, table, &columns)?;
        report.push(compare(table, &source, &copied)?);
    }
    // New rows' ids start past every id copied, the trash's too: the SQLite catalogue
    // never gives a trashed row's id to another, so that a restore gets its own back.
    for table in [
        "customers",
        "products",
        "licenses",
        "price_books",
        "audit_log",
        "usage_reports",
        "relay_certificates",
    ] {
        let trash = match table {
            "customers" | "licenses" | "usage_reports" => {
                format!(" UNION ALL SELECT max(id) FROM deleted_{table}")
            }
            _ => String::new(),
        };
        tx.batch_execute(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(m)) \
             FROM (SELECT max(id) AS m FROM {table}{trash}) ids HAVING max(m) IS NOT NULL"
        ))?;
    }
    tx.batch_execute(
        "SELECT setval('license_serials', m) FROM (SELECT max(s) AS m FROM ( \
         SELECT serial AS s FROM licenses UNION ALL SELECT serial FROM audit_log \
         UNION ALL SELECT serial FROM files_being_issued UNION ALL SELECT serial FROM deleted_licenses \
         UNION ALL SELECT CAST(value AS BIGINT) FROM settings WHERE key = 'last_serial') a) b \
         WHERE m IS NOT NULL",
    )?;
    tx.commit()?;
    // Statistics for what was just copied, and the search indexes' pending entries merged, so
    // the first searches use the trigram indexes at full speed rather than wait for
    // autovacuum (a search took 55 ms on 100,000 licenses until then, 2.6 ms after).
    client.batch_execute("VACUUM (ANALYZE)")?;
    Ok(report)
}

/// Writes the team catalogue at `url` to a new SQLite catalogue at `to` (the app opens it as
/// any catalogue), from one consistent snapshot of the server. Read back and compared before
/// the file's transaction commits; a failure leaves no file.
pub fn backup(url: &str, to: &Path) -> Result<Vec<TableCopy>, TeamError> {
    if to.exists() {
        return Err(TeamError::FileExists(to.display().to_string()));
    }
    let mut client = connect(url)?;
    require_team(&mut client)?;
    let written = (|| {
        let mut sqlite = open_sqlite(to, FirstRun::Empty)?;
        let mut snapshot = client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let file = sqlite.transaction()?;
        // A new catalogue may hold rows of its own (settings); the backup's replace them.
        for table in TABLES.iter().rev() {
            file.execute(&format!("DELETE FROM {table}"), [])?;
        }
        let mut report = Vec::new();
        for table in TABLES {
            let columns = columns(&mut snapshot, table)?;
            same_columns(&file, table, &columns)?;
            let source = pg_rows(&mut snapshot, table, &columns)?;
            let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
            let marks: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
            {
                let mut insert = file.prepare(&format!(
                    "INSERT INTO {table} ({}) VALUES ({})",
                    names.join(", "),
                    marks.join(", ")
                ))?;
                for row in &source {
                    let values: Vec<rusqlite::types::Value> = row
                        .iter()
                        .map(|v| match v {
                            Value::Null => rusqlite::types::Value::Null,
                            Value::Int(i) => rusqlite::types::Value::Integer(*i),
                            Value::Text(t) => rusqlite::types::Value::Text(t.clone()),
                            Value::Blob(b) => rusqlite::types::Value::Blob(b.clone()),
                        })
                        .collect();
                    insert.execute(rusqlite::params_from_iter(values))?;
                }
            }
            let copied = sqlite_rows(&file, table, &columns)?;
            report.push(compare(table, &source, &copied)?);
        }
        // Serials the team handed out past the last one recorded (a file begun and never
        // written) are never handed out again by the backup's catalogue.
        let handed: Option<i64> = snapshot
            .query_one(
                "SELECT CASE WHEN is_called THEN last_value END FROM license_serials",
                &[],
            )?
            .get(0);
        if let Some(handed) = handed {
            file.execute(
                "INSERT INTO settings (key, value) VALUES ('last_serial', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value
                 WHERE CAST(settings.value AS INTEGER) < CAST(excluded.value AS INTEGER)",
                [handed.to_string()],
            )?;
        }
        file.commit()?;
        Ok(report)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(to);
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", to.display()));
        }
    }
    written
}
