//! The lease rules, as one pure function: a license's stored state, a request and the time in;
//! an answer and the writes that make it durable out. Both storage engines run the same rules
//! inside their own transaction, so SQLite and PostgreSQL cannot disagree about a seat.
//!
//! The rules (the guide's "What a lease means"):
//! - a lease ends at the earliest of now + TTL, the close of the window occurrence, the end
//!   of the occurrence's budget (seats × daily limit) or of the holder's own daily limit, and
//!   the file's not-after;
//! - at no instant are more leases active than seats; an ended lease frees its seat;
//! - each grant or renewal charges the disjoint interval [charged until, new end) to the
//!   occurrence; a release refunds the unused part; an ended lease's charge stands;
//! - a clock more than the tolerance behind the stored high-water mark refuses everything
//!   with `ClockRollback`; a clock that jumps forward charges nothing that was not leased;
//!   only a decision someone asked for raises the mark (the periodic sweep never does);
//! - only the claimer acts on a lease: a renewal or release must carry the lease's secret, and
//!   a renewal's seq is the next one or the lease's own (a replay); anything else changes
//!   nothing;
//! - seats are the served file's seats now: when a revision lowers them, the newest holders'
//!   renewals are refused until the holders fit, so within one TTL no more hold than it says.

use crate::licenses::ServedLicense;
use crate::model::{Answer, Event, Lease, Millis, Refusal, Request, Snapshot, Write};
use chrono::{DateTime, TimeDelta, Utc};
use timefence_terms::{evaluate, Decision, DenyReason};

/// The relay's lease policy.
#[derive(Clone, Copy)]
pub struct Policy {
    /// How long a lease lasts between renewals.
    pub ttl_ms: Millis,
    /// How far the clock may go back before grants stop.
    pub clock_tolerance_ms: Millis,
    /// The key lease secrets are derived with (from the relay's own key, so every relay of a
    /// pair, which share that key, derives the same secret). A secret is
    /// HMAC-SHA256(key, lease id, nonce): nothing secret is stored, and a retried claim gets
    /// the same secret again.
    pub lease_key: [u8; 32],
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("ttl_ms", &self.ttl_ms)
            .field("clock_tolerance_ms", &self.clock_tolerance_ms)
            .finish_non_exhaustive()
    }
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            ttl_ms: 60_000,
            clock_tolerance_ms: 5_000,
            lease_key: [0; 32],
        }
    }
}

impl Policy {
    /// The lease key derived from the relay's signing key (domain-separated, so the secret
    /// reveals nothing about the signing key).
    pub fn lease_key_from(signing_key: &[u8; 32]) -> [u8; 32] {
        use sha2::Digest;
        let mut hash = sha2::Sha256::new();
        hash.update(b"timefence-relay lease secrets v1\0");
        hash.update(signing_key);
        hash.finalize().into()
    }

    /// The secret of `lease`: 256 bits, as 64 hex digits.
    pub fn secret(&self, lease: &Lease) -> String {
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.lease_key)
            .expect("HMAC takes a key of any length");
        mac.update(lease.id.as_bytes());
        mac.update(b"\0");
        mac.update(lease.nonce.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Whether `secret` is the secret of `lease` (compared in constant time).
    pub fn secret_matches(&self, lease: &Lease, secret: &str) -> bool {
        use subtle::ConstantTimeEq;
        let expected = self.secret(lease);
        expected.len() == secret.len() && bool::from(expected.as_bytes().ct_eq(secret.as_bytes()))
    }
}

/// The answer and the writes that make it durable.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// What the client hears.
    pub answer: Result<Answer, Refusal>,
    /// What the storage writes, in order, in the same transaction.
    pub writes: Vec<Write>,
}

/// What a refused renewal's recorded reason ends with (`OutsideWindowAtRenewal`): usage reports
/// keep renewals refused apart from claims refused.
pub const RENEWAL_SUFFIX: &str = "AtRenewal";

/// Converts milliseconds to a UTC instant (out-of-range values clamp to the epoch).
pub fn instant(ms: Millis) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Which occurrence and holder the request's charges concern, so the store reads just those:
/// for a claim, the occurrence open now (if any) and the claimant; for a renewal or release,
/// the lease's own.
pub fn charge_key(
    license: &ServedLicense,
    request: &Request,
    leases: &[Lease],
    now: Millis,
) -> Option<(String, String)> {
    match request {
        Request::Claim { holder, .. } => license
            .terms
            .occurrence_at(instant(now))
            .map(|o| (o.date.to_string(), holder.clone())),
        Request::Renew { lease, .. } | Request::Release { lease, .. } => leases
            .iter()
            .find(|l| &l.id == lease)
            .map(|l| (l.occurrence.clone(), l.holder.clone())),
        Request::Sweep => None,
    }
}

/// Applies the rules. `new_id` names a lease this request would create.
pub fn decide(
    license: &ServedLicense,
    policy: Policy,
    snapshot: &Snapshot<'_>,
    request: &Request,
    now: Millis,
    new_id: &str,
) -> Outcome {
    let mut writes = Vec::new();
    let refuse = |writes: Vec<Write>, refusal: Refusal, holder: Option<&str>| {
        let mut writes = writes;
        if refusal.is_recorded() {
            writes.push(Write::Record(Event {
                at: now,
                license: license.reference.clone(),
                lease: request.lease().map(str::to_string),
                holder: holder.map(str::to_string),
                kind: "refused".into(),
                // A renewal refused is a lease ending (at its window's close, its budget, a
                // lowered seat count), not someone asking for a seat: recorded apart, so usage
                // figures do not read it as a claim.
                reason: Some(match request {
                    Request::Renew { .. } => format!("{}{RENEWAL_SUFFIX}", refusal.kind()),
                    _ => refusal.kind().to_string(),
                }),
                charged_from: now,
                charged_to: now,
                occurrence: None,
            }));
        }
        Outcome {
            answer: Err(refusal),
            writes,
        }
    };
    let request_holder = match request {
        Request::Claim { holder, .. } => Some(holder.as_str()),
        _ => snapshot
            .leases
            .iter()
            .find(|l| Some(l.id.as_str()) == request.lease())
            .map(|l| l.holder.as_str()),
    };

    // The clock first: a relay whose clock went back decides nothing.
    if let Some(high_water) = snapshot.high_water {
        if now < high_water - policy.clock_tolerance_ms {
            if *request == Request::Sweep {
                // Nobody asked; nothing to record.
                return Outcome {
                    answer: Ok(Answer::Swept),
                    writes,
                };
            }
            return refuse(
                writes,
                Refusal::ClockRollback {
                    now: instant(now),
                    high_water: instant(high_water),
                },
                request_holder,
            );
        }
    }
    // Only a decision someone asked for raises the mark: a sweep at a glitching clock would
    // otherwise push every license's mark ahead, and refuse everything once the clock is right.
    if *request != Request::Sweep && snapshot.high_water.is_none_or(|h| now > h) {
        writes.push(Write::HighWater(now));
    }

    // Ended leases free their seats; their charge stands.
    let mut active = Vec::with_capacity(snapshot.leases.len());
    for lease in snapshot.leases {
        if lease.expires_at <= now {
            writes.push(Write::Delete(lease.id.clone()));
            let end = lease.expires_at;
            writes.push(lease_event(license, lease, "expired", end, end, end));
        } else {
            active.push(lease);
        }
    }

    match request {
        Request::Sweep => Outcome {
            answer: Ok(Answer::Swept),
            writes,
        },
        Request::Claim { holder, nonce } => {
            if let Some(same) = active
                .iter()
                .find(|l| &l.holder == holder && &l.nonce == nonce)
            {
                // A retried claim: the lease it already got, nothing charged again.
                return Outcome {
                    answer: Ok(Answer::Granted {
                        lease: (*same).clone(),
                        now,
                    }),
                    writes,
                };
            }
            let (occurrence, end) = match allowed_until(license, policy, snapshot, now, now) {
                Ok(window) => window,
                Err(refusal) => return refuse(writes, refusal, Some(holder)),
            };
            let in_use = active.len() as u32;
            if in_use >= license.terms.seats {
                return refuse(
                    writes,
                    Refusal::SeatsFull {
                        in_use,
                        seats: license.terms.seats,
                    },
                    Some(holder),
                );
            }
            let lease = Lease {
                id: new_id.to_string(),
                license: license.reference.clone(),
                holder: holder.clone(),
                nonce: nonce.clone(),
                seq: 0,
                occurrence: occurrence.clone(),
                granted_at: now,
                expires_at: end,
                charged_until: end,
            };
            writes.push(Write::Insert(lease.clone()));
            charge(&mut writes, license, &lease, "granted", now, now, end);
            Outcome {
                answer: Ok(Answer::Granted { lease, now }),
                writes,
            }
        }
        Request::Renew {
            lease: id,
            seq,
            secret,
        } => {
            let Some(lease) = active.iter().find(|l| &l.id == id) else {
                // Ended or unknown. After the window's close, say when it opens again.
                let refusal = match evaluate(&license.terms, instant(now), TimeDelta::zero()) {
                    Decision::Denied {
                        reason,
                        next_opening,
                    } => refusal_of(reason, next_opening),
                    Decision::Allowed { .. } => Refusal::LeaseNotHeld { lease: id.clone() },
                };
                return refuse(writes, refusal, request_holder);
            };
            if !policy.secret_matches(lease, secret) {
                // The same answer as for a lease that does not exist: a guesser learns nothing.
                return refuse(writes, Refusal::LeaseNotHeld { lease: id.clone() }, None);
            }
            if *seq == lease.seq {
                // A replayed renewal changes nothing.
                return Outcome {
                    answer: Ok(Answer::Renewed {
                        lease: (*lease).clone(),
                        now,
                    }),
                    writes,
                };
            }
            if Some(*seq) != lease.seq.checked_add(1) {
                return refuse(
                    writes,
                    Refusal::SeqConflict {
                        expected: lease.seq.saturating_add(1),
                        got: *seq,
                    },
                    None,
                );
            }
            // A revision may have lowered the seats: the oldest holders keep theirs, the newest
            // are refused (and their leases end within one TTL) until the holders fit.
            let seats = license.terms.seats as usize;
            if active.len() > seats {
                let older = active
                    .iter()
                    .filter(|l| (l.granted_at, &l.id) < (lease.granted_at, &lease.id))
                    .count();
                if older >= seats {
                    return refuse(
                        writes,
                        Refusal::SeatsFull {
                            in_use: active.len() as u32,
                            seats: license.terms.seats,
                        },
                        Some(&lease.holder),
                    );
                }
            }
            let base = lease.charged_until.max(now);
            let mut renewed = (*lease).clone();
            renewed.seq = *seq;
            match allowed_until(license, policy, snapshot, now, base) {
                Ok((occurrence, end)) if occurrence == lease.occurrence && end > base => {
                    charge(&mut writes, license, &renewed, "renewed", now, base, end);
                    renewed.expires_at = end;
                    renewed.charged_until = end;
                }
                // Nothing more to give in this occurrence (its close, or a budget the lease's own
                // prepaid time already spends): the lease keeps the time it has.
                Ok(_) | Err(Refusal::ConsumptionExhausted { .. }) => {
                    let end = renewed.charged_until;
                    charge(&mut writes, license, &renewed, "renewed", now, end, end);
                }
                Err(refusal) => return refuse(writes, refusal, Some(&lease.holder)),
            }
            writes.push(Write::Update(renewed.clone()));
            Outcome {
                answer: Ok(Answer::Renewed {
                    lease: renewed,
                    now,
                }),
                writes,
            }
        }
        Request::Release { lease: id, secret } => {
            let Some(lease) = active
                .iter()
                .find(|l| &l.id == id && policy.secret_matches(l, secret))
            else {
                return refuse(
                    writes,
                    Refusal::LeaseNotHeld { lease: id.clone() },
                    request_holder,
                );
            };
            let refund_from = now.max(lease.granted_at);
            let refunded = (lease.charged_until - refund_from).max(0);
            writes.push(Write::Delete(lease.id.clone()));
            let end = lease.charged_until;
            charge(
                &mut writes,
                license,
                lease,
                "released",
                now,
                end,
                end - refunded,
            );
            Outcome {
                answer: Ok(Answer::Released {
                    lease: (*lease).clone(),
                    refunded_ms: refunded,
                }),
                writes,
            }
        }
    }
}

/// The occurrence open now and how far a lease charged from `base` may run in it, or why not.
fn allowed_until(
    license: &ServedLicense,
    policy: Policy,
    snapshot: &Snapshot<'_>,
    now: Millis,
    base: Millis,
) -> Result<(String, Millis), Refusal> {
    if license.not_after.is_some_and(|n| now >= n) {
        return Err(Refusal::Expired);
    }
    let terms = &license.terms;
    let decision = evaluate(
        terms,
        instant(now),
        TimeDelta::milliseconds(snapshot.holder_charged),
    );
    let occurrence = match decision {
        Decision::Allowed { occurrence, .. } => occurrence,
        Decision::Denied {
            reason,
            next_opening,
        } => return Err(refusal_of(reason, next_opening)),
    };
    let mut end = (now + policy.ttl_ms)
        .min(occurrence.closes.timestamp_millis())
        .min(license.not_after.unwrap_or(Millis::MAX));
    if let Some(limit) = terms.daily_limit {
        let limit = limit.num_milliseconds();
        let pool = limit.saturating_mul(i64::from(terms.seats));
        end = end
            .min(base + (limit - snapshot.holder_charged))
            .min(base + (pool - snapshot.occurrence_charged));
    }
    if end <= now {
        return Err(Refusal::ConsumptionExhausted {
            next_opening: terms.next_opening_after(instant(now)).map(|o| o.opens),
        });
    }
    Ok((occurrence.date.to_string(), end))
}

fn refusal_of(reason: DenyReason, next_opening: Option<DateTime<Utc>>) -> Refusal {
    match reason {
        DenyReason::NotYetValid => Refusal::NotYetValid { next_opening },
        DenyReason::Expired => Refusal::Expired,
        DenyReason::WeekdayExcluded | DenyReason::OutsideWindow => {
            Refusal::OutsideWindow { next_opening }
        }
        DenyReason::ConsumptionExhausted => Refusal::ConsumptionExhausted { next_opening },
    }
}

/// A history line about a lease: `kind` at `at`, with the interval charged (`from < to`),
/// refunded (`to < from`) or neither (equal).
fn lease_event(
    license: &ServedLicense,
    lease: &Lease,
    kind: &str,
    at: Millis,
    from: Millis,
    to: Millis,
) -> Write {
    Write::Record(Event {
        at,
        license: license.reference.clone(),
        lease: Some(lease.id.clone()),
        holder: Some(lease.holder.clone()),
        kind: kind.into(),
        reason: None,
        charged_from: from,
        charged_to: to,
        occurrence: Some(lease.occurrence.clone()),
    })
}

/// Charges [from, to) to the lease's occurrence and holder (a refund when `to < from`), and
/// records it.
fn charge(
    writes: &mut Vec<Write>,
    license: &ServedLicense,
    lease: &Lease,
    kind: &str,
    now: Millis,
    from: Millis,
    to: Millis,
) {
    if to != from {
        writes.push(Write::Charge {
            occurrence: lease.occurrence.clone(),
            holder: lease.holder.clone(),
            ms: to - from,
        });
    }
    writes.push(lease_event(license, lease, kind, now, from, to));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::licenses::ServedLicense;
    use timefence_terms::TermsSpec;

    fn license(seats: i64, limit: Option<&str>) -> ServedLicense {
        let spec = TermsSpec {
            license_start_date: "2027-01-01".into(),
            license_end_date: "2027-12-31".into(),
            daily_start_time: "00:00".into(),
            daily_end_time: "08:00".into(),
            daily_time_consumption_limit: limit.map(str::to_string),
            time_zone: "UTC".into(),
            weekdays: None,
            seats,
            product: "p".into(),
            features: Default::default(),
        };
        ServedLicense {
            reference: "k-1".into(),
            identity: "1".into(),
            customer: "c".into(),
            name: "n".into(),
            serial: 1,
            terms: spec.validate().unwrap(),
            not_after: None,
            path: "x.lic".into(),
        }
    }

    const NOW: Millis = 1_804_122_000_000; // 2027-03-04T01:00:00Z

    fn claim(holder: &str) -> Request {
        Request::Claim {
            holder: holder.into(),
            nonce: "1".into(),
        }
    }

    #[test]
    fn a_grant_charges_its_interval_and_a_release_refunds_the_rest() {
        let l = license(1, Some("3h"));
        let granted = decide(
            &l,
            Policy::default(),
            &Snapshot::default(),
            &claim("a"),
            NOW,
            "k-1.x",
        );
        let Ok(Answer::Granted { lease, .. }) = granted.answer else {
            panic!("{:?}", granted.answer)
        };
        assert_eq!(lease.expires_at, NOW + 60_000);
        assert!(granted.writes.contains(&Write::Charge {
            occurrence: "2027-03-04".into(),
            holder: "a".into(),
            ms: 60_000
        }));
        let leases = [lease];
        let held = Snapshot {
            leases: &leases,
            occurrence_charged: 60_000,
            holder_charged: 60_000,
            high_water: Some(NOW),
        };
        let full = decide(&l, Policy::default(), &held, &claim("b"), NOW + 1, "k-1.y");
        assert_eq!(
            full.answer,
            Err(Refusal::SeatsFull {
                in_use: 1,
                seats: 1
            })
        );
        let release = Request::Release {
            lease: "k-1.x".into(),
            secret: Policy::default().secret(&leases[0]),
        };
        let released = decide(&l, Policy::default(), &held, &release, NOW + 20_000, "");
        assert!(matches!(
            released.answer,
            Ok(Answer::Released {
                refunded_ms: 40_000,
                ..
            })
        ));
        assert!(released.writes.contains(&Write::Charge {
            occurrence: "2027-03-04".into(),
            holder: "a".into(),
            ms: -40_000
        }));
    }

    #[test]
    fn a_clock_behind_the_high_water_mark_decides_nothing_and_a_sweep_records_nothing() {
        let l = license(5, None);
        let behind = Snapshot {
            high_water: Some(NOW),
            ..Snapshot::default()
        };
        let policy = Policy::default();
        let refused = decide(&l, policy, &behind, &claim("a"), NOW - 6_000, "k-1.x");
        assert!(matches!(refused.answer, Err(Refusal::ClockRollback { .. })));
        assert!(!refused
            .writes
            .iter()
            .any(|w| matches!(w, Write::Insert(_) | Write::HighWater(_))));
        let within = decide(&l, policy, &behind, &claim("a"), NOW - 4_000, "k-1.x");
        assert!(within.answer.is_ok(), "inside the tolerance");
        let sweep = decide(&l, policy, &behind, &Request::Sweep, NOW - 6_000, "");
        assert_eq!(sweep.answer, Ok(Answer::Swept));
        assert!(sweep.writes.is_empty());
    }
}
