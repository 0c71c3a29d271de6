//! HTTP/JSON under `/v1`, `/healthz` and `/metrics`.
//!
//! Every answer is JSON. A refusal is `{"error": {"type": ..., "data": ...}, "message": ...}`
//! with the status [`Refusal::status`] gives; bad input of any kind (malformed JSON, unknown
//! fields, a body over [`MAX_BODY`], names too long) is a `BadRequest` and changes nothing.

use crate::licenses::{self, Served, ServedLicense};
use crate::logic::instant;
use crate::model::{
    lease_license, Answer, Lease, Refusal, Request, MAX_BODY, MAX_HOLDER, MAX_NONCE,
};
use crate::store::Store;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use ed25519_dalek::SigningKey;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use timefence_license::relay::{sign_token, LeaseClaims};
use timefence_license::TrustedKeys;

/// Latency histogram bucket bounds, in seconds.
const BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5,
];

/// Counters for `/metrics`.
#[derive(Default)]
pub struct Metrics {
    grants: AtomicU64,
    renewals: AtomicU64,
    releases: AtomicU64,
    refusals: Mutex<BTreeMap<&'static str, u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_micros: AtomicU64,
}

impl Metrics {
    fn observe(&self, started: Instant) {
        let seconds = started.elapsed().as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    fn refused(&self, refusal: &Refusal) {
        if let Ok(mut map) = self.refusals.lock() {
            *map.entry(refusal.kind()).or_default() += 1;
        }
    }
}

/// What every handler shares.
pub struct Relay {
    /// The licenses served now; replaced whole when the folder changes.
    pub served: RwLock<Arc<Served>>,
    /// Where leases live.
    pub store: Store,
    /// Signs lease tokens.
    pub key: SigningKey,
    /// The vendor keys license files must verify against.
    pub trusted: TrustedKeys,
    /// The licenses folder.
    pub folder: PathBuf,
    /// Counters.
    pub metrics: Metrics,
}

impl Relay {
    /// The licenses served now (cheap: the whole set is shared and replaced, never edited).
    pub fn served_now(&self) -> Arc<Served> {
        self.served.read().map(|s| s.clone()).unwrap_or_default()
    }

    fn license(&self, reference: &str) -> Option<Arc<ServedLicense>> {
        self.served_now().licenses.get(reference).cloned()
    }

    /// Reads the folder again if it changed; returns whether it did.
    pub fn reload(&self, last: &mut Vec<(PathBuf, u64, Option<std::time::SystemTime>)>) -> bool {
        let now = licenses::fingerprint(&self.folder);
        if &now == last {
            return false;
        }
        *last = now;
        let previous = self.served_now();
        let fresh = licenses::load(&self.folder, &self.trusted, Some(&previous));
        for skipped in &fresh.skipped {
            eprintln!(
                "timefence-relay: not serving {}: {}",
                skipped.path.display(),
                skipped.reason
            );
        }
        eprintln!(
            "timefence-relay: serving {} license(s) from {}",
            fresh.licenses.len(),
            self.folder.display()
        );
        if let Ok(mut served) = self.served.write() {
            *served = Arc::new(fresh);
        }
        true
    }
}

/// Watches the folder every `interval` and reloads it when it changes.
pub fn watch(relay: Arc<Relay>, interval: Duration) {
    tokio::spawn(async move {
        let mut last = licenses::fingerprint(&relay.folder);
        loop {
            tokio::time::sleep(interval).await;
            let relay = relay.clone();
            let mut seen = std::mem::take(&mut last);
            last = tokio::task::spawn_blocking(move || {
                relay.reload(&mut seen);
                seen
            })
            .await
            .unwrap_or_default();
        }
    });
}

/// Every `interval`, records the end of leases that ran out on every served license.
pub fn sweep(relay: Arc<Relay>, interval: Duration) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            let served = relay.served_now();
            for license in served.licenses.values() {
                // A failure (the database away) is retried at the next sweep.
                let _ = relay.store.submit(license.clone(), Request::Sweep).await;
            }
        }
    });
}

/// The routes.
pub fn router(relay: Arc<Relay>) -> Router {
    Router::new()
        .route("/v1/licenses", get(list))
        .route("/v1/licenses/{license}", get(one))
        .route("/v1/licenses/{license}/leases", post(claim))
        .route("/v1/leases/{lease}", put(renew).delete(release))
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .fallback(|| async {
            refusal(Refusal::BadRequest {
                message: "no such endpoint".into(),
            })
            .with_status(StatusCode::NOT_FOUND)
        })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(relay)
}

struct Refused(Refusal, StatusCode);

fn refusal(refusal: Refusal) -> Refused {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
    Refused(refusal, status)
}

impl Refused {
    fn with_status(self, status: StatusCode) -> Refused {
        Refused(self.0, status)
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let message = self.0.to_string();
        (self.1, Json(json!({ "error": self.0, "message": message }))).into_response()
    }
}

fn bad(message: impl Into<String>) -> Refused {
    refusal(Refusal::BadRequest {
        message: message.into(),
    })
}

/// Parses a JSON body, turning every way it can be wrong into a typed `BadRequest`.
fn body<T: for<'de> Deserialize<'de>>(bytes: Result<Bytes, BytesRejection>) -> Result<T, Refused> {
    let bytes = bytes.map_err(|rejection| {
        let status = rejection.status();
        bad(format!(
            "the body could not be read: {}",
            rejection.body_text()
        ))
        .with_status(status)
    })?;
    serde_json::from_slice(&bytes).map_err(|e| bad(format!("the body is not valid: {e}")))
}

fn check_name(field: &str, value: &str, max: usize) -> Result<(), Refused> {
    if value.trim().is_empty() {
        return Err(bad(format!("{field} is empty")));
    }
    if value.len() > max {
        return Err(bad(format!("{field} is longer than {max} bytes")));
    }
    if value.chars().any(char::is_control) {
        return Err(bad(format!("{field} contains control characters")));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimBody {
    holder: String,
    nonce: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RenewBody {
    seq: u64,
}

fn lease_json(relay: &Relay, lease: &Lease) -> Value {
    let token = sign_token(
        &LeaseClaims {
            lease: lease.id.clone(),
            license: lease.license.clone(),
            holder: lease.holder.clone(),
            seq: lease.seq,
            expires_at_ms: lease.expires_at,
        },
        &relay.key,
    );
    json!({
        "id": lease.id,
        "license": lease.license,
        "holder": lease.holder,
        "seq": lease.seq,
        "occurrence": lease.occurrence,
        "granted_at_ms": lease.granted_at,
        "expires_at": instant(lease.expires_at),
        "expires_at_ms": lease.expires_at,
        "token": token,
    })
}

async fn run(relay: &Relay, license: Arc<ServedLicense>, request: Request) -> Response {
    let started = Instant::now();
    let outcome = relay.store.submit(license, request).await;
    relay.metrics.observe(started);
    match outcome {
        Ok(Ok(answer)) => match answer {
            Answer::Granted(lease) => {
                relay.metrics.grants.fetch_add(1, Ordering::Relaxed);
                (
                    StatusCode::CREATED,
                    Json(json!({ "lease": lease_json(relay, &lease) })),
                )
                    .into_response()
            }
            Answer::Renewed(lease) => {
                relay.metrics.renewals.fetch_add(1, Ordering::Relaxed);
                Json(json!({ "lease": lease_json(relay, &lease) })).into_response()
            }
            Answer::Swept => Json(json!({ "swept": true })).into_response(),
            Answer::Released { lease, refunded_ms } => {
                relay.metrics.releases.fetch_add(1, Ordering::Relaxed);
                Json(json!({ "released": lease.id, "refunded_ms": refunded_ms })).into_response()
            }
        },
        Ok(Err(refused)) => {
            relay.metrics.refused(&refused);
            refusal(refused).into_response()
        }
        Err(error) => {
            let refused = Refusal::from(error);
            relay.metrics.refused(&refused);
            refusal(refused).into_response()
        }
    }
}

async fn claim(
    State(relay): State<Arc<Relay>>,
    Path(reference): Path<String>,
    bytes: Result<Bytes, BytesRejection>,
) -> Response {
    let parsed: ClaimBody = match body(bytes) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = check_name("holder", &parsed.holder, MAX_HOLDER)
        .and_then(|_| check_name("nonce", &parsed.nonce, MAX_NONCE))
    {
        return e.into_response();
    }
    let Some(license) = relay.license(&reference) else {
        return unknown_license(&reference).into_response();
    };
    let request = Request::Claim {
        holder: parsed.holder,
        nonce: parsed.nonce,
    };
    run(&relay, license, request).await
}

fn unknown_license(reference: &str) -> Refused {
    refusal(Refusal::UnknownLicense {
        license: reference.chars().take(100).collect(),
    })
}

fn lease_owner(relay: &Relay, lease: &str) -> Result<Arc<ServedLicense>, Refused> {
    let not_held = || {
        refusal(Refusal::LeaseNotHeld {
            lease: lease.chars().take(200).collect(),
        })
    };
    let reference = lease_license(lease).ok_or_else(not_held)?;
    relay.license(reference).ok_or_else(not_held)
}

async fn renew(
    State(relay): State<Arc<Relay>>,
    Path(lease): Path<String>,
    bytes: Result<Bytes, BytesRejection>,
) -> Response {
    let parsed: RenewBody = match body(bytes) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    match lease_owner(&relay, &lease) {
        Ok(license) => {
            run(
                &relay,
                license,
                Request::Renew {
                    lease,
                    seq: parsed.seq,
                },
            )
            .await
        }
        Err(e) => e.into_response(),
    }
}

async fn release(State(relay): State<Arc<Relay>>, Path(lease): Path<String>) -> Response {
    match lease_owner(&relay, &lease) {
        Ok(license) => run(&relay, license, Request::Release { lease }).await,
        Err(e) => e.into_response(),
    }
}

fn license_json(license: &ServedLicense) -> Value {
    let t = &license.terms;
    json!({
        "license": license.reference,
        "customer": license.customer,
        "name": license.name,
        "serial": license.serial,
        "seats": t.seats,
        "window": t.window.describe(),
        "time_zone": t.zone.name(),
        "start_date": t.start_date.to_string(),
        "end_date": t.end_date.to_string(),
        "daily_limit_ms": t.daily_limit.map(|d| d.num_milliseconds()),
        "not_after": license.not_after.map(instant),
    })
}

async fn list(State(relay): State<Arc<Relay>>) -> Response {
    let served = relay.served_now();
    let licenses: Vec<Value> = served.licenses.values().map(|l| license_json(l)).collect();
    let skipped: Vec<Value> = served
        .skipped
        .iter()
        .map(|s| json!({ "file": s.path.display().to_string(), "reason": s.reason }))
        .collect();
    Json(json!({ "licenses": licenses, "not_served": skipped })).into_response()
}

async fn one(State(relay): State<Arc<Relay>>, Path(reference): Path<String>) -> Response {
    let Some(license) = relay.license(&reference) else {
        return unknown_license(&reference).into_response();
    };
    let usage = match relay.store.usage(license.clone()).await {
        Ok(u) => u,
        Err(e) => return refusal(e.into()).into_response(),
    };
    let now = instant(usage.now);
    let t = &license.terms;
    let window = match t.occurrence_at(now) {
        Some(o) => json!({
            "open": true,
            "occurrence": o.date.to_string(),
            "closes_at": o.closes,
            "charged_ms": usage.occurrence_charged,
            "budget_ms": t.daily_limit.map(|l| l.num_milliseconds() * i64::from(t.seats)),
        }),
        None => json!({
            "open": false,
            "next_opening": t.next_opening_after(now).map(|o| o.opens),
        }),
    };
    let holders: Vec<Value> = usage
        .active
        .iter()
        .map(|l| json!({ "holder": l.holder, "lease": l.id, "expires_at": instant(l.expires_at) }))
        .collect();
    let mut body = license_json(&license);
    body["in_use"] = json!(usage.active.len());
    body["holders"] = json!(holders);
    body["window_state"] = window;
    body["now"] = json!(now);
    Json(body).into_response()
}

async fn health(State(relay): State<Arc<Relay>>) -> Response {
    let count = relay.served_now().licenses.len();
    Json(json!({ "status": "ok", "storage": relay.store.engine(), "licenses": count }))
        .into_response()
}

async fn metrics(State(relay): State<Arc<Relay>>) -> Response {
    let m = &relay.metrics;
    let mut out = String::new();
    out.push_str("# HELP timefence_relay_active_leases Leases active now, per license.\n");
    out.push_str("# TYPE timefence_relay_active_leases gauge\n");
    let served = relay.served_now();
    for license in served.licenses.values() {
        if let Ok(usage) = relay.store.usage(license.clone()).await {
            out.push_str(&format!(
                "timefence_relay_active_leases{{license=\"{}\"}} {}\n",
                license.reference,
                usage.active.len()
            ));
        }
    }
    out.push_str("# HELP timefence_relay_answers_total Grants, renewals and releases.\n");
    out.push_str("# TYPE timefence_relay_answers_total counter\n");
    for (kind, counter) in [
        ("grant", &m.grants),
        ("renewal", &m.renewals),
        ("release", &m.releases),
    ] {
        out.push_str(&format!(
            "timefence_relay_answers_total{{kind=\"{kind}\"}} {}\n",
            counter.load(Ordering::Relaxed)
        ));
    }
    out.push_str("# HELP timefence_relay_refusals_total Refusals by reason.\n");
    out.push_str("# TYPE timefence_relay_refusals_total counter\n");
    if let Ok(map) = m.refusals.lock() {
        for (reason, n) in map.iter() {
            out.push_str(&format!(
                "timefence_relay_refusals_total{{reason=\"{reason}\"}} {n}\n"
            ));
        }
    }
    out.push_str(
        "# HELP timefence_relay_request_seconds Time to decide and store a lease request.\n",
    );
    out.push_str("# TYPE timefence_relay_request_seconds histogram\n");
    for (bound, bucket) in BUCKETS.iter().zip(&m.buckets) {
        out.push_str(&format!(
            "timefence_relay_request_seconds_bucket{{le=\"{bound}\"}} {}\n",
            bucket.load(Ordering::Relaxed)
        ));
    }
    let count = m.latency_count.load(Ordering::Relaxed);
    out.push_str(&format!(
        "timefence_relay_request_seconds_bucket{{le=\"+Inf\"}} {count}\n"
    ));
    out.push_str(&format!(
        "timefence_relay_request_seconds_sum {}\n",
        m.latency_micros.load(Ordering::Relaxed) as f64 / 1e6
    ));
    out.push_str(&format!("timefence_relay_request_seconds_count {count}\n"));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
