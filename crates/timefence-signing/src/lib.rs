//! # timefence-signing: signing keys kept safe at rest
//!
//! Ed25519 signing keys live in a key folder (owner-only, 0700) as encrypted PKCS#8 PEM files
//! (PBES2 with scrypt and AES-256-CBC, which `openssl pkey -passin` reads), each beside its
//! public key as a PEM SubjectPublicKeyInfo. A private key is only ever decrypted into memory,
//! with the passphrase, to sign; it is never written unencrypted and never leaves this crate
//! except as a [`SigningKey`] value for [`timefence_license::sign`].
//!
//! [`hold::PassphraseHold`] keeps a passphrase in memory for a few minutes and wipes it when they
//! run out. [`issue`] signs a catalogue license into a file, marks it issued and records it in the
//! audit log, for the command line and the app alike.
#![deny(missing_docs)]

pub mod hold;
pub mod issue;
mod whole;

pub use whole::{write_temporary, write_whole};

/// Every public key the catalogue has signed with, retired ones too (what they signed, files
/// and relay certificates, stays valid): the keys its own files and reports verify against.
pub fn catalogue_keys(
    catalogue: &timefence_catalogue::Catalogue,
) -> Result<timefence_license::TrustedKeys, timefence_catalogue::CatalogueError> {
    let mut trusted = timefence_license::TrustedKeys::default();
    for key in catalogue.signing_keys()? {
        if let Ok(public) = VerifyingKey::from_bytes(&key.public_key) {
            trusted.add(public);
        }
    }
    Ok(trusted)
}

/// The vendor's signed list of every relay certificate the catalogue has withdrawn, as of
/// `now` (RFC 3339), and how many it names: what the customer's relay
/// (`timefence-relay report --withdrawals`) and applications (`RelayClient::with_withdrawals`)
/// are given so that they stop trusting a withdrawn relay too.
pub fn withdrawal_list(
    catalogue: &timefence_catalogue::Catalogue,
    signer: &SigningKey,
    now: &str,
) -> Result<(String, usize), timefence_catalogue::CatalogueError> {
    use timefence_license::relay::{sign_withdrawals, WithdrawalsPayload, WithdrawnCertificate};
    let withdrawn: Vec<WithdrawnCertificate> = catalogue
        .relay_certificates(None)?
        .into_iter()
        .filter_map(|r| {
            r.withdrawn_at.map(|at| WithdrawnCertificate {
                relay_key: r.relay_key,
                issued_at: r.issued_at,
                withdrawn_at: at,
            })
        })
        .collect();
    let count = withdrawn.len();
    let payload = WithdrawalsPayload {
        issued_at: now.to_string(),
        withdrawn,
    };
    Ok((sign_withdrawals(&payload, signer), count))
}

use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::{SigningKey, VerifyingKey};
use pkcs8::LineEnding;
use std::path::{Path, PathBuf};
use timefence_license::{key_id, public_key_pem};

/// The shortest passphrase accepted for a new key.
pub const MIN_PASSPHRASE_CHARS: usize = 10;

/// How hard a passphrase would be to guess, for the hint beside the passphrase field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strength {
    /// A rough estimate of the bits of guessing it takes: length times the bits per character
    /// of the kinds of characters used, counting repeated characters once.
    pub bits: u32,
    /// `too short`, `weak`, `fair`, `good` or `strong`.
    pub verdict: &'static str,
    /// Whether a new key accepts it.
    pub acceptable: bool,
}

/// Rates a passphrase; a new key needs at least [`MIN_PASSPHRASE_CHARS`] characters.
pub fn strength(passphrase: &str) -> Strength {
    let chars: Vec<char> = passphrase.chars().collect();
    let mut pool = 0u32;
    if chars.iter().any(|c| c.is_ascii_lowercase()) {
        pool += 26;
    }
    if chars.iter().any(|c| c.is_ascii_uppercase()) {
        pool += 26;
    }
    if chars.iter().any(|c| c.is_ascii_digit()) {
        pool += 10;
    }
    if chars.iter().any(|c| c.is_ascii_punctuation() || *c == ' ') {
        pool += 33;
    }
    if chars.iter().any(|c| !c.is_ascii()) {
        pool += 100;
    }
    let mut distinct = chars.clone();
    distinct.sort_unstable();
    distinct.dedup();
    // A repeated character adds little: count the distinct ones fully, repeats at one bit.
    let per_char = f64::from(pool.max(1)).log2();
    let bits = (distinct.len() as f64 * per_char + (chars.len() - distinct.len()) as f64) as u32;
    let acceptable = chars.len() >= MIN_PASSPHRASE_CHARS;
    let verdict = match (acceptable, bits) {
        (false, _) => "too short",
        (_, 0..=44) => "weak",
        (_, 45..=59) => "fair",
        (_, 60..=79) => "good",
        _ => "strong",
    };
    Strength {
        bits,
        verdict,
        acceptable,
    }
}

/// What can go wrong with keys.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The passphrase does not open the key.
    #[error("wrong passphrase for key {0}")]
    WrongPassphrase(String),
    /// A new key's passphrase is too short.
    #[error("a passphrase needs at least {MIN_PASSPHRASE_CHARS} characters")]
    WeakPassphrase,
    /// No key with that id in the folder.
    #[error("there is no key {0} in the key folder")]
    UnknownKey(String),
    /// A file that is not an encrypted Ed25519 PKCS#8 key.
    #[error("not an encrypted Ed25519 private key (PKCS#8 PEM): {0}")]
    NotAKey(String),
    /// The key folder or a key file cannot be read or written.
    #[error("key storage: {0}")]
    Io(#[from] std::io::Error),
}

/// A key in the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// Its key id.
    pub key_id: String,
    /// Its public half.
    pub public_key: VerifyingKey,
    /// The encrypted private key file.
    pub private_file: PathBuf,
}

/// A folder of encrypted signing keys.
#[derive(Debug, Clone)]
pub struct KeyStore {
    dir: PathBuf,
}

#[cfg(unix)]
fn owner_only(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn owner_only(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Writes a new file that only its owner can read, created with that mode from the start so
/// that no other user ever sees it readable.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

impl KeyStore {
    /// The key folder at `dir`, created owner-only when missing.
    pub fn open(dir: &Path) -> Result<KeyStore, KeyError> {
        std::fs::create_dir_all(dir)?;
        owner_only(dir, 0o700)?;
        Ok(KeyStore {
            dir: dir.to_path_buf(),
        })
    }

    fn private_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.key.pem"))
    }

    fn public_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.pub.pem"))
    }

    fn store(&self, key: &SigningKey, encrypted_pem: &str) -> Result<StoredKey, KeyError> {
        let public_key = key.verifying_key();
        let id = key_id(&public_key);
        let private_file = self.private_path(&id);
        write_private(&private_file, encrypted_pem.as_bytes())?;
        std::fs::write(self.public_path(&id), public_key_pem(&public_key))?;
        Ok(StoredKey {
            key_id: id,
            public_key,
            private_file,
        })
    }

    /// Makes a new key, encrypted with `passphrase`.
    pub fn generate(&self, passphrase: &str) -> Result<StoredKey, KeyError> {
        if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(KeyError::WeakPassphrase);
        }
        let key = SigningKey::generate(&mut rand_core::OsRng);
        let pem = encrypt_pem(&key, passphrase).map_err(|e| KeyError::NotAKey(e.to_string()))?;
        self.store(&key, &pem)
    }

    /// Takes in an encrypted PKCS#8 PEM private key (made by Timefence or OpenSSL), after
    /// checking that `passphrase` opens it.
    pub fn import(&self, encrypted_pem: &str, passphrase: &str) -> Result<StoredKey, KeyError> {
        let key = SigningKey::from_pkcs8_encrypted_pem(encrypted_pem, passphrase.as_bytes())
            .map_err(|e| opening_error(encrypted_pem, "being imported", e))?;
        self.store(&key, encrypted_pem)
    }

    /// Removes a key just made whose registration was refused (both halves): a private key
    /// nobody can use should not stay on the machine.
    pub fn discard(&self, id: &str) -> Result<(), KeyError> {
        for path in [self.private_path(id), self.public_path(id)] {
            match std::fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Every key in the folder, by key id.
    pub fn list(&self) -> Result<Vec<StoredKey>, KeyError> {
        let mut keys = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let name = entry?.file_name().to_string_lossy().to_string();
            if let Some(id) = name.strip_suffix(".key.pem") {
                keys.push(self.public(id)?);
            }
        }
        keys.sort_by(|a, b| a.key_id.cmp(&b.key_id));
        Ok(keys)
    }

    /// One key's public half.
    pub fn public(&self, id: &str) -> Result<StoredKey, KeyError> {
        let private_file = self.private_path(id);
        if !private_file.exists() {
            return Err(KeyError::UnknownKey(id.to_string()));
        }
        let pem = std::fs::read_to_string(self.public_path(id))?;
        let public_key =
            parse_public_pem(&pem).ok_or_else(|| KeyError::NotAKey(format!("{id}.pub.pem")))?;
        Ok(StoredKey {
            key_id: id.to_string(),
            public_key,
            private_file,
        })
    }

    /// Decrypts a key into memory to sign with it.
    pub fn unlock(&self, id: &str, passphrase: &str) -> Result<SigningKey, KeyError> {
        let private_file = self.private_path(id);
        if !private_file.exists() {
            return Err(KeyError::UnknownKey(id.to_string()));
        }
        let pem = zeroize::Zeroizing::new(std::fs::read_to_string(private_file)?);
        SigningKey::from_pkcs8_encrypted_pem(&pem, passphrase.as_bytes())
            .map_err(|e| opening_error(&pem, id, e))
    }
}

/// Why an encrypted key did not open. AES-CBC does not authenticate: about one wrong
/// passphrase in 256 decrypts to bytes whose padding looks right and which then fail to parse
/// as a key. So when the encrypted envelope itself is sound, any failure to open it is the
/// passphrase's; only an envelope that does not parse is "not a key".
fn opening_error(pem: &str, which: &str, error: pkcs8::Error) -> KeyError {
    let envelope_is_sound = pkcs8::der::pem::decode_vec(pem.trim().as_bytes())
        .ok()
        .filter(|(label, _)| *label == "ENCRYPTED PRIVATE KEY")
        .is_some_and(|(_, der)| pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice()).is_ok());
    if envelope_is_sound {
        KeyError::WrongPassphrase(which.to_string())
    } else {
        KeyError::NotAKey(error.to_string())
    }
}

/// scrypt cost: 2^14 x 8 x 128 bytes = 16 MiB, inside OpenSSL's default 32 MiB limit so that
/// `openssl pkey -passin` opens the file.
const SCRYPT_LOG_N: u8 = 14;

fn encrypt_pem(
    key: &SigningKey,
    passphrase: &str,
) -> Result<zeroize::Zeroizing<String>, pkcs8::Error> {
    use rand_core::RngCore;
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut salt);
    rand_core::OsRng.fill_bytes(&mut iv);
    let cost =
        scrypt::Params::new(SCRYPT_LOG_N, 8, 1, 32).map_err(|_| pkcs8::Error::KeyMalformed)?;
    let params = pkcs5::pbes2::Parameters::scrypt_aes256cbc(cost, &salt, &iv)?;
    // Version 1 PKCS#8 (no public key field): OpenSSL 3.0 refuses the version 2 form.
    let mut inner = zeroize::Zeroizing::new(vec![0x04, 0x20]);
    inner.extend_from_slice(key.as_bytes());
    let info = pkcs8::PrivateKeyInfo::new(ed25519_dalek::pkcs8::ALGORITHM_ID, &inner);
    let encrypted = info.encrypt_with_params(params, passphrase.as_bytes())?;
    use pkcs8::der::pem::PemLabel;
    Ok(encrypted.to_pem(pkcs8::EncryptedPrivateKeyInfo::PEM_LABEL, LineEnding::LF)?)
}

/// Reads a PEM SubjectPublicKeyInfo holding an Ed25519 key.
pub fn parse_public_pem(pem: &str) -> Option<VerifyingKey> {
    // Only PEM here: raw base64 is a different thing to ask an administrator for.
    if !pem.trim_start().starts_with("-----BEGIN PUBLIC KEY-----") {
        return None;
    }
    timefence_license::parse_public_key(pem)
}

#[cfg(test)]
mod pem_tests {
    use super::parse_public_pem;

    #[test]
    fn a_public_key_reads_however_it_was_pasted() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key();
        let pem = timefence_license::public_key_pem(&key);
        assert_eq!(parse_public_pem(&pem), Some(key));
        assert_eq!(parse_public_pem(&pem.replace('\n', "\r\n")), Some(key));
        let indented: String = pem.lines().map(|l| format!("   {l}  \n\n")).collect();
        assert_eq!(parse_public_pem(&indented), Some(key));
        assert_eq!(
            parse_public_pem(&pem.replace('\n', "")),
            Some(key),
            "one line"
        );
        assert_eq!(parse_public_pem("not a key"), None);
        assert_eq!(
            parse_public_pem(&pem.replace("PUBLIC KEY", "PRIVATE KEY")),
            None
        );
        assert_eq!(
            parse_public_pem("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----"),
            None
        );
    }
}
