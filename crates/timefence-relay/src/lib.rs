//! # timefence-relay: a seat server for daily time-fenced licenses
//!
//! A customer runs Timefence Relay on their network; the vendor's application asks it for a
//! seat before it runs and renews the seat while it runs. The relay serves the license files
//! in a folder (those that verify against the vendor's keys) and enforces, across every
//! machine at once, what the offline verifier can only enforce per machine: the seat count
//! inside the daily window, and the daily consumption limit.
//!
//! The parts:
//! - [`licenses`]: the folder of license files, verified, reloaded when it changes;
//! - [`logic`]: the lease rules as one pure function, shared by both storage engines;
//! - [`store`]: SQLite (embedded, group commit) and PostgreSQL (shared, row locks);
//! - [`server`]: the HTTP/JSON API, `/healthz`, `/readyz`, `/metrics`;
//! - [`edge`]: what a slow or hostile connection may hold (connections, idle and header
//!   timeouts);
//! - [`clock`]: the system clock, or a file the tests drive.
//!
//! Lease tokens are signed with the relay's own Ed25519 key; the vendor certifies that key for
//! a customer (see `timefence_license::relay`).
#![deny(missing_docs)]

pub mod clock;
pub mod edge;
pub mod licenses;
pub mod logic;
pub mod model;
pub mod report;
pub mod server;
pub mod store;
