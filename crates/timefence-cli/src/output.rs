//! What the command line prints: JSON for programs (`--json`) or a line for people, the same
//! record either way, shared by every command file.

use serde_json::json;
use timefence_catalogue::{CustomerSummary, License, LicenseHit};
use timefence_terms::format_duration;

pub(crate) fn print(json_out: bool, value: serde_json::Value, text: String) {
    if json_out {
        println!("{value}");
    } else {
        println!("{text}");
    }
}

/// "s" for any count but one ("1 license", "2 licenses").
pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

pub(crate) fn customer_json(c: &CustomerSummary) -> serde_json::Value {
    json!({ "id": c.id, "uid": c.uid, "name": c.name, "default_zone": c.default_zone, "license_count": c.license_count })
}

pub(crate) fn license_json(l: &License) -> serde_json::Value {
    json!({
        "id": l.id,
        "customer_id": l.customer_id,
        "name": l.name,
        "state": l.state.as_str(),
        "revision": l.revision,
        "uid": l.uid,
        "terms": l.terms.to_spec(),
    })
}

pub(crate) fn hit_json(h: &LicenseHit) -> serde_json::Value {
    json!({ "id": h.id, "customer_id": h.customer_id, "customer": h.customer_name, "name": h.name, "product": h.product, "zone": h.zone })
}

pub(crate) fn license_line(l: &License) -> String {
    let t = &l.terms;
    let limit = t
        .daily_limit
        .map(|d| format!(", {} a day", format_duration(d)))
        .unwrap_or_default();
    format!(
        "{:>6}  {}  {}  {} {}{limit}  {} to {}  ({:?}, rev {}, uid {})",
        l.id,
        l.name,
        timefence_terms::seats_text(u64::from(t.seats)),
        t.window,
        t.zone,
        t.start_date,
        t.end_date,
        l.state,
        l.revision,
        l.uid
    )
}
