//! # timefence-pgtls: TLS to PostgreSQL, checked
//!
//! tokio-postgres knows `sslmode` only as disable, prefer and require, and verifies nothing
//! itself. The relay and the team catalogue both take libpq's settings off the URL here and
//! connect through rustls, the server's certificate checked against the CA the URL names and
//! its name against the host.
#![deny(missing_docs)]

use std::path::Path;
use std::sync::Arc;

/// A TLS client configuration (rustls, ring) that trusts the certificates in the PEM file
/// `ca` and nothing else.
pub fn trusting(ca: &Path) -> Result<rustls::ClientConfig, String> {
    let shown = ca.display();
    let pem = std::fs::read(ca).map_err(|e| format!("{shown}: {e}"))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots
            .add(cert.map_err(|e| format!("{shown}: {e}"))?)
            .map_err(|e| format!("{shown}: {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!("{shown}: no certificate"));
    }
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

/// Takes libpq's TLS settings off a `postgres://` URL (tokio-postgres knows `sslmode` only as
/// disable, prefer and require, and verifies nothing itself):
/// - none, or `sslmode=disable`: plain TCP, as on a trusted host or through a tunnel;
/// - `sslmode=verify-full&sslrootcert=CA.pem`: TLS, the server's certificate checked against
///   that CA and its name against the host (rustls);
/// - `require`, `verify-ca`, `prefer`, `allow`: refused with a way forward, since none of
///   them checks that the server is the one named.
pub fn split_tls(
    url: &str,
) -> Result<(String, Option<tokio_postgres_rustls::MakeRustlsConnect>), String> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), None));
    };
    let (mut mode, mut root) = (None, None);
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslmode", value)) => mode = Some(value.to_string()),
            Some(("sslrootcert", value)) => root = Some(value.to_string()),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    match mode.as_deref() {
        None | Some("disable") => Ok((rest, None)),
        Some("verify-full") => {
            let root = root.ok_or_else(|| {
                "sslmode=verify-full needs sslrootcert=PATH, the CA that signed the server's certificate".to_string()
            })?;
            let config = trusting(Path::new(&root)).map_err(|e| format!("sslrootcert {e}"))?;
            let rest = if rest.contains('?') {
                format!("{rest}&sslmode=require")
            } else {
                format!("{rest}?sslmode=require")
            };
            Ok((rest, Some(tokio_postgres_rustls::MakeRustlsConnect::new(config))))
        }
        Some(other) => Err(format!(
            "sslmode={other} does not check that the server is the one named: use sslmode=verify-full&sslrootcert=CA.pem (or sslmode=disable on a trusted network)"
        )),
    }
}

/// A PostgreSQL error as the relay's log and the team commands say it: the server's code and
/// message when it sent one ("db error" alone says nothing), else every cause's own words (an
/// unknown CA, a wrong name), which the outer error alone does not say.
pub fn error_text(error: &tokio_postgres::Error) -> String {
    if let Some(e) = error.as_db_error() {
        return format!("{}: {}", e.code().code(), e.message());
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    text
}
