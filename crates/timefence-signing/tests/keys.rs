//! Keys at rest: encrypted, owner-only, readable by OpenSSL with the passphrase.

use std::process::Command;
use timefence_signing::*;

#[test]
fn a_generated_key_is_encrypted_owner_only_and_opens_only_with_its_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(&dir.path().join("keys")).unwrap();
    let key = store.generate("correct horse battery").unwrap();
    let pem = std::fs::read_to_string(&key.private_file).unwrap();
    assert!(
        pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "{pem}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&key.private_file), 0o600);
        assert_eq!(mode(&dir.path().join("keys")), 0o700);
    }
    let signing = store.unlock(&key.key_id, "correct horse battery").unwrap();
    assert_eq!(signing.verifying_key(), key.public_key);
    assert!(matches!(
        store.unlock(&key.key_id, "wrong horse battery"),
        Err(KeyError::WrongPassphrase(_))
    ));
    assert!(matches!(
        store.unlock("0000", "x"),
        Err(KeyError::UnknownKey(_))
    ));
    assert!(matches!(
        store.generate("short"),
        Err(KeyError::WeakPassphrase)
    ));
    assert_eq!(store.list().unwrap(), vec![key]);
}

#[test]
fn openssl_opens_the_private_key_with_the_passphrase_and_a_key_it_made_imports() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(&dir.path().join("keys")).unwrap();
    let key = store.generate("a long enough passphrase").unwrap();
    let out = Command::new("openssl")
        .args([
            "pkey",
            "-in",
            key.private_file.to_str().unwrap(),
            "-passin",
            "pass:a long enough passphrase",
            "-pubout",
        ])
        .output()
        .expect("the openssl binary (scripts/setup installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        parse_public_pem(&String::from_utf8(out.stdout).unwrap()),
        Some(key.public_key)
    );

    let made = dir.path().join("openssl.pem");
    let gen = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "ed25519",
            "-aes-256-cbc",
            "-pass",
            "pass:openssl passphrase",
            "-out",
            made.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        gen.status.success(),
        "{}",
        String::from_utf8_lossy(&gen.stderr)
    );
    let imported = store
        .import(
            &std::fs::read_to_string(&made).unwrap(),
            "openssl passphrase",
        )
        .unwrap();
    assert!(store.unlock(&imported.key_id, "openssl passphrase").is_ok());
    // A wrong passphrase is always said to be one: AES-CBC lets about one wrong passphrase in
    // 256 through its padding check, and what it decrypts to must not be called "not a key".
    let text = std::fs::read_to_string(&made).unwrap();
    for attempt in 0..512 {
        let wrong = format!("not the passphrase {attempt}");
        match store.import(&text, &wrong) {
            Err(KeyError::WrongPassphrase(_)) => {}
            other => panic!("{wrong:?}: {other:?}"),
        }
    }
    assert!(matches!(
        store.import(
            "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----",
            "x"
        ),
        Err(KeyError::NotAKey(_))
    ));
}

#[test]
fn the_strength_hint_grows_with_length_and_kinds_of_characters() {
    use timefence_signing::strength;
    assert_eq!(strength("abc").verdict, "too short");
    assert!(!strength("abc").acceptable);
    assert_eq!(strength("aaaaaaaaaaaa").verdict, "weak");
    let fair = strength("correcthorse");
    let better = strength("Correct-Horse-42");
    assert!(
        fair.acceptable && better.bits > fair.bits,
        "{fair:?} {better:?}"
    );
    assert_eq!(
        strength("Correct-Horse-Battery-Staple-42!").verdict,
        "strong"
    );
}

#[test]
fn issuing_writes_a_verifiable_file_marks_the_license_and_audits_it() {
    use timefence_catalogue::{Catalogue, FirstRun, LicenseState};
    use timefence_signing::issue::{issue, Destination, Signer};
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(&dir.path().join("keys")).unwrap();
    let key = store.generate("a long enough passphrase").unwrap();
    let mut catalogue = Catalogue::open_in_memory(FirstRun::SeedDemo)
        .unwrap()
        .catalogue;
    catalogue
        .add_signing_key(&key.key_id, *key.public_key.as_bytes(), None)
        .unwrap();
    let bpo = catalogue
        .list_customers()
        .unwrap()
        .into_iter()
        .find(|c| c.name == "Northwind BPO")
        .unwrap();
    let license = catalogue.licenses_of(bpo.id).unwrap()[0].clone();
    let signer = Signer {
        key_id: key.key_id.clone(),
        key: store
            .unlock(&key.key_id, "a long enough passphrase")
            .unwrap(),
    };
    let out = dir.path().join("out");
    let issued = issue(
        &mut catalogue,
        &signer,
        license.id,
        Destination::Folder(&out),
        None,
        timefence_terms::chrono::Utc::now(),
    )
    .unwrap();
    assert_eq!(
        issued.path.file_name().unwrap().to_str().unwrap(),
        format!("Northwind-BPO-L1-India-{}.lic", issued.serial)
    );
    let text = std::fs::read_to_string(&issued.path).unwrap();
    let mut trusted = timefence_license::TrustedKeys::default();
    trusted.add(key.public_key);
    let verified = timefence_license::verify(&text, &trusted).unwrap();
    assert_eq!(verified.payload.serial, issued.serial);
    assert_eq!(
        catalogue.license(license.id).unwrap().state,
        LicenseState::Issued
    );
    assert_eq!(
        catalogue.audit_log(Some(license.id)).unwrap()[0].file_sha256,
        issued.sha256
    );
    // Only the finished file is in the folder: no temporary file is left behind.
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
}

#[test]
fn a_failed_issue_leaves_no_file_and_the_license_as_it_was() {
    use timefence_catalogue::{Catalogue, FirstRun, LicenseState};
    use timefence_signing::issue::{issue, Destination, Signer};
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(&dir.path().join("keys")).unwrap();
    let key = store.generate("a long enough passphrase").unwrap();
    let mut catalogue = Catalogue::open_in_memory(FirstRun::SeedDemo)
        .unwrap()
        .catalogue;
    // The key is not in the catalogue, so the audit entry cannot be written.
    let license = catalogue.list_customers().unwrap()[0].id;
    let license = catalogue.licenses_of(license).unwrap()[0].clone();
    let signer = Signer {
        key_id: key.key_id.clone(),
        key: store
            .unlock(&key.key_id, "a long enough passphrase")
            .unwrap(),
    };
    let out = dir.path().join("out");
    let failed = issue(
        &mut catalogue,
        &signer,
        license.id,
        Destination::Folder(&out),
        None,
        timefence_terms::chrono::Utc::now(),
    );
    assert!(failed.is_err());
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
    assert_eq!(
        catalogue.license(license.id).unwrap().state,
        LicenseState::Draft
    );
}

#[test]
fn a_rename_that_fails_after_the_commit_leaves_the_license_issued_and_its_file_whole_beside_its_place(
) {
    use timefence_catalogue::{Catalogue, FirstRun, LicenseState};
    use timefence_signing::issue::{issue, Destination, IssueError, Signer};
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(&dir.path().join("keys")).unwrap();
    let key = store.generate("a long enough passphrase").unwrap();
    let mut catalogue = Catalogue::open_in_memory(FirstRun::SeedDemo)
        .unwrap()
        .catalogue;
    catalogue
        .add_signing_key(&key.key_id, *key.public_key.as_bytes(), None)
        .unwrap();
    let customer = catalogue.list_customers().unwrap()[0].id;
    let license = catalogue.licenses_of(customer).unwrap()[0].clone();
    let signer = Signer {
        key_id: key.key_id.clone(),
        key: store
            .unlock(&key.key_id, "a long enough passphrase")
            .unwrap(),
    };
    // The chosen file name is taken by a folder with something in it: the temporary file is
    // written beside it, but renaming a file over a folder fails.
    let out = dir.path().join("out");
    let blocked = out.join("india.lic");
    std::fs::create_dir_all(blocked.join("occupied")).unwrap();
    let failed = issue(
        &mut catalogue,
        &signer,
        license.id,
        Destination::File(&blocked),
        None,
        timefence_terms::chrono::Utc::now(),
    );
    // The catalogue commits before the rename (so a failure never takes away a previous
    // file): the license is issued and audited, and the error says where the signed file is.
    let temporary = match &failed {
        Err(IssueError::NotPlaced { temporary, .. }) => temporary.clone(),
        other => panic!("{other:?}"),
    };
    assert!(std::fs::read_to_string(&temporary)
        .unwrap()
        .contains("BEGIN TIMEFENCE LICENSE"));
    assert_eq!(
        catalogue.license(license.id).unwrap().state,
        LicenseState::Issued
    );
    assert_eq!(catalogue.audit_log(Some(license.id)).unwrap().len(), 1);
    assert!(blocked.is_dir());
    // With the folder out of the way, the next opening puts the file in place.
    std::fs::remove_dir_all(&blocked).unwrap();
    let recovered = timefence_signing::issue::recover(&mut catalogue).unwrap();
    assert_eq!(recovered.len(), 1, "{recovered:?}");
    assert!(std::fs::read_to_string(&blocked)
        .unwrap()
        .contains("BEGIN TIMEFENCE LICENSE"));
}

#[test]
fn file_names_are_safe_and_short_whatever_the_names() {
    use timefence_signing::issue::{file_name, file_stem, MAX_STEM_CHARS};
    assert_eq!(file_stem("Northwind BPO"), "Northwind-BPO");
    assert_eq!(file_stem("../../etc/passwd"), "etc-passwd");
    assert_eq!(file_stem("***"), "license");
    let long = "Shift ".repeat(50);
    let stem = file_stem(&long);
    assert!(stem.chars().count() <= MAX_STEM_CHARS, "{stem}");
    assert!(stem.starts_with("Shift-Shift") && !stem.ends_with('-'));
    assert_eq!(file_stem(&"x".repeat(300)).chars().count(), MAX_STEM_CHARS);
    let name = file_name(
        &"Acme ".repeat(30),
        &"Night desk ".repeat(30),
        Some(123_456),
    );
    assert!(name.len() < 100, "{name}");
    assert!(name.ends_with("-123456.lic"));
}
