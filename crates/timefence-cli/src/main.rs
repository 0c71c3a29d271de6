//! `timefence`: the command-line face of the license terms engine.
//!
//! It answers "may this license be used at this instant?" and lists a license's window
//! occurrences, for terms given as flags or in a JSON or TOML file.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use clap::{Args, Parser, Subcommand};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use timefence_terms::{evaluate, format_duration, parse_duration, Decision, Terms, TermsSpec};

/// Exit code: allowed, or the command succeeded.
const EXIT_OK: u8 = 0;
/// Exit code: the license may not be used at that instant.
const EXIT_DENIED: u8 = 1;
/// Exit code: the input was not understood (bad flags, file or terms).
const EXIT_BAD_INPUT: u8 = 2;
/// Exit code: the catalogue refused (not found, in use, a bad import, a storage failure).
const EXIT_CATALOGUE: u8 = 3;

#[derive(Parser)]
#[command(
    name = "timefence",
    version = timefence_terms::version_line(env!("CARGO_PKG_VERSION")),
    about = "Check daily time-fenced licenses: may a license be used at an instant, and when do its windows open?",
    after_help = "Exit codes:\n  0  allowed (evaluate), or success\n  1  denied (evaluate)\n  2  bad input: unknown flags, an unreadable terms file or invalid terms\n  3  the catalogue refused: not found, in use by the app, bad CSV rows, storage failure\n\nThe catalogue is the file (or a team's postgres:// URL) --catalogue names, else\n$TIMEFENCE_CATALOGUE, else the app's own (~/.local/share/app.timefence.desktop/catalogue.sqlite\non Linux)."
)]
struct Cli {
    /// The catalogue: a file, or a team catalogue's postgres:// URL (for customers, licenses,
    /// import, export, backup, restore).
    #[arg(long, global = true, value_name = "FILE|URL")]
    catalogue: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Decide whether a license may be used at an instant.
    Evaluate {
        #[command(flatten)]
        terms: TermsArgs,
        /// The instant, RFC 3339 (2024-05-06T10:00:00Z or 2024-05-06T12:00:00+02:00).
        #[arg(long)]
        at: String,
        /// Time already used in the window occurrence containing the instant (1h30m, 00:45:00).
        #[arg(long, default_value = "0s")]
        consumed: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List the window occurrences that open on local dates FROM to TO (inclusive).
    Occurrences {
        #[command(flatten)]
        terms: TermsArgs,
        /// First local date, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Last local date, YYYY-MM-DD.
        #[arg(long)]
        to: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Customers in the catalogue.
    #[command(subcommand)]
    Customers(catalogue_cmd::CustomersCommand),
    /// Licenses in the catalogue.
    #[command(subcommand)]
    Licenses(catalogue_cmd::LicensesCommand),
    /// Products and their price books.
    #[command(subcommand)]
    Products(products_cmd::ProductsCommand),
    /// Usage reports from customers' relays: import, show, suggest.
    #[command(subcommand)]
    Usage(usage_cmd::UsageCommand),
    /// Fill a new, empty catalogue with the demo: the brief's BPO and one customer per case,
    /// licensed for this year (or --year), and the demo product at $5 per seat per 8 hours.
    Demo {
        /// The year the demo licenses are valid in (default: this year).
        #[arg(long)]
        year: Option<i32>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write every customer and license to two CSV files.
    Export {
        /// Where the customers CSV goes.
        #[arg(long)]
        customers: PathBuf,
        /// Where the licenses CSV goes.
        #[arg(long)]
        licenses: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Add customers and licenses from CSV files: all of them, or none if any row is bad.
    Import {
        /// A customers CSV (name, contact, country, default_zone, notes).
        #[arg(long)]
        customers: Option<PathBuf>,
        /// A licenses CSV (customer, name, product, seats, license_start_date, ...).
        #[arg(long)]
        licenses: Option<PathBuf>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// What a customer's licenses cost, time-fenced against one traditional 24-hour license.
    Cost {
        /// The customer's id.
        #[arg(long)]
        customer: i64,
        /// First display date (default: the licenses' first date).
        #[arg(long)]
        from: Option<String>,
        /// Last display date, inclusive (default: the licenses' last date).
        #[arg(long)]
        to: Option<String>,
        /// Display zone whose days are counted (default: the customer's zone).
        #[arg(long)]
        zone: Option<String>,
        /// Print JSON instead of text.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print CSV instead of text.
        #[arg(long)]
        csv: bool,
    },
    /// The cheapest licenses for a customer's shift roster: the seats the roster needs per
    /// quarter-hour of the customer's zone, and at most N daily windows that cover them, priced
    /// with the product's price book against one 24-hour license.
    Plan {
        /// The customer's id (its zone is the roster's wall clock).
        #[arg(long)]
        customer: i64,
        /// The roster file.
        #[arg(long)]
        roster: PathBuf,
        /// The roster's format: csv (agent, start, end, optional zone and activity), iex (NICE
        /// IEX WFM's Agent Schedule Detail export), genesys (Genesys Cloud WFM's agent
        /// schedules, JSON) or ics (iCalendar, one event per shift, recurring or not).
        /// Default: what the file shows (JSON is genesys, a #fields line iex, BEGIN:VCALENDAR ics).
        #[arg(long)]
        format: Option<String>,
        /// An IEX export's dateFormat (mmddyyyy, the export's default; ddmmyyyy, yyyymmdd, ...).
        #[arg(long)]
        date_format: Option<String>,
        /// The IEX management unit's zone (e.g. America/New_York): its times are read in it,
        /// whatever the TZ field says (needed when TZ is missing or not an IANA name).
        #[arg(long)]
        zone: Option<String>,
        /// The most licenses the plan may have (1 to 20).
        #[arg(long, default_value_t = 3)]
        max_licenses: usize,
        /// The product whose price book prices the plan (default: the catalogue's only one).
        #[arg(long)]
        product: Option<String>,
        /// The date whose price book applies, YYYY-MM-DD (default: today).
        #[arg(long)]
        on: Option<String>,
        /// Add the plan's licenses to the customer as drafts, valid from --from to --to.
        #[arg(long, requires_all = ["from", "to"])]
        apply: bool,
        /// First date of the term the plan is priced over (and its drafts valid from), YYYY-MM-DD.
        #[arg(long, requires = "to")]
        from: Option<String>,
        /// Last date of that term, inclusive, YYYY-MM-DD.
        #[arg(long, requires = "from")]
        to: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Concurrent seats by hour (or 15 minutes) across customers on a date: the vendor's demand.
    Forecast {
        /// The date, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// Display zone (default UTC).
        #[arg(long, default_value = "UTC")]
        zone: String,
        /// Bucket width in minutes (60 or 15, or any divisor of a day).
        #[arg(long, default_value_t = 60)]
        bucket_minutes: u32,
        /// Only these customers (repeat the flag); all when absent.
        #[arg(long = "customer")]
        customers: Vec<i64>,
        /// Print JSON instead of text.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print CSV instead of text.
        #[arg(long)]
        csv: bool,
    },
    /// Eco-design: the daily limit a yearly carbon credit allows (and the credit more hours need).
    Eco {
        /// Emissions of one hour of use, grams CO2e.
        #[arg(long)]
        grams_per_hour: u64,
        /// Carbon credit available per year, kilograms CO2e.
        #[arg(long)]
        credit_kg: u64,
        /// Days of use per year (default: the days the --license opens, else 365).
        #[arg(long)]
        days: Option<u32>,
        /// A license whose days count, and whose limit --apply sets.
        #[arg(long)]
        license: Option<i64>,
        /// Set the license's DailyTimeConsumptionLimit to what the credit allows.
        #[arg(long, requires = "license")]
        apply: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Signing keys: generate, list, export the public half, import.
    #[command(subcommand)]
    Key(keys_cmd::KeyCommand),
    /// A catalogue a team shares on PostgreSQL: set it up, and who may do what.
    #[command(subcommand)]
    Team(team_cmd::TeamCommand),
    /// Move the local catalogue into a team catalogue.
    #[command(subcommand)]
    Catalogue(team_cmd::CatalogueCommand),
    /// Seat servers (Timefence Relay): certify a customer's relay key.
    #[command(subcommand)]
    Relay(keys_cmd::RelayCommand),
    /// Sign a license into a license file: one from the catalogue (marks it issued and logs it
    /// in the audit log), or terms from a JSON/TOML file.
    Sign {
        /// The catalogue license's id.
        #[arg(long, required_unless_present = "terms", conflicts_with = "terms")]
        license: Option<i64>,
        /// A JSON or TOML terms file to sign instead of a catalogue license.
        #[arg(long, value_name = "FILE", requires_all = ["customer", "name"])]
        terms: Option<PathBuf>,
        /// The customer's name (with --terms).
        #[arg(long)]
        customer: Option<String>,
        /// The license's name (with --terms).
        #[arg(long)]
        name: Option<String>,
        /// The key to sign with (default: the active key).
        #[arg(long)]
        key: Option<String>,
        /// Where the .lic file goes.
        #[arg(long)]
        out: PathBuf,
        /// After this instant (RFC 3339) the file itself expires.
        #[arg(long)]
        not_after: Option<String>,
    },
    /// Check a license file's signature against trusted keys (exit 1 when it does not verify).
    Verify {
        /// The .lic file.
        file: PathBuf,
        /// Public keys to trust (PEM files); default: every key in the key folder.
        #[arg(long = "trust")]
        trust: Vec<PathBuf>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Verify a license file, then ask the engine whether it may be used now, with the local
    /// usage ledger (exit 0 allowed, 1 denied or refused).
    Check {
        /// The .lic file.
        file: PathBuf,
        /// Public keys to trust (PEM files); default: every key in the key folder.
        #[arg(long = "trust")]
        trust: Vec<PathBuf>,
        /// The usage ledger (default: usage.ledger beside the catalogue).
        #[arg(long)]
        ledger: Option<PathBuf>,
        /// The ledger's witness, a second place that notices a deleted or replayed ledger
        /// (default: in $XDG_STATE_HOME/timefence, else ~/.local/state/timefence).
        #[arg(long)]
        witness: Option<PathBuf>,
        /// The instant to check, RFC 3339 (default: now).
        #[arg(long)]
        at: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Decode a license file and print it, marking what is signed and what is not.
    Inspect {
        /// The .lic file.
        file: PathBuf,
    },
    /// Add a synthetic catalogue of any size (for demonstrations, benchmarks and scale tests).
    Generate {
        /// How many customers.
        #[arg(long, default_value_t = 10_000)]
        customers: u32,
        /// How many licenses each.
        #[arg(long, default_value_t = 10)]
        licenses_each: u32,
        /// The same seed gives the same catalogue.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Copy the catalogue into a new single-file backup (or, with --from, a team catalogue).
    Backup {
        /// The backup file to create (never overwritten).
        file: PathBuf,
        /// A team catalogue on PostgreSQL to back up instead of the local one
        /// (postgres://user@host/database).
        #[arg(long, value_name = "URL")]
        from: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Replace the catalogue's contents with a backup's.
    Restore {
        /// The backup file.
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Terms from a file, with flags overriding any field of it.
#[derive(Args)]
pub(crate) struct TermsArgs {
    /// A JSON or TOML file with the terms (fields as in the README: license_start_date, ...).
    #[arg(long, value_name = "FILE")]
    terms: Option<PathBuf>,
    /// LicenseStartDate, YYYY-MM-DD.
    #[arg(long)]
    start_date: Option<String>,
    /// LicenseEndDate, YYYY-MM-DD (inclusive).
    #[arg(long)]
    end_date: Option<String>,
    /// DailyStartTime, HH:MM[:SS].
    #[arg(long)]
    daily_start: Option<String>,
    /// DailyEndTime, HH:MM[:SS]; 24:00 for midnight.
    #[arg(long)]
    daily_end: Option<String>,
    /// DailyTimeConsumptionLimit (3h, 1h30m, 03:00:00); "none" for no limit.
    #[arg(long)]
    limit: Option<String>,
    /// IANA time zone (default UTC).
    #[arg(long)]
    zone: Option<String>,
    /// Weekdays the window opens on, comma-separated (Mon,Tue,Wed,Thu,Fri); "all" for every day.
    #[arg(long)]
    weekdays: Option<String>,
    /// Seats.
    #[arg(long)]
    seats: Option<i64>,
    /// The product the license is for (a product of the catalogue; a new name adds one).
    #[arg(long)]
    product: Option<String>,
}

pub(crate) fn read_spec_file(path: &PathBuf) -> Result<TermsSpec, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let is_toml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    if is_toml {
        toml::from_str(&text)
            .map_err(|e| format!("{} is not valid terms TOML: {e}", path.display()))
    } else {
        serde_json::from_str(&text)
            .map_err(|e| format!("{} is not valid terms JSON: {e}", path.display()))
    }
}

impl TermsArgs {
    pub(crate) fn terms(&self) -> Result<Terms, String> {
        self.spec()?.validate().map_err(|invalid| {
            let list: Vec<String> = invalid
                .problems
                .iter()
                .map(|p| format!("  - {p}"))
                .collect();
            format!("the terms are invalid:\n{}", list.join("\n"))
        })
    }

    pub(crate) fn spec(&self) -> Result<TermsSpec, String> {
        self.over(TermsSpec {
            license_start_date: String::new(),
            license_end_date: String::new(),
            daily_start_time: "00:00".into(),
            daily_end_time: "24:00".into(),
            daily_time_consumption_limit: None,
            time_zone: "UTC".into(),
            weekdays: None,
            seats: 1,
            product: String::new(),
            features: Default::default(),
        })
    }

    /// `base` (a license's terms as they are) with the flags given laid over it; `--terms`
    /// FILE replaces the base whole.
    pub(crate) fn over(&self, base: TermsSpec) -> Result<TermsSpec, String> {
        let mut spec = match &self.terms {
            Some(path) => read_spec_file(path)?,
            None => base,
        };
        let set = |field: &mut String, value: &Option<String>| {
            if let Some(v) = value {
                *field = v.clone();
            }
        };
        set(&mut spec.license_start_date, &self.start_date);
        set(&mut spec.license_end_date, &self.end_date);
        set(&mut spec.daily_start_time, &self.daily_start);
        set(&mut spec.daily_end_time, &self.daily_end);
        set(&mut spec.time_zone, &self.zone);
        set(&mut spec.product, &self.product);
        if let Some(limit) = &self.limit {
            spec.daily_time_consumption_limit =
                (!limit.eq_ignore_ascii_case("none")).then(|| limit.clone());
        }
        if let Some(days) = &self.weekdays {
            spec.weekdays = (!days.eq_ignore_ascii_case("all")).then(|| {
                days.split(',')
                    .map(|d| d.trim().to_string())
                    .filter(|d| !d.is_empty())
                    .collect()
            });
        }
        if let Some(seats) = self.seats {
            spec.seats = seats;
        }
        Ok(spec)
    }
}

fn local(terms: &Terms, instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&terms.zone)
        .format("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

fn run_evaluate(terms: &Terms, at: &str, consumed: &str, as_json: bool) -> Result<u8, String> {
    let at: DateTime<Utc> = DateTime::parse_from_rfc3339(at.trim())
        .map_err(|_| {
            format!("--at \"{at}\" is not an RFC 3339 instant (e.g. 2024-05-06T10:00:00Z)")
        })?
        .with_timezone(&Utc);
    let consumed = parse_duration(consumed)
        .ok_or_else(|| format!("--consumed \"{consumed}\" is not a duration (e.g. 1h30m)"))?;
    let decision = evaluate(terms, at, consumed);
    let out = match &decision {
        Decision::Allowed {
            occurrence,
            closes_at,
            remaining,
        } => {
            if as_json {
                json!({
                    "decision": "allowed",
                    "occurrence_date": occurrence.date.to_string(),
                    "opens": occurrence.opens.to_rfc3339(),
                    "closes_at": closes_at.to_rfc3339(),
                    "remaining": remaining.map(format_duration),
                    "remaining_seconds": remaining.map(|r| r.num_seconds()),
                })
                .to_string()
            } else {
                let left = remaining.map_or("no daily limit".to_string(), |r| {
                    format!("{} left today", format_duration(r))
                });
                format!(
                    "allowed: in the window that opened {} ({}); use must stop at {} ({left})",
                    local(terms, occurrence.opens),
                    occurrence.date,
                    local(terms, *closes_at),
                )
            }
        }
        Decision::Denied {
            reason,
            next_opening,
        } => {
            if as_json {
                json!({
                    "decision": "denied",
                    "reason": format!("{reason:?}"),
                    "next_opening": next_opening.map(|t| t.to_rfc3339()),
                })
                .to_string()
            } else {
                let next = next_opening.map_or("no window will open again".to_string(), |t| {
                    format!("next opening {}", local(terms, t))
                });
                format!("denied: {reason:?}; {next}")
            }
        }
    };
    println!("{out}");
    Ok(if decision.is_allowed() {
        EXIT_OK
    } else {
        EXIT_DENIED
    })
}

fn run_occurrences(terms: &Terms, from: &str, to: &str, as_json: bool) -> Result<u8, String> {
    let date = |flag: &str, text: &str| {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map_err(|_| format!("--{flag} \"{text}\" is not a date (YYYY-MM-DD)"))
    };
    let (from, to) = (date("from", from)?, date("to", to)?);
    if to < from {
        return Err(format!("--to {to} is before --from {from}"));
    }
    if (to - from).num_days() > 366 * 20 {
        return Err("the range is longer than 20 years; ask for less".to_string());
    }
    let mut list = Vec::new();
    let mut date = from;
    while date <= to {
        if let Some(o) = terms.occurrence_on(date) {
            list.push(o);
        }
        date += TimeDelta::days(1);
    }
    if as_json {
        let items: Vec<_> = list
            .iter()
            .map(|o| {
                json!({
                    "date": o.date.to_string(),
                    "opens": o.opens.to_rfc3339(),
                    "closes": o.closes.to_rfc3339(),
                    "length_seconds": o.length().num_seconds(),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(items));
    } else {
        for o in &list {
            println!(
                "{}  {} -> {}  ({})",
                o.date,
                local(terms, o.opens),
                local(terms, o.closes),
                format_duration(o.length())
            );
        }
        println!("{} occurrences", list.len());
    }
    Ok(EXIT_OK)
}

/// A command's failure: what to print, and the exit code.
pub(crate) struct Failure {
    code: u8,
    message: String,
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure {
            code: EXIT_BAD_INPUT,
            message,
        }
    }
}

impl From<timefence_catalogue::CatalogueError> for Failure {
    fn from(error: timefence_catalogue::CatalogueError) -> Failure {
        let message = match &error {
            timefence_catalogue::CatalogueError::Import(problems) => {
                let rows: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
                format!("nothing was imported; bad rows:\n{}", rows.join("\n"))
            }
            other => other.to_string(),
        };
        use timefence_catalogue::CatalogueError as E;
        let code = match error {
            E::InvalidTerms(_)
            | E::InvalidPriceBook(_)
            | E::EmptyName
            | E::NameTooLong { .. }
            | E::ControlCharacter { .. }
            | E::UnknownZone(_)
            | E::NothingToRenew(_) => EXIT_BAD_INPUT,
            _ => EXIT_CATALOGUE,
        };
        Failure { code, message }
    }
}

mod catalogue_cmd;
mod input;
mod keys_cmd;
mod output;
mod plan_cmd;
mod products_cmd;
mod team_cmd;
mod usage_cmd;

fn main() -> ExitCode {
    // Output piped into `head` ends quietly when the reader stops, as other tools do, instead
    // of a panic on the broken pipe.
    // SAFETY: restores the default action of one signal before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let result: Result<u8, Failure> = match &cli.command {
        Command::Evaluate {
            terms,
            at,
            consumed,
            json,
        } => terms
            .terms()
            .and_then(|t| run_evaluate(&t, at, consumed, *json))
            .map_err(Failure::from),
        Command::Occurrences {
            terms,
            from,
            to,
            json,
        } => terms
            .terms()
            .and_then(|t| run_occurrences(&t, from, to, *json))
            .map_err(Failure::from),
        Command::Team(_) | Command::Catalogue(_) | Command::Backup { from: Some(_), .. } => {
            team_cmd::run(cli.catalogue.clone(), &cli.command)
        }
        other => catalogue_cmd::run(cli.catalogue.clone(), other),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("timefence: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
