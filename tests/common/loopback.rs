//! A bearer token for tests and the way to send the real https Graph/ARM URLs to an emulator on
//! loopback: a fake `TokenCredential` returning a JWT-shaped token whose signature part is
//! `MARKER` (the string tests look for everywhere it must not be), and a transport that
//! rewrites scheme, host and port (crates.md §1.6). Shared by the live backend's tests and the
//! live migrations' tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::http::{AsyncRawResponse, HttpClient, Request, Transport, Url};

/// What no journal, record, cache, log line or error may contain.
pub const MARKER: &str = "5ecret-t0ken";

/// A JWT-shaped token (the claims say who signed in); its signature part holds `MARKER`.
pub fn token() -> String {
    let payload = azure_core::base64::encode_url_safe(
        br#"{"tid":"e08eb884-c14e-4104-9a5a-3a8c10881fd0","oid":"0b1c2d3e-0000-4000-8000-00000000c0de","appid":"11112222-3333-4444-5555-666677778888"}"#,
    );
    format!("eyJhbGciOiJSUzI1NiJ9.{payload}.SIGNATURE-5ecret-t0ken-VALUE")
}

/// Hands out `token()` for Graph and ARM, and counts how often it was asked.
#[derive(Debug, Default)]
pub struct FakeCredential {
    pub calls: AtomicUsize,
}

#[async_trait::async_trait]
impl TokenCredential for FakeCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        assert!(
            scopes == ["https://graph.microsoft.com/.default"]
                || scopes == ["https://management.azure.com/.default"],
            "{scopes:?}"
        );
        self.calls.fetch_add(1, Ordering::Relaxed);
        Ok(AccessToken::new(
            token(),
            azure_core::time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        ))
    }
}

/// Sends every request to `base`, keeping its path and query.
#[derive(Debug)]
struct Loopback {
    inner: Arc<dyn HttpClient>,
    base: Url,
}

#[async_trait::async_trait]
impl HttpClient for Loopback {
    async fn execute_request(&self, r: &Request) -> azure_core::Result<AsyncRawResponse> {
        let mut r = r.clone();
        // What a reverse proxy says: the emulator writes next links for the host that was
        // called, so a crawl follows them through this transport too.
        let host = match r.url().port() {
            Some(p) => format!("{}:{p}", r.url().host_str().unwrap_or("")),
            None => r.url().host_str().unwrap_or("").to_string(),
        };
        let proto = r.url().scheme().to_string();
        r.insert_header("x-forwarded-host", host);
        r.insert_header("x-forwarded-proto", proto);
        let u = r.url_mut();
        u.set_scheme("http").unwrap();
        u.set_host(self.base.host_str()).unwrap();
        u.set_port(self.base.port()).unwrap();
        self.inner.execute_request(&r).await
    }
}

/// The real https URLs, sent to the server at `base_url` (`http://127.0.0.1:PORT`).
pub fn transport(base_url: &str) -> Transport {
    Transport::new(Arc::new(Loopback {
        inner: azure_core::http::new_http_client(None),
        base: Url::parse(base_url).unwrap(),
    }))
}

/// An emulator of `tenant` that wants `token()` as its bearer, and a live backend made from
/// `config` that signs in to it with a `FakeCredential` (whose calls a test may count) through
/// the loopback transport.
pub async fn signed_in(
    tenant: credwise::domain::TenantSnapshot,
    config: credwise::backend::live::LiveConfig,
) -> (
    credwise_test_kit::emulator::Emulator,
    credwise::backend::live::LiveBackend,
    Arc<FakeCredential>,
) {
    use credwise_test_kit::emulator::{Emulator, Options};
    let emu = Emulator::start_with(
        tenant,
        Options {
            require_bearer: Some(token()),
            ..Options::default()
        },
    )
    .await;
    let credential = Arc::new(FakeCredential::default());
    let b = credwise::backend::live::LiveBackend::new(credwise::backend::live::LiveConfig {
        auth: credwise::backend::live::AuthMode::Auto,
        credential: Some(credential.clone()),
        transport: Some(transport(&emu.base_url())),
        ..config
    })
    .unwrap();
    (emu, b, credential)
}
