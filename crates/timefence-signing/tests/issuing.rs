//! Issuing never loses the customer's previous file and never leaves a signed file the audit
//! log does not know, whichever step fails, with a file already at the destination: the
//! catalogue commits before the rename, and a signing that stopped between steps is finished
//! or cleaned up (and reported) when the catalogue is next opened.

use std::path::{Path, PathBuf};
use timefence_catalogue::{Catalogue, FirstRun};
use timefence_signing::issue::{
    issue, issue_watched, recover, Destination, Flow, IssueError, Recovered, Signer, Step,
};
use timefence_signing::KeyStore;
use timefence_terms::chrono::{DateTime, Utc};
use timefence_terms::TermsSpec;

const PASSPHRASE: &str = "a long enough passphrase";
const OLD: &str = "the customer's previous license file\n";

fn now() -> DateTime<Utc> {
    "2027-03-01T01:00:00Z".parse().unwrap()
}

struct World {
    _dir: tempfile::TempDir,
    catalogue_path: PathBuf,
    catalogue: Catalogue,
    signer: Signer,
    license: i64,
    /// The destination, holding the customer's previous file.
    destination: PathBuf,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(&dir.path().join("keys")).unwrap();
    let key = store.generate(PASSPHRASE).unwrap();
    let signer = Signer {
        key_id: key.key_id.clone(),
        key: store.unlock(&key.key_id, PASSPHRASE).unwrap(),
    };
    let catalogue_path = dir.path().join("catalogue.sqlite");
    let mut catalogue = Catalogue::open(&catalogue_path, FirstRun::Empty)
        .unwrap()
        .catalogue;
    catalogue
        .add_signing_key(&signer.key_id, *key.public_key.as_bytes(), None)
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
    let spec = TermsSpec {
        license_start_date: "2027-01-01".into(),
        license_end_date: "2027-12-31".into(),
        daily_start_time: "00:00".into(),
        daily_end_time: "08:00".into(),
        daily_time_consumption_limit: None,
        time_zone: "UTC".into(),
        weekdays: None,
        seats: 10,
        product: "Timefence demo".into(),
        features: Default::default(),
    };
    let license = catalogue.add_license(customer, "L1 India", &spec).unwrap();
    let destination = dir.path().join("out").join("acme.lic");
    std::fs::create_dir_all(destination.parent().unwrap()).unwrap();
    std::fs::write(&destination, OLD).unwrap();
    World {
        _dir: dir,
        catalogue_path,
        catalogue,
        signer,
        license,
        destination,
    }
}

impl World {
    fn issue_watched(
        &mut self,
        watch: &mut dyn FnMut(Step, &mut Catalogue) -> Flow,
    ) -> Result<(), IssueError> {
        let destination = self.destination.clone();
        issue_watched(
            &mut self.catalogue,
            &self.signer,
            self.license,
            Destination::File(&destination),
            None,
            now(),
            watch,
        )
        .map(|_| ())
    }

    fn audit_entries(&self) -> usize {
        self.catalogue.audit_log(None).unwrap().len()
    }

    fn state(&self) -> String {
        format!("{:?}", self.catalogue.license(self.license).unwrap().state).to_lowercase()
    }

    /// Files in the destination's folder other than the destination (temporary files).
    fn strays(&self) -> Vec<String> {
        std::fs::read_dir(self.destination.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "acme.lic")
            .collect()
    }

    fn destination_text(&self) -> String {
        std::fs::read_to_string(&self.destination).unwrap()
    }

    /// Closes and opens the catalogue again, as the next start would, and recovers.
    fn restart(&mut self) -> Vec<Recovered> {
        let path = self.catalogue_path.clone();
        let old = std::mem::replace(
            &mut self.catalogue,
            Catalogue::open_in_memory(FirstRun::Empty)
                .unwrap()
                .catalogue,
        );
        drop(old);
        self.catalogue = Catalogue::open(&path, FirstRun::Empty).unwrap().catalogue;
        recover(&mut self.catalogue).unwrap()
    }
}

fn is_license(text: &str) -> bool {
    text.contains("BEGIN TIMEFENCE LICENSE")
}

#[test]
fn a_signing_that_goes_through_replaces_the_previous_file_and_leaves_nothing_behind() {
    let mut w = world();
    let destination = w.destination.clone();
    let issued = issue(
        &mut w.catalogue,
        &w.signer,
        w.license,
        Destination::File(&destination),
        None,
        now(),
    )
    .unwrap();
    assert!(is_license(&w.destination_text()));
    assert_eq!(w.audit_entries(), 1);
    assert!(w.strays().is_empty(), "{:?}", w.strays());
    assert!(w.catalogue.files_being_issued().unwrap().is_empty());
    assert_eq!(issued.path, w.destination);
    assert!(w.restart().is_empty());
}

#[test]
fn a_commit_that_fails_keeps_the_previous_file_and_records_nothing() {
    let mut w = world();
    let license = w.license;
    let result = w.issue_watched(&mut |step, catalogue| {
        if step == Step::Written {
            // Another window deletes the license meanwhile: the commit is refused for real.
            catalogue.delete_license(license).unwrap();
        }
        Flow::Go
    });
    assert!(
        matches!(result, Err(IssueError::Catalogue(_))),
        "{result:?}"
    );
    assert_eq!(w.destination_text(), OLD, "the previous file was lost");
    assert!(w.strays().is_empty(), "{:?}", w.strays());
    assert_eq!(w.audit_entries(), 0);
    assert!(w.restart().is_empty());
}

#[test]
fn a_crash_before_the_commit_leaves_the_previous_file_and_the_next_start_removes_the_orphan() {
    let mut w = world();
    let _ = w.issue_watched(&mut |step, _| {
        if step == Step::Written {
            Flow::Stop
        } else {
            Flow::Go
        }
    });
    assert_eq!(
        w.strays().len(),
        1,
        "the temporary file is there, as a crash leaves it"
    );
    let recovered = w.restart();
    assert!(
        matches!(recovered.as_slice(), [Recovered::Abandoned { .. }]),
        "{recovered:?}"
    );
    assert!(recovered[0].to_string().contains("was not issued"));
    assert_eq!(w.destination_text(), OLD);
    assert!(w.strays().is_empty(), "{:?}", w.strays());
    assert_eq!(w.audit_entries(), 0);
    assert_eq!(w.state(), "draft");
    assert!(w.restart().is_empty(), "reported once");
}

#[test]
fn a_crash_after_the_commit_is_finished_at_the_next_start() {
    let mut w = world();
    let _ = w.issue_watched(&mut |step, _| {
        if step == Step::Recorded {
            Flow::Stop
        } else {
            Flow::Go
        }
    });
    // Recorded, not yet placed: the previous file is still there, and the new one is whole.
    assert_eq!(w.destination_text(), OLD);
    assert_eq!(w.audit_entries(), 1);
    let recovered = w.restart();
    assert!(
        matches!(recovered.as_slice(), [Recovered::Placed { .. }]),
        "{recovered:?}"
    );
    let text = w.destination_text();
    assert!(is_license(&text));
    // The file in place is the one the audit log names.
    let sha: String = {
        use sha2::Digest;
        sha2::Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    assert_eq!(w.catalogue.audit_log(None).unwrap()[0].file_sha256, sha);
    assert!(w.strays().is_empty(), "{:?}", w.strays());
    assert!(w.restart().is_empty());
}

#[test]
fn a_rename_that_fails_after_the_commit_says_where_the_file_is_and_keeps_the_previous_one() {
    let mut w = world();
    let folder = w.destination.parent().unwrap().to_path_buf();
    let mut moved_to: Option<PathBuf> = None;
    let dir = folder.parent().unwrap().to_path_buf();
    let result = w.issue_watched(&mut |step, _| {
        if step == Step::Recorded {
            // The destination becomes a folder with something in it: the rename fails for
            // real (even as root). The previous file is moved aside first, to put back.
            let aside = dir.join("previous.lic");
            std::fs::rename(folder.join("acme.lic"), &aside).unwrap();
            std::fs::create_dir(folder.join("acme.lic")).unwrap();
            std::fs::write(folder.join("acme.lic").join("x"), "x").unwrap();
            moved_to = Some(aside);
        }
        Flow::Go
    });
    match &result {
        Err(e @ IssueError::NotPlaced { temporary, .. }) => {
            assert!(Path::new(temporary).exists());
            assert!(e.to_string().contains("is issued"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(w.audit_entries(), 1);
    // The obstacle goes and the previous file comes back; the next start puts the new one in.
    std::fs::remove_dir_all(folder.join("acme.lic")).unwrap();
    std::fs::rename(moved_to.unwrap(), &w.destination).unwrap();
    assert_eq!(w.destination_text(), OLD);
    let recovered = w.restart();
    assert!(
        matches!(recovered.as_slice(), [Recovered::Placed { .. }]),
        "{recovered:?}"
    );
    assert!(is_license(&w.destination_text()));
    assert!(w.strays().is_empty(), "{:?}", w.strays());
}

#[test]
fn a_recorded_file_whose_temporary_copy_vanished_is_reported_missing() {
    let mut w = world();
    let folder = w.destination.parent().unwrap().to_path_buf();
    let result = w.issue_watched(&mut |step, _| {
        if step == Step::Recorded {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let path = entry.unwrap().path();
                if path.file_name().unwrap() != "acme.lic" {
                    std::fs::remove_file(path).unwrap();
                }
            }
        }
        Flow::Go
    });
    assert!(
        matches!(result, Err(IssueError::NotPlaced { .. })),
        "{result:?}"
    );
    assert_eq!(w.destination_text(), OLD, "the previous file was lost");
    let recovered = w.restart();
    assert!(
        matches!(recovered.as_slice(), [Recovered::Missing { .. }]),
        "{recovered:?}"
    );
    assert!(recovered[0].to_string().contains("sign the license again"));
}
