//! `timefence usage`: relays' usage reports imported, shown beside what was licensed, and
//! turned into priced right-sizing.

use crate::output::print;
use crate::{Failure, EXIT_OK};
use clap::Subcommand;
use serde_json::json;
use std::path::PathBuf;
use timefence_catalogue::Catalogue;
use timefence_usage::{import, license_use, suggestions, Change, UsageError};

#[derive(Subcommand)]
pub(crate) enum UsageCommand {
    /// Import a usage report a customer's relay wrote (`timefence-relay report`): its chain
    /// must verify against this catalogue's keys, its customer be here, its days new.
    Import {
        /// The report file.
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The reports kept for a customer, with their ids.
    Reports {
        /// The customer's id.
        #[arg(long)]
        customer: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Withdraw an imported report (to the trash): its days count no more, and another report
    /// for them can be imported.
    Withdraw {
        /// The report's id (`usage reports`).
        #[arg(long)]
        report: i64,
    },
    /// Bring a withdrawn report back.
    Restore {
        /// The report's id.
        #[arg(long)]
        report: i64,
    },
    /// Each license's use against what it licenses, over the days imported.
    Show {
        /// The customer's id.
        #[arg(long)]
        customer: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Right-sizing suggestions from the use imported, each with its change in cost.
    Suggest {
        /// The customer's id.
        #[arg(long)]
        customer: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

impl From<UsageError> for Failure {
    fn from(error: UsageError) -> Failure {
        match error {
            UsageError::Catalogue(e) => e.into(),
            other => Failure::from(format!("{} ({})", other, other.kind())),
        }
    }
}

fn money(changes: &[Change]) -> String {
    let parts: Vec<String> = changes.iter().map(Change::text).collect();
    if parts.is_empty() {
        "no price".into()
    } else {
        parts.join(", ")
    }
}

fn percent(basis_points: i64) -> String {
    format!("{}.{:02} %", basis_points / 100, basis_points % 100)
}

pub(crate) fn run_usage(c: &mut Catalogue, command: &UsageCommand) -> Result<u8, Failure> {
    match command {
        UsageCommand::Import { file, json } => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| Failure::from(format!("{}: {e}", file.display())))?;
            let imported = import(c, &text)?;
            print(
                *json,
                serde_json::to_value(&imported).unwrap_or_default(),
                format!(
                    "imported the usage of {} from {} to {} ({})",
                    imported.customer,
                    imported.from,
                    imported.to,
                    match imported.licenses {
                        1 => "1 license".to_string(),
                        n => format!("{n} licenses"),
                    }
                ),
            );
        }
        UsageCommand::Reports { customer, json } => {
            let kept = c.usage_reports(*customer)?;
            let value = json!(kept
                .iter()
                .map(|r| json!({
                    "report_id": r.id, "from": r.report.from, "to": r.report.to,
                    "relay_key": r.report.relay_key, "imported_at": r.imported_at,
                }))
                .collect::<Vec<_>>());
            let lines: Vec<String> = kept
                .iter()
                .map(|r| {
                    format!(
                        "{:>6}  {} to {}  imported {}",
                        r.id, r.report.from, r.report.to, r.imported_at
                    )
                })
                .collect();
            print(
                *json,
                value,
                if lines.is_empty() {
                    "no reports imported for this customer".to_string()
                } else {
                    lines.join("\n")
                },
            );
        }
        UsageCommand::Withdraw { report } => {
            c.withdraw_usage_report(*report)?;
            println!("withdrew usage report {report}: its days count no more (usage restore --report {report} brings it back)");
        }
        UsageCommand::Restore { report } => {
            c.restore_usage_report(*report)?;
            println!("restored usage report {report}");
        }
        UsageCommand::Show { customer, json } => {
            let mut used = license_use(c, *customer)?;
            used.retain(|u| u.reported);
            let lines: Vec<String> = used
                .iter()
                .map(|u| {
                    format!(
                        "{:>6}  {}  peak {} of {}, used {} of the seat-hours licensed over {} days, {} of {} quarter-hours never used, {} holders, {} refusals",
                        u.license_id,
                        u.name,
                        u.peak,
                        timefence_terms::seats_text(u64::from(u.seats)),
                        percent(u.utilisation_basis_points),
                        u.days,
                        u.unused_quarters,
                        u.licensed_quarters,
                        u.distinct_holders,
                        u.refusals.values().sum::<u32>()
                    )
                })
                .collect();
            let value = json!(used
                .iter()
                .map(|u| json!({
                    "license_id": u.license_id, "name": u.name, "uid": u.uid, "seats": u.seats,
                    "days": u.days, "licensed_seat_seconds": u.licensed_seat_seconds,
                    "used_seat_seconds": u.used_seat_seconds,
                    "utilisation_basis_points": u.utilisation_basis_points, "peak": u.peak,
                    "licensed_quarters": u.licensed_quarters, "unused_quarters": u.unused_quarters,
                    "distinct_holders": u.distinct_holders, "refusals": u.refusals,
                }))
                .collect::<Vec<_>>());
            print(*json, value, lines.join("\n"));
        }
        UsageCommand::Suggest { customer, json } => {
            let suggested = suggestions(c, *customer)?;
            let lines: Vec<String> = suggested
                .iter()
                .map(|s| match &s.unpriced {
                    Some(product) => format!(
                        "{}: {} ({}): no price for {product}: set one (timefence products set-price)",
                        s.name, s.text, s.why
                    ),
                    None => format!(
                        "{}: {} ({}): {} a day, {} over the term",
                        s.name,
                        s.text,
                        s.why,
                        money(&s.per_day),
                        money(&s.per_term)
                    ),
                })
                .collect();
            let text = if lines.is_empty() {
                "no suggestions: each license fits its use".to_string()
            } else {
                lines.join("\n")
            };
            print(
                *json,
                serde_json::to_value(&suggested).unwrap_or_default(),
                text,
            );
        }
    }
    Ok(EXIT_OK)
}
