//! Roles on a team catalogue through the app's own command functions (what each command of
//! the window calls, with the connection the window's File › Connect made): for each role,
//! every class of operation it may not do is refused with `AppError::NotAllowed`, said in a
//! sentence, and nothing is written; what the role may do goes through. The same refusals
//! through raw SQL with each role's credentials are in `crates/timefence-team/tests/team.rs`.

use std::path::Path;
use timefence_app::admin::{self, PriceInput};
use timefence_app::views::{self, LicenseEdit};
use timefence_app::{signing, AppError, AppState};
use timefence_catalogue::{Catalogue, NewCustomer};
use timefence_pgtest::Cluster;
use timefence_team::{add_member, init, Role};

const PASSPHRASE: &str = "a long enough passphrase";

struct Team {
    cluster: Cluster,
    customer: i64,
    license: i64,
    product: i64,
}

fn team() -> Team {
    let cluster = Cluster::start();
    cluster.query("CREATE DATABASE team");
    let url = cluster.url_as("relay", "team");
    init(&url).unwrap();
    for (name, role) in [
        ("vic", Role::Viewer),
        ("eda", Role::Editor),
        ("sam", Role::Signer),
    ] {
        add_member(&url, name, role, "a long enough password").unwrap();
    }
    let mut owner = Catalogue::connect(&url).unwrap();
    let product = owner.add_product("Timefence Demo").unwrap();
    let customer = owner
        .add_customer(&NewCustomer {
            name: "Night Shift BPO".into(),
            default_zone: "UTC".into(),
            ..NewCustomer::default()
        })
        .unwrap();
    let spec = timefence_terms::TermsSpec {
        product: "Timefence Demo".into(),
        seats: 10,
        license_start_date: "2027-01-01".into(),
        license_end_date: "2027-12-31".into(),
        daily_start_time: "08:00".into(),
        daily_end_time: "16:00".into(),
        daily_time_consumption_limit: None,
        time_zone: "UTC".into(),
        weekdays: None,
        features: Default::default(),
    };
    let license = owner.add_license(customer, "Day", &spec).unwrap();
    Team {
        cluster,
        customer,
        license,
        product,
    }
}

/// The window's state, connected as `member` the way File › Connect does.
fn window_of(team: &Team, dir: &Path, member: &str) -> AppState {
    let own = dir.join(member).join("catalogue.sqlite");
    std::fs::create_dir_all(own.parent().unwrap()).unwrap();
    let state = AppState::open(&own);
    state
        .connect_team(&team.cluster.url_as(member, "team"), "")
        .unwrap();
    state
}

/// What the team catalogue holds, as its owner reads it.
fn snapshot(team: &Team) -> String {
    let owner = Catalogue::connect(&team.cluster.url_as("relay", "team")).unwrap();
    format!(
        "{:?} {:?} {:?} {:?}",
        owner.list_customers().unwrap(),
        owner.license(team.license).unwrap(),
        owner.products().unwrap(),
        owner.signing_keys().unwrap().len()
    )
}

/// Whether the license is gone (in the trash) as its owner reads the catalogue.
fn snapshot_after_delete(team: &Team) -> bool {
    let owner = Catalogue::connect(&team.cluster.url_as("relay", "team")).unwrap();
    owner.license(team.license).is_err()
}

type Operation = (
    &'static str,
    Box<dyn Fn(&AppState, &Team) -> Result<(), AppError>>,
);

/// One operation of each class, as the window's commands call them.
fn operations() -> Vec<Operation> {
    fn edit(state: &AppState, team: &Team, seats: i64) -> Result<(), AppError> {
        state.with_catalogue(|c| {
            let license = c.license(team.license)?;
            let mut edit = LicenseEdit::from_terms(&license.name, &license.terms);
            edit.seats = seats;
            views::edit_license(c, team.license, Some(license.edits), &edit).map(|_| ())
        })
    }
    vec![
        ("edit a license", Box::new(|s, t| edit(s, t, 11))),
        (
            "make a license",
            Box::new(|s, t| {
                s.with_catalogue(|c| {
                    let license = c.license(t.license)?;
                    let edit = LicenseEdit::from_terms("Night", &license.terms);
                    views::create_license(c, t.customer, &edit).map(|_| ())
                })
            }),
        ),
        (
            "delete a license",
            Box::new(|s, t| s.with_catalogue(|c| Ok(c.delete_license(t.license)?))),
        ),
        (
            "add a customer",
            Box::new(|s, _| {
                s.with_catalogue(|c| Ok(c.add_named_customer("Acme", "UTC").map(|_| ())?))
            }),
        ),
        (
            "rename a customer",
            Box::new(|s, t| {
                s.with_catalogue(|c| {
                    let edits = c.customer(t.customer)?.edits;
                    Ok(
                        c.update_customer_from(t.customer, edits, "Day Shift BPO", "UTC")
                            .map(|_| ())?,
                    )
                })
            }),
        ),
        (
            "add a product",
            Box::new(|s, _| s.with_catalogue(|c| admin::add_product(c, "Other").map(|_| ()))),
        ),
        (
            "price a product",
            Box::new(|s, t| {
                s.with_catalogue(|c| {
                    admin::set_price(
                        c,
                        t.product,
                        &PriceInput {
                            applies_from: "2027-01-01".into(),
                            currency: "USD".into(),
                            price: "5.00".into(),
                            block_hours: 1,
                            rounding: "pro-rata".into(),
                        },
                    )
                    .map(|_| ())
                })
            }),
        ),
        (
            "record a signing key",
            Box::new(|s, _| signing::generate(s, PASSPHRASE, PASSPHRASE).map(|_| ())),
        ),
    ]
}

fn keys_on_disk(dir: &Path, member: &str) -> usize {
    std::fs::read_dir(dir.join(member).join("keys"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn each_role_is_refused_through_the_apps_commands_what_it_may_not_do_and_nothing_is_written() {
    let team = team();
    let dir = tempfile::tempdir().unwrap();
    // (member, the operations it may do; every other one it is refused)
    let may: [(&str, &[&str]); 3] = [
        ("vic", &[]),
        (
            "eda",
            &[
                "edit a license",
                "make a license",
                "delete a license",
                "add a customer",
                "rename a customer",
                "add a product",
                "price a product",
            ],
        ),
        ("sam", &[]),
    ];
    let mut refused = 0;
    for (member, allowed) in may {
        let state = window_of(&team, dir.path(), member);
        for (what, operation) in operations() {
            if allowed.contains(&what) {
                continue;
            }
            let before = snapshot(&team);
            let result = operation(&state, &team);
            match result {
                Err(AppError::NotAllowed(message)) => assert!(
                    message.starts_with("your role in this team catalogue may not do this"),
                    "{member}, {what}: {message}"
                ),
                other => panic!("{member}, {what}: {other:?}"),
            }
            assert_eq!(
                snapshot(&team),
                before,
                "{member}, {what}: something was written"
            );
            refused += 1;
        }
        // A refused key leaves no private half behind on the member's machine either.
        assert_eq!(
            keys_on_disk(dir.path(), member),
            0,
            "{member}: a key file was left"
        );
    }
    // What the editor may do goes through (the license deleted last).
    let eda = window_of(&team, dir.path(), "eda");
    let ops = operations();
    let allowed = ops
        .iter()
        .filter(|(what, _)| *what != "record a signing key");
    let (delete, others): (Vec<_>, Vec<_>) =
        allowed.partition(|(what, _)| *what == "delete a license");
    for (what, operation) in others.into_iter().chain(delete) {
        operation(&eda, &team).unwrap_or_else(|e| panic!("eda, {what}: {e:?}"));
    }
    assert!(snapshot_after_delete(&team));
    println!("{refused} refusals through the app's command functions, nothing written");
    assert_eq!(refused, 8 + 1 + 8);
}
