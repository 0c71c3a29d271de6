//! The seat-server client (feature `relay-client`): claim a seat from a Timefence Relay, keep
//! it renewed in the background, give it back when dropped.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use timefence_license::{client::RelayClient, relay::read_certificate, verify, TrustedKeys};
//! let mut vendor = TrustedKeys::default();
//! vendor.add_base64("...the vendor's public key...")?;
//! let license = verify(&std::fs::read_to_string("acme.lic")?, &vendor)?;
//! let certificate = read_certificate(&std::fs::read_to_string("relay.cert")?, &vendor)?;
//! // Two relays of a pair: the client tries them in turn.
//! let client = RelayClient::with_relays(
//!     &["https://relay-a.acme.example:7420", "https://relay-b.acme.example:7420"],
//!     license, certificate, "agent-17",
//! )?;
//! let seat = client.claim()?; // Err(ClientError::Refused { kind: "SeatsFull", .. }) when full
//! // ... work while seat.is_held() ...
//! drop(seat); // released
//! # Ok(()) }
//! ```
//!
//! Every token the relay returns is checked against the chain vendor key → relay certificate
//! → token → this holder and license ([`verify_lease`]); a relay that is not certified for this
//! license cannot hand out seats for it. A lease whose token does not hold is released at
//! once, so a rejected answer never blocks a seat.
//!
//! Time: whether the seat is still held is measured on this machine's monotonic clock, from
//! when the request was sent, for the time left the relay gave (`remaining_ms`): neither this
//! machine's wall clock nor its difference from the relay's moves it. A relay whose clock went
//! back (`ClockRollback`) or whose storage is away (`Unavailable`) is the relay's problem: the
//! seat stays held for the time already granted while the client keeps trying (every relay
//! given, in turn), and only if that time runs out is the seat lost, with that reason.

use crate::relay::{
    license_ref, verify_lease, LeaseClaims, RelayCertificate, TrustError, Withdrawals,
};
use crate::VerifiedLicense;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Why a seat was not obtained or was lost.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The relay said no: `kind` is its refusal type (`SeatsFull`, `OutsideWindow`,
    /// `ConsumptionExhausted`, `Expired`, `NotYetValid`, `ClockRollback`, `UnknownLicense`,
    /// `LeaseNotHeld`, `BadRequest`, `Unavailable`).
    #[error("the relay refused ({kind}): {message}")]
    Refused {
        /// The refusal's type.
        kind: String,
        /// The relay's words.
        message: String,
        /// The refusal's data, as JSON text (seats in use, the next opening...).
        data: String,
    },
    /// The relay could not be reached.
    #[error("the relay cannot be reached: {0}")]
    Transport(String),
    /// The relay's answer is not what a relay sends.
    #[error("the relay's answer is malformed: {0}")]
    Malformed(String),
    /// The token, the certificate or the chain between them does not hold.
    #[error(transparent)]
    Untrusted(#[from] TrustError),
}

impl ClientError {
    /// The error's code, the same in every binding.
    pub fn kind(&self) -> &str {
        match self {
            ClientError::Refused { kind, .. } => kind,
            ClientError::Transport(_) => "Transport",
            ClientError::Malformed(_) => "Malformed",
            ClientError::Untrusted(e) => e.kind(),
        }
    }
}

/// Talks to one or more relays (tried in turn) about one license for one holder.
#[derive(Clone)]
pub struct RelayClient {
    bases: Arc<Vec<String>>,
    /// The relay that answered last: asked first next time.
    current: Arc<AtomicUsize>,
    agent: ureq::Agent,
    license: Arc<VerifiedLicense>,
    certificate: Arc<RelayCertificate>,
    holder: String,
    bearer: Option<String>,
}

/// The header a renewal or release carries the lease's secret in.
const SECRET_HEADER: &str = "Lease-Secret";

/// A relay's refusal type that means "try again, here or at the next relay".
fn relay_trouble(error: &ClientError) -> bool {
    match error {
        ClientError::Transport(_) => true,
        ClientError::Refused { kind, .. } => kind == "Unavailable" || kind == "ClockRollback",
        _ => false,
    }
}

fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    // Falls back to a clock-and-counter nonce only if the OS has no randomness to give.
    if getrandom::getrandom(&mut bytes).is_err() {
        static CLAIMS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = CLAIMS.fetch_add(1, Ordering::Relaxed);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        bytes = (t ^ (u128::from(n) << 64) ^ u128::from(std::process::id())).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl RelayClient {
    /// A client for `license` at the relay `base_url` (`https://host:7420`), which must be
    /// certified for it. HTTPS uses the system's usual web roots; give your own agent with
    /// [`RelayClient::with_agent`] for a private CA.
    pub fn new(
        base_url: &str,
        license: VerifiedLicense,
        certificate: RelayCertificate,
        holder: &str,
    ) -> Result<RelayClient, ClientError> {
        RelayClient::with_relays(&[base_url], license, certificate, holder)
    }

    /// A client for several relays sharing one database (a pair behind no load balancer):
    /// a relay that cannot be reached, or answers `Unavailable` or `ClockRollback`, is passed
    /// over for the next.
    pub fn with_relays(
        base_urls: &[&str],
        license: VerifiedLicense,
        certificate: RelayCertificate,
        holder: &str,
    ) -> Result<RelayClient, ClientError> {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(10))
            .build();
        RelayClient::with_agent_and_relays(agent, base_urls, license, certificate, holder)
    }

    /// As [`RelayClient::new`], with an HTTP agent configured by the caller.
    pub fn with_agent(
        agent: ureq::Agent,
        base_url: &str,
        license: VerifiedLicense,
        certificate: RelayCertificate,
        holder: &str,
    ) -> Result<RelayClient, ClientError> {
        RelayClient::with_agent_and_relays(agent, &[base_url], license, certificate, holder)
    }

    /// As [`RelayClient::with_relays`], with an HTTP agent configured by the caller.
    pub fn with_agent_and_relays(
        agent: ureq::Agent,
        base_urls: &[&str],
        license: VerifiedLicense,
        certificate: RelayCertificate,
        holder: &str,
    ) -> Result<RelayClient, ClientError> {
        certificate.covers(&license)?;
        if base_urls.is_empty() {
            return Err(ClientError::Transport("no relay address given".into()));
        }
        Ok(RelayClient {
            bases: Arc::new(
                base_urls
                    .iter()
                    .map(|b| b.trim_end_matches('/').to_string())
                    .collect(),
            ),
            current: Arc::new(AtomicUsize::new(0)),
            agent,
            license: Arc::new(license),
            certificate: Arc::new(certificate),
            holder: holder.to_string(),
            bearer: None,
        })
    }

    /// Refuses the relay when the vendor's withdrawal list names its certificate
    /// ([`crate::relay::read_withdrawals`]): an application given the list stops trusting a
    /// relay the vendor withdrew, whatever that relay goes on signing.
    pub fn with_withdrawals(self, list: &Withdrawals) -> Result<RelayClient, ClientError> {
        list.check(&self.certificate)?;
        Ok(self)
    }

    /// Sends `Authorization: Bearer TOKEN` with every request (a relay started with
    /// `--client-tokens`).
    pub fn with_bearer_token(mut self, token: &str) -> RelayClient {
        self.bearer = Some(token.to_string());
        self
    }

    /// One request at one relay.
    fn call_one(
        &self,
        base: &str,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
        secret: Option<&str>,
    ) -> Result<serde_json::Value, ClientError> {
        let mut request = self.agent.request(method, &format!("{base}{path}"));
        if let Some(secret) = secret {
            request = request.set(SECRET_HEADER, secret);
        }
        if let Some(token) = &self.bearer {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        let result = match body {
            Some(b) => request.send_json(b.clone()),
            None => request.call(),
        };
        let (ok, response) = match result {
            Ok(r) => (true, r),
            Err(ureq::Error::Status(_, r)) => (false, r),
            Err(e) => return Err(ClientError::Transport(e.to_string())),
        };
        let value: serde_json::Value = response
            .into_json()
            .map_err(|e| ClientError::Malformed(e.to_string()))?;
        if ok {
            Ok(value)
        } else {
            Err(ClientError::Refused {
                kind: value["error"]["type"]
                    .as_str()
                    .unwrap_or("Unknown")
                    .to_string(),
                message: value["message"].as_str().unwrap_or("").to_string(),
                data: value["error"]["data"].to_string(),
            })
        }
    }

    /// One request, at each relay in turn from the one that answered last, until one gives an
    /// answer that is not the relay's own trouble. Every request the client sends is safe to
    /// repeat at another relay: a claim carries its nonce, a renewal its seq.
    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
        secret: Option<&str>,
    ) -> Result<serde_json::Value, ClientError> {
        let first = self.current.load(Ordering::Relaxed);
        let mut last = None;
        for step in 0..self.bases.len() {
            let index = (first + step) % self.bases.len();
            match self.call_one(&self.bases[index], method, path, body.as_ref(), secret) {
                Err(e) if relay_trouble(&e) => last = Some(e),
                answer => {
                    self.current.store(index, Ordering::Relaxed);
                    return answer;
                }
            }
        }
        Err(last.unwrap_or_else(|| ClientError::Transport("no relay answered".into())))
    }

    /// The lease in an answer, its token checked, and how long it is held from `sent`.
    fn checked(
        &self,
        answer: &serde_json::Value,
        sent: Instant,
    ) -> Result<(LeaseClaims, Instant), ClientError> {
        let token = answer["lease"]["token"]
            .as_str()
            .ok_or_else(|| ClientError::Malformed("no lease token".into()))?;
        // The token's end is on the relay's clock, which this machine's need not agree with:
        // the signature and the names are checked here, the time left below.
        let claims = verify_lease(
            token,
            &self.certificate,
            &self.license,
            &self.holder,
            i64::MIN,
        )?;
        let remaining = answer["lease"]["remaining_ms"]
            .as_i64()
            .ok_or_else(|| ClientError::Malformed("no remaining_ms".into()))?;
        Ok((
            claims,
            sent + Duration::from_millis(remaining.max(0) as u64),
        ))
    }

    /// Claims a seat and keeps it renewed until the [`Seat`] is dropped.
    pub fn claim(&self) -> Result<Seat, ClientError> {
        // 128 random bits: a retry of this claim (at this relay or the next) reuses it and gets
        // the same lease, and nobody else can guess it.
        let nonce = random_hex();
        let sent = Instant::now();
        let answer = self.call(
            "POST",
            &format!("/v1/licenses/{}/leases", license_ref(&self.license)),
            Some(serde_json::json!({ "holder": self.holder, "nonce": nonce })),
            None,
        )?;
        let secret = answer["lease"]["secret"].as_str().map(str::to_string);
        let checked = self.checked(&answer, sent);
        let (claims, until, secret) = match (checked, secret) {
            (Ok((claims, until)), Some(secret)) => (claims, until, secret),
            (Err(e), secret) => {
                // A lease this client will not use must not keep a seat from anyone else.
                self.release_unwanted(&answer, secret.as_deref());
                return Err(e);
            }
            (Ok(_), None) => {
                return Err(ClientError::Malformed("no lease secret".into()));
            }
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                lease: Ok(Held { claims, until }),
                trouble: None,
            }),
            secret,
            stop: AtomicBool::new(false),
            wake: Condvar::new(),
        });
        let client = self.clone();
        let renewer_shared = shared.clone();
        let renewer = std::thread::Builder::new()
            .name("timefence-seat".into())
            .spawn(move || client.keep_renewed(&renewer_shared))
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        Ok(Seat {
            client: self.clone(),
            shared,
            renewer: Some(renewer),
        })
    }

    fn release_unwanted(&self, answer: &serde_json::Value, secret: Option<&str>) {
        if let (Some(id), Some(secret)) = (answer["lease"]["id"].as_str(), secret) {
            // Only to a lease id of the shape relays give, so a bad answer cannot steer the
            // client elsewhere.
            if id.len() <= 300
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            {
                let _ = self.call("DELETE", &format!("/v1/leases/{id}"), None, Some(secret));
            }
        }
    }

    fn keep_renewed(&self, shared: &Shared) {
        loop {
            let held = match &shared.state().lease {
                Ok(h) => h.clone(),
                Err(_) => return,
            };
            // Renew halfway to the end (at least 200 ms ahead), so one lost request is survived.
            let left = held.until.saturating_duration_since(Instant::now());
            let wait = (left / 2).max(Duration::from_millis(200));
            let guard = shared.state();
            let (guard, _) = shared
                .wake
                .wait_timeout_while(guard, wait, |_| !shared.stop.load(Ordering::Relaxed))
                .unwrap_or_else(|e| e.into_inner());
            drop(guard);
            if shared.stop.load(Ordering::Relaxed) {
                return;
            }
            let sent = Instant::now();
            let answer = self.call(
                "PUT",
                &format!("/v1/leases/{}", held.claims.lease),
                Some(serde_json::json!({ "seq": held.claims.seq + 1 })),
                Some(&shared.secret),
            );
            let next = answer.and_then(|a| self.checked(&a, sent));
            let mut state = shared.state();
            match next {
                Ok((claims, until)) => {
                    // A renewal that did not move the end (the window closes then, or the day's
                    // time is spent) is the last: asking again would only be refused once the
                    // lease has ended, and count as demand the license never had.
                    let last = claims.expires_at_ms == held.claims.expires_at_ms;
                    state.lease = Ok(Held { claims, until });
                    state.trouble = None;
                    if last {
                        return;
                    }
                }
                // The relay's trouble, not the seat's end: keep the time granted, try again.
                Err(e) if relay_trouble(&e) && held.until > Instant::now() => {
                    state.trouble = Some(e);
                }
                Err(e) if relay_trouble(&e) => {
                    state.lease = Err(e);
                    return;
                }
                Err(e) => {
                    state.lease = Err(e);
                    return;
                }
            }
        }
    }
}

#[derive(Clone)]
struct Held {
    claims: LeaseClaims,
    /// On this machine's monotonic clock: when the time granted runs out.
    until: Instant,
}

struct State {
    lease: Result<Held, ClientError>,
    /// The last relay trouble met while renewing (cleared by a renewal that gets through).
    trouble: Option<ClientError>,
}

struct Shared {
    state: Mutex<State>,
    secret: String,
    stop: AtomicBool,
    wake: Condvar,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A seat held from a relay: renewed in the background, released on drop.
pub struct Seat {
    client: RelayClient,
    shared: Arc<Shared>,
    renewer: Option<std::thread::JoinHandle<()>>,
}

impl Seat {
    /// The lease as last granted or renewed, or why it was lost: refused on renewal, or its
    /// time ran out without a renewal getting through (then the relay's trouble, if there was
    /// one, such as `ClockRollback` or `Unavailable`, else `Expired`).
    pub fn lease(&self) -> Result<LeaseClaims, ClientError> {
        let state = self.shared.state();
        match &state.lease {
            Ok(held) if held.until <= Instant::now() => Err(state
                .trouble
                .clone()
                .unwrap_or_else(|| TrustError::Expired(held.claims.expires_at_ms).into())),
            Ok(held) => Ok(held.claims.clone()),
            Err(e) => Err(e.clone()),
        }
    }

    /// Whether the seat is held now.
    pub fn is_held(&self) -> bool {
        self.lease().is_ok()
    }

    /// The relay's trouble while the seat is still held (the last renewal attempt did not
    /// get through: `ClockRollback`, `Unavailable`, no answer), for the application's log.
    pub fn relay_trouble(&self) -> Option<ClientError> {
        self.shared.state().trouble.clone()
    }

    /// How long the seat is held for without another renewal, on this machine's monotonic
    /// clock.
    pub fn time_left(&self) -> Duration {
        match &self.shared.state().lease {
            Ok(held) => held.until.saturating_duration_since(Instant::now()),
            Err(_) => Duration::ZERO,
        }
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.wake.notify_all();
        if let Some(renewer) = self.renewer.take() {
            let _ = renewer.join();
        }
        let lease = self.shared.state().lease.as_ref().ok().cloned();
        if let Some(held) = lease {
            // Best effort: a relay that cannot be reached lets the lease end by itself.
            let _ = self.client.call(
                "DELETE",
                &format!("/v1/leases/{}", held.claims.lease),
                None,
                Some(&self.shared.secret),
            );
        }
    }
}
