//! The committed header is the one cbindgen makes from the code: a change to the C API that
//! forgets the header fails here. `UPDATE_HEADER=1` rewrites it.

use std::path::PathBuf;

#[test]
fn the_committed_header_matches_the_code() {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).unwrap();
    let mut made = Vec::new();
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen reads the crate")
        .write(&mut made);
    let made = String::from_utf8(made).unwrap();
    let path = crate_dir.join("include/timefence.h");
    if std::env::var_os("UPDATE_HEADER").is_some() {
        std::fs::write(&path, &made).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == made,
        "bindings/c/include/timefence.h differs from what cbindgen makes; run UPDATE_HEADER=1 cargo test -p timefence-c --test header"
    );
}
