//! The engine against the brief's scenarios, hand-worked DST cases and a brute-force oracle.

mod cost;
mod oracle;
mod scenarios;
