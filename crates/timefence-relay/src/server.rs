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
use axum::extract::Request as HttpRequest;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
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
use subtle::ConstantTimeEq;
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
    /// The lease rules' settings (the lease key among them).
    pub policy: crate::logic::Policy,
    /// Client tokens (SHA-256 of each), when the customer turned bearer authentication on.
    pub client_tokens: Option<Vec<[u8; 32]>>,
    /// The longest a whole request may take.
    pub request_timeout: Duration,
    /// When a clock refusal was last logged (milliseconds of the relay's uptime), so a clock
    /// gone back is logged once every few seconds, not once per request.
    pub clock_logged: AtomicU64,
    /// When a storage failure was last logged, and how many were not since.
    pub storage_logged: AtomicU64,
    /// See `storage_logged`.
    pub storage_unlogged: AtomicU64,
    /// When the relay started.
    pub started: Instant,
}

impl Relay {
    /// The licenses served now (cheap: the whole set is shared and replaced, never edited).
    pub fn served_now(&self) -> Arc<Served> {
        self.served.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// Logs a storage failure: the first at once, then at most one line a second saying how
    /// many more there were. A database that is away fails every request, and a log written
    /// that fast could block the relay on a full pipe or journal.
    fn log_storage(&self, error: &crate::store::StoreError) {
        let uptime = self.started.elapsed().as_millis() as u64 + 1;
        let last = self.storage_logged.load(Ordering::Relaxed);
        if (last == 0 || uptime >= last + 1_000)
            && self
                .storage_logged
                .compare_exchange(last, uptime, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let more = self.storage_unlogged.swap(0, Ordering::Relaxed);
            if more > 0 {
                eprintln!("timefence-relay: storage: {error} (and {more} more failures)");
            } else {
                eprintln!("timefence-relay: storage: {error}");
            }
        } else {
            self.storage_unlogged.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Logs a clock refusal, at most once every 10 s.
    fn log_clock(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        high_water: chrono::DateTime<chrono::Utc>,
    ) {
        let uptime = self.started.elapsed().as_millis() as u64 + 1;
        let last = self.clock_logged.load(Ordering::Relaxed);
        if (last == 0 || uptime >= last + 10_000)
            && self
                .clock_logged
                .compare_exchange(last, uptime, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            eprintln!(
                "timefence-relay: refusing with ClockRollback: the clock reads {now}, but a decision was already made at {high_water}; if the clock is right now, `timefence-relay clock --reset` lowers the marks"
            );
        }
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
    let api = Router::new()
        .route("/v1/licenses", get(list))
        .route("/v1/licenses/{license}", get(one))
        .route("/v1/licenses/{license}/leases", post(claim))
        .route("/v1/leases/{lease}", put(renew).delete(release))
        .route_layer(middleware::from_fn_with_state(relay.clone(), authenticate));
    Router::new()
        .merge(api)
        .route("/healthz", get(health))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .fallback(|| async {
            refusal(Refusal::BadRequest {
                message: "no such endpoint".into(),
            })
            .with_status(StatusCode::NOT_FOUND)
        })
        .method_not_allowed_fallback(|| async {
            refusal(Refusal::BadRequest {
                message: "this endpoint does not take that method".into(),
            })
            .with_status(StatusCode::METHOD_NOT_ALLOWED)
        })
        .layer(middleware::from_fn_with_state(relay.clone(), time_limit))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(relay)
}

/// The whole request, body included, within the relay's request timeout: a client dripping
/// its body cannot hold a task for longer.
async fn time_limit(State(relay): State<Arc<Relay>>, request: HttpRequest, next: Next) -> Response {
    match tokio::time::timeout(relay.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => refusal(Refusal::BadRequest {
            message: "the request took too long to arrive".into(),
        })
        .with_status(StatusCode::REQUEST_TIMEOUT)
        .into_response(),
    }
}

/// With client tokens on, every `/v1` request carries `Authorization: Bearer TOKEN`.
async fn authenticate(
    State(relay): State<Arc<Relay>>,
    request: HttpRequest,
    next: Next,
) -> Response {
    let Some(tokens) = &relay.client_tokens else {
        return next.run(request).await;
    };
    // A refusal reads the request's body first (as much as any request may have): answered
    // with its body unread, the connection was closed or kept depending on whether the body
    // had arrived by then, and a client reusing it (a wrong token, then the right one) saw
    // the connection end under its next request.
    let refused = |request: HttpRequest, message: &str| {
        let message = message.to_string();
        async move {
            let _ = axum::body::to_bytes(request.into_body(), MAX_BODY).await;
            refusal(Refusal::Unauthorized { message }).into_response()
        }
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(given) = given.map(str::to_string) else {
        return refused(request, "this relay requires Authorization: Bearer TOKEN").await;
    };
    let hash: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(given.as_bytes()).into();
    let known = tokens
        .iter()
        .fold(subtle::Choice::from(0), |found, t| found | t.ct_eq(&hash));
    if !bool::from(known) {
        return refused(request, "the token is not one this relay accepts").await;
    }
    next.run(request).await
}

/// Reads a client tokens file: one token per line (blank lines and `#` comments skipped), at
/// least 16 characters each. Kept only as SHA-256 hashes.
pub fn read_client_tokens(text: &str) -> Result<Vec<[u8; 32]>, String> {
    let mut tokens = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.len() < 16 {
            return Err(format!(
                "line {}: a token must be at least 16 characters long",
                n + 1
            ));
        }
        tokens.push(<sha2::Sha256 as sha2::Digest>::digest(line.as_bytes()).into());
    }
    if tokens.is_empty() {
        return Err("the file holds no token".into());
    }
    Ok(tokens)
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
    // serde reads a struct from a JSON array too (`["h", "n"]`): only an object is a body.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(bad("the body is not valid: it must be a JSON object"));
    }
    serde_json::from_slice(&bytes).map_err(|e| bad(format!("the body is not valid: {e}")))
}

/// The lease secret a renewal or release carries in its `Lease-Secret` header.
fn secret(headers: &HeaderMap) -> Result<String, Refused> {
    let value = headers
        .get(SECRET_HEADER)
        .ok_or_else(|| bad("the Lease-Secret header is missing (the claim's answer gave it)"))?;
    let text = value
        .to_str()
        .map_err(|_| bad("the Lease-Secret header is not text"))?;
    if text.is_empty() || text.len() > 128 {
        return Err(bad(
            "the Lease-Secret header is empty or longer than 128 bytes",
        ));
    }
    Ok(text.to_string())
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

/// The header that carries a lease's secret on a renewal or release.
pub const SECRET_HEADER: &str = "lease-secret";

fn lease_json(relay: &Relay, lease: &Lease, now: crate::model::Millis, with_secret: bool) -> Value {
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
    let mut value = json!({
        "id": lease.id,
        "license": lease.license,
        "holder": lease.holder,
        "seq": lease.seq,
        "occurrence": lease.occurrence,
        "granted_at_ms": lease.granted_at,
        "expires_at": instant(lease.expires_at),
        "expires_at_ms": lease.expires_at,
        // The time left by the relay's clock when it decided: a client counts it down on its
        // own monotonic clock, so neither clock's error nor a clock set back moves it.
        "remaining_ms": (lease.expires_at - now).max(0),
        "token": token,
    });
    if with_secret {
        // Only the claimer hears it: the claim's answer (and a retry of that claim, which
        // only the claimer can make, knowing its nonce).
        value["secret"] = json!(relay.policy.secret(lease));
    }
    value
}

async fn run(relay: &Relay, license: Arc<ServedLicense>, request: Request) -> Response {
    let started = Instant::now();
    let outcome = relay.store.submit(license, request).await;
    relay.metrics.observe(started);
    match outcome {
        Ok(Ok(answer)) => match answer {
            Answer::Granted { lease, now } => {
                relay.metrics.grants.fetch_add(1, Ordering::Relaxed);
                (
                    StatusCode::CREATED,
                    Json(json!({ "lease": lease_json(relay, &lease, now, true) })),
                )
                    .into_response()
            }
            Answer::Renewed { lease, now } => {
                relay.metrics.renewals.fetch_add(1, Ordering::Relaxed);
                Json(json!({ "lease": lease_json(relay, &lease, now, false) })).into_response()
            }
            Answer::Swept => Json(json!({ "swept": true })).into_response(),
            Answer::Released { lease, refunded_ms } => {
                relay.metrics.releases.fetch_add(1, Ordering::Relaxed);
                Json(json!({ "released": lease.id, "refunded_ms": refunded_ms })).into_response()
            }
        },
        Ok(Err(refused)) => {
            relay.metrics.refused(&refused);
            if let Refusal::ClockRollback { now, high_water } = &refused {
                relay.log_clock(*now, *high_water);
            }
            refusal(refused).into_response()
        }
        Err(error) => {
            // The database's own words stay in the relay's log; the client hears that it may
            // try again.
            relay.log_storage(&error);
            let refused = Refusal::Unavailable {
                message: "the relay's storage did not answer; try again shortly".into(),
            };
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
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> Response {
    let parsed: RenewBody = match body(bytes) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let secret = match secret(&headers) {
        Ok(s) => s,
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
                    secret,
                },
            )
            .await
        }
        Err(e) => e.into_response(),
    }
}

async fn release(
    State(relay): State<Arc<Relay>>,
    Path(lease): Path<String>,
    headers: HeaderMap,
) -> Response {
    let secret = match secret(&headers) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    match lease_owner(&relay, &lease) {
        Ok(license) => run(&relay, license, Request::Release { lease, secret }).await,
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
        // Who holds a seat and until when; never the lease id or anything that acts on it.
        .map(|l| json!({ "holder": l.holder, "expires_at": instant(l.expires_at) }))
        .collect();
    let mut body = license_json(&license);
    body["in_use"] = json!(usage.active.len());
    body["holders"] = json!(holders);
    body["window_state"] = window;
    body["now"] = json!(now);
    Json(body).into_response()
}

/// What is wrong now, if anything: no licenses served (and why not), the clock behind a
/// time a decision was made at, the storage not answering.
async fn problems(relay: &Relay) -> (Vec<Value>, usize) {
    let served = relay.served_now();
    let count = served.licenses.len();
    let mut problems = Vec::new();
    if count == 0 {
        let reasons: Vec<String> = served
            .skipped
            .iter()
            .map(|s| format!("{}: {}", s.path.display(), s.reason))
            .collect();
        problems.push(json!({
            "type": "NoLicensesServed",
            "message": if reasons.is_empty() {
                format!("no license files in {}", relay.folder.display())
            } else {
                format!("no license file verifies: {}", reasons.join("; "))
            },
        }));
    }
    match tokio::time::timeout(Duration::from_secs(5), relay.store.marks()).await {
        Ok(Ok((now, marks))) => {
            if let Some((license, mark)) = marks.iter().max_by_key(|(_, m)| *m) {
                if now < mark - relay.policy.clock_tolerance_ms {
                    problems.push(json!({
                        "type": "ClockRollback",
                        "message": format!(
                            "the clock reads {}, but {license} was decided at {}: every request is refused until the clock catches up or `timefence-relay clock --reset`",
                            instant(now), instant(*mark)
                        ),
                    }));
                }
            }
        }
        Ok(Err(e)) => {
            relay.log_storage(&e);
            problems.push(json!({ "type": "StorageUnavailable", "message": "the storage does not answer" }));
        }
        Err(_) => problems.push(json!({ "type": "StorageUnavailable", "message": "the storage did not answer within 5 s" })),
    }
    (problems, count)
}

/// Liveness: the process answers (always 200), with what is wrong, if anything.
async fn health(State(relay): State<Arc<Relay>>) -> Response {
    let (problems, count) = problems(&relay).await;
    let status = if problems.is_empty() {
        "ok"
    } else {
        "degraded"
    };
    Json(json!({ "status": status, "storage": relay.store.engine(), "licenses": count, "problems": problems }))
        .into_response()
}

/// Readiness, for load balancers: 200 when the relay can grant seats, 503 with the problems
/// when it cannot.
async fn ready(State(relay): State<Arc<Relay>>) -> Response {
    let (problems, count) = problems(&relay).await;
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({ "ready": problems.is_empty(), "licenses": count, "problems": problems })),
    )
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
