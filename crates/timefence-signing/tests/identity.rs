//! A license's identity is global: supersession and the usage ledger key on (signing key,
//! 128-bit uid), never on a catalogue's row number.

use timefence_catalogue::{Catalogue, FirstRun};
use timefence_license::{check, verify, CheckError, Ledger, TrustedKeys};
use timefence_signing::issue::{issue, Destination, Signer};
use timefence_signing::KeyStore;
use timefence_terms::chrono::{DateTime, TimeDelta, Utc};
use timefence_terms::TermsSpec;

const PASSPHRASE: &str = "a long enough passphrase";

fn spec() -> TermsSpec {
    TermsSpec {
        license_start_date: "2027-01-01".into(),
        license_end_date: "2027-12-31".into(),
        daily_start_time: "00:00".into(),
        daily_end_time: "08:00".into(),
        daily_time_consumption_limit: Some("02:00".into()),
        time_zone: "UTC".into(),
        weekdays: None,
        seats: 10,
        product: "Timefence demo".into(),
        features: Default::default(),
    }
}

fn now() -> DateTime<Utc> {
    "2027-03-01T01:00:00Z".parse().unwrap()
}

/// A catalogue with one customer and one draft license (the catalogue's first row, id 1).
fn catalogue_with_one_license(signer: &Signer, public: [u8; 32]) -> (Catalogue, i64) {
    let mut catalogue = Catalogue::open_in_memory(FirstRun::Empty)
        .unwrap()
        .catalogue;
    catalogue
        .add_signing_key(&signer.key_id, public, None)
        .unwrap();
    let customer = catalogue
        .add_customer(&timefence_catalogue::NewCustomer {
            name: "Acme BPO".into(),
            contact: String::new(),
            country: String::new(),
            default_zone: "UTC".into(),
            notes: String::new(),
        })
        .unwrap();
    let license = catalogue
        .add_license(customer, "L1 India", &spec())
        .unwrap();
    (catalogue, license)
}

fn issue_text(
    catalogue: &mut Catalogue,
    signer: &Signer,
    id: i64,
    folder: &std::path::Path,
) -> String {
    let issued = issue(
        catalogue,
        signer,
        id,
        Destination::Folder(folder),
        None,
        now(),
    )
    .unwrap();
    std::fs::read_to_string(issued.path).unwrap()
}

fn signer(dir: &std::path::Path) -> (Signer, TrustedKeys, [u8; 32]) {
    let store = KeyStore::open(&dir.join("keys")).unwrap();
    let key = store.generate(PASSPHRASE).unwrap();
    let mut trusted = TrustedKeys::default();
    trusted.add(key.public_key);
    let signer = Signer {
        key_id: key.key_id.clone(),
        key: store.unlock(&key.key_id, PASSPHRASE).unwrap(),
    };
    (signer, trusted, *key.public_key.as_bytes())
}

#[test]
fn two_catalogues_sharing_a_key_never_share_serials_or_consumption() {
    let dir = tempfile::tempdir().unwrap();
    let (signer, trusted, public) = signer(dir.path());
    let (mut first, a) = catalogue_with_one_license(&signer, public);
    let (mut second, b) = catalogue_with_one_license(&signer, public);
    assert_eq!(a, b, "both catalogues number their first license alike");
    let file_a = verify(
        &issue_text(&mut first, &signer, a, &dir.path().join("a")),
        &trusted,
    )
    .unwrap();
    let file_b = verify(
        &issue_text(&mut second, &signer, b, &dir.path().join("b")),
        &trusted,
    )
    .unwrap();
    assert_eq!(file_a.payload.license_id, file_b.payload.license_id);
    assert_ne!(file_a.payload.uid, file_b.payload.uid);
    assert_eq!(
        file_a.payload.serial, file_b.payload.serial,
        "each catalogue counts its own serials"
    );

    let mut ledger = Ledger::from_bytes(&[], &[9; 32]).unwrap();
    // Two hours used under the first catalogue's license leave the second's untouched.
    assert!(check(&file_a, now(), &mut ledger).unwrap().is_allowed());
    ledger
        .record_use_at(&file_a, now(), TimeDelta::hours(2))
        .unwrap();
    assert!(!check(&file_a, now(), &mut ledger).unwrap().is_allowed());
    assert!(check(&file_b, now(), &mut ledger).unwrap().is_allowed());
    assert!(!check(&file_a, now(), &mut ledger).unwrap().is_allowed());
}

#[test]
fn an_edited_issued_license_keeps_its_uid_and_revision_2_supersedes_revision_1() {
    let dir = tempfile::tempdir().unwrap();
    let (signer, trusted, public) = signer(dir.path());
    let (mut catalogue, id) = catalogue_with_one_license(&signer, public);
    let revision_1 = verify(
        &issue_text(&mut catalogue, &signer, id, &dir.path().join("r1")),
        &trusted,
    )
    .unwrap();
    let mut wider = spec();
    wider.daily_end_time = "09:00".into();
    let id_2 = catalogue.update_license(id, "L1 India", &wider).unwrap();
    assert_ne!(id_2, id, "an issued license's edit is a new revision row");
    assert_eq!(
        catalogue.license(id_2).unwrap().uid,
        catalogue.license(id).unwrap().uid
    );
    let revision_2 = verify(
        &issue_text(&mut catalogue, &signer, id_2, &dir.path().join("r2")),
        &trusted,
    )
    .unwrap();
    assert_eq!(revision_2.payload.revision, 2);
    assert_eq!(revision_1.payload.uid, revision_2.payload.uid);

    let mut ledger = Ledger::from_bytes(&[], &[9; 32]).unwrap();
    assert!(check(&revision_2, now(), &mut ledger).unwrap().is_allowed());
    match check(&revision_1, now(), &mut ledger) {
        Err(CheckError::Superseded { serial, newer }) => {
            assert_eq!(
                (serial, newer),
                (revision_1.payload.serial, revision_2.payload.serial)
            )
        }
        other => panic!("revision 1 must be superseded, got {other:?}"),
    }
    // And their daily limit is one: what revision 1 used counts for revision 2.
    let mut ledger = Ledger::from_bytes(&[], &[9; 32]).unwrap();
    assert!(check(&revision_1, now(), &mut ledger).unwrap().is_allowed());
    ledger
        .record_use_at(&revision_1, now(), TimeDelta::hours(2))
        .unwrap();
    assert!(!check(&revision_2, now(), &mut ledger).unwrap().is_allowed());
}

#[test]
fn a_duplicated_license_is_a_new_identity() {
    let dir = tempfile::tempdir().unwrap();
    let (signer, _, public) = signer(dir.path());
    let (mut catalogue, id) = catalogue_with_one_license(&signer, public);
    let copy = catalogue.duplicate_license(id).unwrap();
    let (a, b) = (
        catalogue.license(id).unwrap(),
        catalogue.license(copy).unwrap(),
    );
    assert!(timefence_license::is_license_uid(&a.uid), "{}", a.uid);
    assert_ne!(a.uid, b.uid);
}
