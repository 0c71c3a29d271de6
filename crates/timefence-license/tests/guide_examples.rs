//! The guide's "may I run now?" programs are the files the tests run
//! (`scripts/test-bindings`), word for word: an example edited in one place and not the other
//! fails here.

use std::path::PathBuf;

#[test]
fn the_guide_shows_each_binding_s_example_as_it_is_tested() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let guide = std::fs::read_to_string(root.join("docs/guide.md")).unwrap();
    for example in [
        "bindings/c/examples/may_i_run.c",
        "bindings/python/examples/may_i_run.py",
        "bindings/node/examples/may_i_run.mjs",
    ] {
        let text = std::fs::read_to_string(root.join(example)).unwrap();
        assert!(
            guide.contains(&text),
            "docs/guide.md does not show {example} as it is"
        );
        assert!(
            text.lines().count() <= 40,
            "{example} is longer than a guide example"
        );
    }
}
