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
//! let client = RelayClient::new("https://relay.acme.example:7420", license, certificate, "agent-17")?;
//! let seat = client.claim()?; // Err(ClientError::Refused { kind: "SeatsFull", .. }) when full
//! // ... work while seat.is_held() ...
//! drop(seat); // released
//! # Ok(()) }
//! ```
//!
//! Every token the relay returns is checked against the chain vendor key → relay certificate
//! → token → this holder and license ([`verify_lease`]); a relay that is not certified for this
//! license cannot hand out seats for it.

use crate::relay::{license_ref, verify_lease, LeaseClaims, RelayCertificate, TrustError};
use crate::VerifiedLicense;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

/// Talks to one relay about one license for one holder.
#[derive(Clone)]
pub struct RelayClient {
    base: String,
    agent: ureq::Agent,
    license: Arc<VerifiedLicense>,
    certificate: Arc<RelayCertificate>,
    holder: String,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
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
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(10))
            .build();
        RelayClient::with_agent(agent, base_url, license, certificate, holder)
    }

    /// As [`RelayClient::new`], with an HTTP agent configured by the caller.
    pub fn with_agent(
        agent: ureq::Agent,
        base_url: &str,
        license: VerifiedLicense,
        certificate: RelayCertificate,
        holder: &str,
    ) -> Result<RelayClient, ClientError> {
        certificate.covers(&license)?;
        Ok(RelayClient {
            base: base_url.trim_end_matches('/').to_string(),
            agent,
            license: Arc::new(license),
            certificate: Arc::new(certificate),
            holder: holder.to_string(),
        })
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value, ClientError> {
        let request = self.agent.request(method, &format!("{}{path}", self.base));
        let result = match body {
            Some(b) => request.send_json(b),
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

    fn checked(&self, answer: &serde_json::Value) -> Result<LeaseClaims, ClientError> {
        let token = answer["lease"]["token"]
            .as_str()
            .ok_or_else(|| ClientError::Malformed("no lease token".into()))?;
        Ok(verify_lease(
            token,
            &self.certificate,
            &self.license,
            &self.holder,
            now_ms(),
        )?)
    }

    /// Claims a seat and keeps it renewed until the [`Seat`] is dropped.
    pub fn claim(&self) -> Result<Seat, ClientError> {
        // Unique per claim of this holder: a retry of this request would reuse it.
        static CLAIMS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let nonce = format!(
            "{nanos:x}-{:x}-{}",
            std::process::id(),
            CLAIMS.fetch_add(1, Ordering::Relaxed)
        );
        let answer = self.call(
            "POST",
            &format!("/v1/licenses/{}/leases", license_ref(&self.license)),
            Some(serde_json::json!({ "holder": self.holder, "nonce": nonce })),
        )?;
        let claims = self.checked(&answer)?;
        let shared = Arc::new(Shared {
            lease: Mutex::new(Ok(claims)),
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

    fn keep_renewed(&self, shared: &Shared) {
        loop {
            let claims = match &*shared.lease.lock().unwrap_or_else(|e| e.into_inner()) {
                Ok(c) => c.clone(),
                Err(_) => return,
            };
            // Renew halfway to the end (at least 200 ms ahead), so one lost request is survived.
            let left = claims.expires_at_ms - now_ms();
            let wait = Duration::from_millis((left / 2).max(200) as u64);
            let guard = shared.lease.lock().unwrap_or_else(|e| e.into_inner());
            let (guard, _) = shared
                .wake
                .wait_timeout_while(guard, wait, |_| !shared.stop.load(Ordering::Relaxed))
                .unwrap_or_else(|e| e.into_inner());
            drop(guard);
            if shared.stop.load(Ordering::Relaxed) {
                return;
            }
            let answer = self.call(
                "PUT",
                &format!("/v1/leases/{}", claims.lease),
                Some(serde_json::json!({ "seq": claims.seq + 1 })),
            );
            let next = answer.and_then(|a| self.checked(&a));
            let mut lease = shared.lease.lock().unwrap_or_else(|e| e.into_inner());
            match next {
                Ok(c) => *lease = Ok(c),
                // A transient failure: keep the lease until it ends, and try again.
                Err(ClientError::Transport(_)) if claims.expires_at_ms > now_ms() => {}
                Err(ClientError::Refused { kind, .. })
                    if kind == "Unavailable" && claims.expires_at_ms > now_ms() => {}
                Err(e) => *lease = Err(e),
            }
        }
    }
}

struct Shared {
    lease: Mutex<Result<LeaseClaims, ClientError>>,
    stop: AtomicBool,
    wake: Condvar,
}

impl Shared {
    /// The lease as last granted or renewed, or why it was lost.
    fn current(&self) -> Result<LeaseClaims, ClientError> {
        self.lease.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A seat held from a relay: renewed in the background, released on drop.
pub struct Seat {
    client: RelayClient,
    shared: Arc<Shared>,
    renewer: Option<std::thread::JoinHandle<()>>,
}

impl Seat {
    /// The lease as last granted or renewed, or why it was lost (refused on renewal, or ended
    /// without a renewal getting through).
    pub fn lease(&self) -> Result<LeaseClaims, ClientError> {
        let lease = self.shared.current();
        match lease {
            Ok(c) if c.expires_at_ms <= now_ms() => {
                Err(TrustError::Expired(c.expires_at_ms).into())
            }
            other => other,
        }
    }

    /// Whether the seat is held now.
    pub fn is_held(&self) -> bool {
        self.lease().is_ok()
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.wake.notify_all();
        if let Some(renewer) = self.renewer.take() {
            let _ = renewer.join();
        }
        let lease = self.shared.current();
        if let Ok(claims) = lease {
            // Best effort: a relay that cannot be reached lets the lease end by itself.
            let _ = self
                .client
                .call("DELETE", &format!("/v1/leases/{}", claims.lease), None);
        }
    }
}
