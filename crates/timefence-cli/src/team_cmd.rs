//! `timefence team …`, `timefence catalogue push` and `timefence backup --from`: a catalogue a
//! team shares on PostgreSQL (timefence-team).

use crate::input::catalogue_path;
use crate::output::{plural, print};
use crate::{Command, Failure, EXIT_BAD_INPUT, EXIT_CATALOGUE, EXIT_OK};
use clap::{Args, Subcommand};
use serde_json::json;
use std::path::PathBuf;
use timefence_team::{Role, TableCopy, TeamError};

/// Where the team catalogue is.
#[derive(Args)]
pub(crate) struct Server {
    /// The team catalogue: postgres://user@host:port/database (else $TIMEFENCE_TEAM).
    #[arg(long, value_name = "URL", env = "TIMEFENCE_TEAM")]
    server: String,
}

#[derive(Subcommand)]
pub(crate) enum TeamCommand {
    /// Create the team catalogue in an empty database: tables, roles, the audit trigger.
    /// Run it as a PostgreSQL superuser.
    Init {
        #[command(flatten)]
        server: Server,
    },
    /// Add a member: a PostgreSQL login in one role. The password comes from
    /// $TIMEFENCE_MEMBER_PASSWORD or a prompt that does not echo.
    Add {
        /// Their login (lower-case letters, digits, underscores).
        name: String,
        /// viewer, editor, signer or owner.
        #[arg(long)]
        role: String,
        #[command(flatten)]
        server: Server,
    },
    /// Give a member another role.
    Role {
        /// Their login.
        name: String,
        /// viewer, editor, signer or owner.
        role: String,
        #[command(flatten)]
        server: Server,
    },
    /// The members and their roles.
    List {
        #[command(flatten)]
        server: Server,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum CatalogueCommand {
    /// Copy the local catalogue (--catalogue) into an empty team catalogue.
    Push {
        /// The team catalogue: postgres://user@host:port/database.
        #[arg(long, value_name = "URL")]
        to: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

impl From<TeamError> for Failure {
    fn from(error: TeamError) -> Failure {
        let code = match error {
            TeamError::BadMemberName(_)
            | TeamError::ShortPassword
            | TeamError::BadRole(_)
            | TeamError::FileExists(_)
            | TeamError::Tls(_) => EXIT_BAD_INPUT,
            _ => EXIT_CATALOGUE,
        };
        Failure {
            code,
            message: error.to_string(),
        }
    }
}

fn role(text: &str) -> Result<Role, Failure> {
    Ok(text.parse::<Role>()?)
}

/// The copied tables, as JSON and as lines.
fn report(verb: &str, tables: &[TableCopy], json_out: bool, target: String) {
    let rows: u64 = tables.iter().map(|t| t.rows).sum();
    let lines: Vec<String> = tables
        .iter()
        .map(|t| format!("  {:<22} {:>8}  {}", t.table, t.rows, &t.checksum[..16]))
        .collect();
    print(
        json_out,
        json!({
            verb: target,
            "rows": rows,
            "tables": tables.iter().map(|t| json!({"table": t.table, "rows": t.rows, "sha256": t.checksum})).collect::<Vec<_>>(),
        }),
        format!(
            "{verb} {rows} row{} to {target}; every table's count and checksum compared:\n{}",
            plural(rows as usize),
            lines.join("\n")
        ),
    );
}

/// A URL as it may be printed: a password in it replaced by `***`.
fn shown(url: &str) -> String {
    timefence_catalogue::redacted(url)
}

pub(crate) fn run(catalogue: Option<PathBuf>, command: &Command) -> Result<u8, Failure> {
    match command {
        Command::Team(TeamCommand::Init { server }) => {
            timefence_team::init(&server.server)?;
            println!(
                "team catalogue created (version {}); add members with `timefence team add NAME --role viewer|editor|signer|owner`",
                timefence_team::TEAM_VERSION
            );
        }
        Command::Team(TeamCommand::Add {
            name,
            role: text,
            server,
        }) => {
            let role = role(text)?;
            // A bad name is said before the password is asked for.
            timefence_team::check_member_name(name)?;
            let password =
                crate::keys_cmd::secret("TIMEFENCE_MEMBER_PASSWORD", "Password", "password")?;
            timefence_team::add_member(&server.server, name, role, &password)?;
            println!("added {name} as {}", role.name());
        }
        Command::Team(TeamCommand::Role {
            name,
            role: text,
            server,
        }) => {
            let role = role(text)?;
            timefence_team::set_role(&server.server, name, role)?;
            println!("{name} is now {}", role.name());
        }
        Command::Team(TeamCommand::List { server, json }) => {
            let members = timefence_team::members(&server.server)?;
            let lines: Vec<String> = members
                .iter()
                .map(|m| format!("{:<24} {}", m.name, m.role.name()))
                .collect();
            let text = if lines.is_empty() {
                "no members yet: `timefence team add NAME --role ROLE`".to_string()
            } else {
                lines.join("\n")
            };
            print(
                *json,
                json!(members
                    .iter()
                    .map(|m| json!({"name": m.name, "role": m.role.name()}))
                    .collect::<Vec<_>>()),
                text,
            );
        }
        Command::Catalogue(CatalogueCommand::Push { to, json }) => {
            let from = catalogue_path(catalogue)?;
            let tables = timefence_team::push(&from, to)?;
            report("pushed", &tables, *json, shown(to));
        }
        Command::Backup {
            file,
            from: Some(url),
            json,
        } => {
            let tables = timefence_team::backup(url, file)?;
            report("backed up", &tables, *json, file.display().to_string());
        }
        _ => unreachable!("routed to another command file"),
    }
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_password_in_a_url_is_never_printed() {
        assert_eq!(
            super::shown("postgres://ana:s3cret@db.example:5432/team?sslmode=verify-full"),
            "postgres://ana:***@db.example:5432/team?sslmode=verify-full"
        );
        assert_eq!(
            super::shown("postgres://ana@db.example/team"),
            "postgres://ana@db.example/team"
        );
    }
}
