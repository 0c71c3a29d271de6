//! The BPO roster beside the planner, in each format it reads: the same shifts in CSV, in NICE
//! IEX's Agent Schedule Detail export, in Genesys Cloud's agent schedules and as recurring
//! iCalendar events must give the same
//! demand, on any wall clock, and the same plan.

use std::path::Path;
use timefence_roster::{demand::demand, parse, Format, IexOptions};

fn sample(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(name),
    )
    .unwrap()
}

#[test]
fn the_three_samples_are_one_roster() {
    let read = |name: &str| {
        let text = sample(name);
        parse(Format::of(&text), &text, IexOptions::default()).unwrap()
    };
    let csv = read("bpo.csv");
    let iex = read("bpo.iex.txt");
    let genesys = read("bpo.genesys.json");
    let ics = read("bpo.ics");
    assert_eq!(Format::of(&sample("bpo.ics")), Format::Ics);
    assert_eq!(Format::of(&sample("bpo.iex.txt")), Format::Iex);
    assert_eq!(Format::of(&sample("bpo.genesys.json")), Format::Genesys);
    assert_eq!(csv.len(), 2457);
    for zone in [
        chrono_tz::UTC,
        chrono_tz::Asia::Manila,
        chrono_tz::America::New_York,
    ] {
        let expected = demand(&csv, zone);
        assert_eq!(demand(&iex, zone), expected, "IEX in {zone}");
        assert_eq!(demand(&genesys, zone), expected, "Genesys in {zone}");
        assert_eq!(demand(&ics, zone), expected, "iCalendar in {zone}");
    }
    let utc = demand(&iex, chrono_tz::UTC);
    assert_eq!((utc.agents, utc.not_working, utc.peak()), (350, 7, 200));
}
