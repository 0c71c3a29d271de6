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
    assert!(matches!(
        store.import(
            &std::fs::read_to_string(&made).unwrap(),
            "not the passphrase"
        ),
        Err(KeyError::WrongPassphrase(_))
    ));
}
