//! Signing in: which `azure_identity` credential gets the tokens (`--auth`), the `auto` chain
//! (workload identity, then managed identity, then the developer tools), a timeout around every
//! token request, and one message that says what was tried and what to do when nothing worked.
//!
//! azure_identity 1.x has no `DefaultAzureCredential`; `Chain` is that, with the reasons kept.
//! Tokens never leave this module's callers except inside azure_core's bearer policy: the chain
//! returns them to the policy, and `ClaimsRecorder` keeps only the non-secret claims a load
//! needs (tenant id, who signed in) — never the token itself.
//!
//! May import azure_core/azure_identity, tokio and the environment.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::error::ErrorKind;

use super::cloud::CloudEndpoints;
use crate::backend::Error;
use crate::backend::sign_in::{Attempt, SignInFailure};
use crate::domain::Cloud;

/// `--auth`: where tokens come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AuthMode {
    /// Workload identity, managed identity, then developer tools: the first that works.
    #[default]
    Auto,
    /// The Azure CLI (`az login`).
    Cli,
    /// The Azure CLI, then the Azure Developer CLI (`azd auth login`).
    DeveloperTools,
    /// The managed identity of the Azure compute credwise runs on.
    ManagedIdentity,
    /// Workload identity federation (AKS, or any `AZURE_FEDERATED_TOKEN_FILE`).
    WorkloadIdentity,
    /// No token at all: only for a loopback emulator.
    None,
}

impl AuthMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Cli => "cli",
            Self::DeveloperTools => "developer-tools",
            Self::ManagedIdentity => "managed-identity",
            Self::WorkloadIdentity => "workload-identity",
            Self::None => "none",
        }
    }
}

/// How long one credential may take to produce a token before the next one is tried. `az`
/// can take several seconds on a cold start; a missing IMDS endpoint would otherwise hang
/// for the connect timeout of the HTTP client.
pub const TOKEN_TIMEOUT: Duration = Duration::from_secs(30);

/// The credential for `mode`, or `None` for `--auth none`. Nothing is contacted here: every
/// source is tried on the first token request.
pub fn credential(
    mode: AuthMode,
    tenant: Option<&str>,
    cloud: &CloudEndpoints,
) -> Result<Option<Arc<dyn TokenCredential>>, Error> {
    let links = match mode {
        AuthMode::None => return Ok(None),
        AuthMode::Auto => vec![
            workload_identity(tenant, cloud.cloud, true),
            managed_identity(true),
            azure_cli(tenant),
            azure_developer_cli(tenant),
        ],
        AuthMode::Cli => vec![azure_cli(tenant)],
        AuthMode::DeveloperTools => vec![azure_cli(tenant), azure_developer_cli(tenant)],
        AuthMode::ManagedIdentity => vec![managed_identity(false)],
        AuthMode::WorkloadIdentity => vec![workload_identity(tenant, cloud.cloud, false)],
    };
    Ok(Some(Arc::new(Chain::new(
        links,
        TOKEN_TIMEOUT,
        next_steps(mode, tenant, cloud),
    ))))
}

/// What to do when no credential worked, best first.
fn next_steps(mode: AuthMode, tenant: Option<&str>, cloud: &CloudEndpoints) -> Vec<String> {
    let tenant_flag = tenant.map(|t| format!(" --tenant {t}")).unwrap_or_default();
    let cloud_step = if cloud.cloud == Cloud::Public {
        String::new()
    } else {
        format!("`az cloud set --name {}`, then ", cloud.az_cloud_name())
    };
    let login = format!("{cloud_step}`az login{tenant_flag}`");
    let how = match mode {
        AuthMode::ManagedIdentity => {
            "run credwise on Azure compute with a managed identity, or use --auth cli after "
                .to_string()
                + &login
        }
        AuthMode::WorkloadIdentity => format!(
            "set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE (the AKS \
             workload identity webhook does), or use --auth cli after {login}"
        ),
        _ => format!("run {login} (or `azd auth login`) and try again"),
    };
    vec![
        how,
        "or run `credwise --demo` to look around without a tenant".to_string(),
    ]
}

/// One source of tokens in a chain, or why it is not tried here.
pub struct Link {
    pub name: &'static str,
    pub source: Source,
}

pub enum Source {
    Ready(Arc<dyn TokenCredential>),
    /// Not applicable in this environment, with the reason shown to the user.
    Skipped(String),
    /// A managed identity whose presence is decided by probing IMDS on first use.
    ProbeImds(Arc<dyn TokenCredential>),
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn built(
    name: &'static str,
    made: azure_core::Result<Arc<impl TokenCredential + 'static>>,
) -> Link {
    let source = match made {
        Ok(c) => Source::Ready(c),
        Err(e) => Source::Skipped(format!("cannot be set up: {e}")),
    };
    Link { name, source }
}

fn azure_cli(tenant: Option<&str>) -> Link {
    built(
        "Azure CLI",
        azure_identity::AzureCliCredential::new(Some(azure_identity::AzureCliCredentialOptions {
            tenant_id: tenant.map(str::to_string),
            ..Default::default()
        })),
    )
}

fn azure_developer_cli(tenant: Option<&str>) -> Link {
    built(
        "Azure Developer CLI",
        azure_identity::AzureDeveloperCliCredential::new(Some(
            azure_identity::AzureDeveloperCliCredentialOptions {
                tenant_id: tenant.map(str::to_string),
                ..Default::default()
            },
        )),
    )
}

/// In the `auto` chain, only when its environment is set (as the AKS webhook does); alone, it
/// is always tried so its own error explains what is missing.
fn workload_identity(tenant: Option<&str>, cloud: Cloud, only_if_configured: bool) -> Link {
    const NAME: &str = "workload identity";
    if only_if_configured {
        let missing: Vec<&str> = ["AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID"]
            .into_iter()
            .filter(|v| env(v).is_none())
            .collect();
        if !missing.is_empty() {
            return Link {
                name: NAME,
                source: Source::Skipped(format!("{} not set", missing.join(" and "))),
            };
        }
    }
    let mut options = azure_identity::WorkloadIdentityCredentialOptions {
        tenant_id: tenant.map(str::to_string),
        ..Default::default()
    };
    // AKS sets AZURE_AUTHORITY_HOST for sovereign clouds; without it, follow --cloud.
    if env("AZURE_AUTHORITY_HOST").is_none() {
        let config = match cloud {
            Cloud::Public => None,
            Cloud::Usgov => Some(azure_core::cloud::CloudConfiguration::AzureGovernment),
            Cloud::China => Some(azure_core::cloud::CloudConfiguration::AzureChina),
        };
        options.credential_options.client_options.cloud = config.map(Arc::new);
    }
    built(
        NAME,
        azure_identity::WorkloadIdentityCredential::new(Some(options)),
    )
}

/// App Service/Functions/Container Apps announce themselves with `IDENTITY_ENDPOINT` (older
/// hosts with `MSI_ENDPOINT`); a VM has only IMDS, which `auto` probes with a short timeout
/// before asking it for a token. `AZURE_CLIENT_ID` picks a user-assigned identity.
fn managed_identity(probe: bool) -> Link {
    const NAME: &str = "managed identity";
    let options = azure_identity::ManagedIdentityCredentialOptions {
        user_assigned_id: env("AZURE_CLIENT_ID").map(azure_identity::UserAssignedId::ClientId),
        ..Default::default()
    };
    let hosted = env("IDENTITY_ENDPOINT").is_some() || env("MSI_ENDPOINT").is_some();
    match azure_identity::ManagedIdentityCredential::new(Some(options)) {
        Ok(c) if probe && !hosted => Link {
            name: NAME,
            source: Source::ProbeImds(c),
        },
        made => built(NAME, made),
    }
}

/// The instance metadata endpoint of Azure VMs and scale sets.
const IMDS: &str = "169.254.169.254:80";
const IMDS_PROBE_TIMEOUT: Duration = Duration::from_millis(500);

async fn imds_answers() -> bool {
    matches!(
        tokio::time::timeout(IMDS_PROBE_TIMEOUT, tokio::net::TcpStream::connect(IMDS)).await,
        Ok(Ok(_))
    )
}

/// A `TokenCredential` that tries its links in order, each under a timeout, and sticks to the
/// first that produced a token (later refreshes go straight to it). When all fail, its error
/// lists every link with its reason and the next steps.
pub struct Chain {
    links: Vec<Link>,
    timeout: Duration,
    next_steps: Vec<String>,
    /// Index of the link that worked; `usize::MAX` until one has.
    chosen: AtomicUsize,
    /// IMDS answered (1), did not (2), not probed yet (0).
    imds: AtomicUsize,
}

impl Chain {
    pub fn new(links: Vec<Link>, timeout: Duration, next_steps: Vec<String>) -> Self {
        Self {
            links,
            timeout,
            next_steps,
            chosen: AtomicUsize::new(usize::MAX),
            imds: AtomicUsize::new(0),
        }
    }

    async fn try_link(
        &self,
        link: &Link,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> Result<AccessToken, Attempt> {
        let credential = match &link.source {
            Source::Ready(c) => c,
            Source::Skipped(why) => return Err(Attempt::new(link.name, true, why)),
            Source::ProbeImds(c) => {
                if self.imds.load(Ordering::Relaxed) == 0 {
                    let found = if imds_answers().await { 1 } else { 2 };
                    self.imds.store(found, Ordering::Relaxed);
                }
                if self.imds.load(Ordering::Relaxed) != 1 {
                    return Err(Attempt::new(
                        link.name,
                        true,
                        "not on Azure compute (no IDENTITY_ENDPOINT or MSI_ENDPOINT, and the \
                         instance metadata endpoint did not answer)",
                    ));
                }
                c
            }
        };
        match tokio::time::timeout(self.timeout, credential.get_token(scopes, options)).await {
            Ok(Ok(token)) => Ok(token),
            Ok(Err(e)) => Err(Attempt::new(link.name, false, &e.to_string())),
            Err(_) => Err(Attempt::new(
                link.name,
                false,
                &format!("no token within {} s", self.timeout.as_secs()),
            )),
        }
    }
}

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.links.iter().map(|l| l.name).collect();
        f.debug_struct("Chain").field("links", &names).finish()
    }
}

#[async_trait::async_trait]
impl TokenCredential for Chain {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let chosen = self.chosen.load(Ordering::Relaxed);
        if let Some(link) = self.links.get(chosen) {
            return self.try_link(link, scopes, options).await.map_err(|a| {
                azure_core::Error::with_message(
                    ErrorKind::Credential,
                    format!(
                        "{} stopped giving tokens ({}: {}); {}",
                        link.name,
                        a.outcome(),
                        a.reason,
                        self.next_steps.join("; ")
                    ),
                )
            });
        }
        let mut tried = Vec::new();
        for (i, link) in self.links.iter().enumerate() {
            match self.try_link(link, scopes, options.clone()).await {
                Ok(token) => {
                    self.chosen.store(i, Ordering::Relaxed);
                    return Ok(token);
                }
                Err(attempt) => tried.push(attempt),
            }
        }
        let resource = scopes
            .first()
            .map(|s| s.trim_end_matches("/.default"))
            .unwrap_or("the service");
        // The failure travels inside azure_core's error to the backend, which lifts it out
        // (`error::from_transport`) for the sign-in screen.
        let mut failure = SignInFailure {
            resource: resource.to_string(),
            tried,
            steps: self.next_steps.clone(),
        };
        failure.explain_tenant_not_found();
        Err(azure_core::Error::new(ErrorKind::Credential, failure))
    }
}

/// Non-secret claims of the token that was issued: who is signed in and to which tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    pub tenant_id: Option<String>,
    pub object_id: Option<String>,
    pub app_id: Option<String>,
    pub user_principal_name: Option<String>,
    pub name: Option<String>,
}

impl Claims {
    /// Reads the payload of a JWT without verifying it (the service verifies it; here it only
    /// names the signed-in principal). Tokens that are not JWTs give no claims.
    pub fn of_jwt(token: &str) -> Option<Self> {
        let payload = token.split('.').nth(1)?;
        let bytes = azure_core::base64::decode_url_safe(payload).ok()?;
        let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        Some(Self {
            tenant_id: text("tid"),
            object_id: text("oid"),
            app_id: text("appid").or_else(|| text("azp")),
            user_principal_name: text("upn").or_else(|| text("preferred_username")),
            name: text("name"),
        })
    }

    /// `Name <upn> (object id)` for a user, `application <appId> (object id)` for a workload.
    pub fn describe(&self) -> Option<String> {
        let oid = self
            .object_id
            .as_deref()
            .map(|o| format!(" ({o})"))
            .unwrap_or_default();
        match (&self.name, &self.user_principal_name, &self.app_id) {
            (Some(n), Some(u), _) => Some(format!("{n} <{u}>{oid}")),
            (None, Some(u), _) => Some(format!("{u}{oid}")),
            (_, None, Some(a)) => Some(format!("application {a}{oid}")),
            _ => self.object_id.clone(),
        }
    }
}

/// Wraps a credential and keeps the claims of the last token it handed out — the claims
/// only, decoded on the way through; the token goes on to the bearer policy's cache.
pub struct ClaimsRecorder {
    inner: Arc<dyn TokenCredential>,
    claims: Arc<Mutex<Option<Claims>>>,
}

impl ClaimsRecorder {
    pub fn new(inner: Arc<dyn TokenCredential>) -> (Arc<Self>, Arc<Mutex<Option<Claims>>>) {
        let claims = Arc::new(Mutex::new(None));
        (
            Arc::new(Self {
                inner,
                claims: claims.clone(),
            }),
            claims,
        )
    }
}

impl fmt::Debug for ClaimsRecorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClaimsRecorder")
            .field("inner", &self.inner)
            .finish()
    }
}

#[async_trait::async_trait]
impl TokenCredential for ClaimsRecorder {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let token = self.inner.get_token(scopes, options).await?;
        if let Some(c) = Claims::of_jwt(token.token.secret()) {
            // A poisoned lock only means another thread panicked mid-store; the value is a
            // plain Option and still usable.
            *self.claims.lock().unwrap_or_else(|p| p.into_inner()) = Some(c);
        }
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Fixed(Result<&'static str, &'static str>);

    #[async_trait::async_trait]
    impl TokenCredential for Fixed {
        async fn get_token(
            &self,
            _: &[&str],
            _: Option<TokenRequestOptions<'_>>,
        ) -> azure_core::Result<AccessToken> {
            match self.0 {
                Ok(t) => Ok(AccessToken::new(
                    t.to_string(),
                    azure_core::time::OffsetDateTime::now_utc() + time::Duration::hours(1),
                )),
                Err(e) => Err(azure_core::Error::with_message(ErrorKind::Credential, e)),
            }
        }
    }

    #[derive(Debug)]
    struct Hangs;

    #[async_trait::async_trait]
    impl TokenCredential for Hangs {
        async fn get_token(
            &self,
            _: &[&str],
            _: Option<TokenRequestOptions<'_>>,
        ) -> azure_core::Result<AccessToken> {
            std::future::pending().await
        }
    }

    fn link(name: &'static str, c: impl TokenCredential + 'static) -> Link {
        Link {
            name,
            source: Source::Ready(Arc::new(c)),
        }
    }

    #[tokio::test]
    async fn all_failing_lists_every_link_and_the_next_steps() {
        let chain = Chain::new(
            vec![
                Link {
                    name: "workload identity",
                    source: Source::Skipped("AZURE_FEDERATED_TOKEN_FILE not set".into()),
                },
                link("slow", Hangs),
                link(
                    "Azure CLI",
                    Fixed(Err("Please run 'az login'\nto setup account.")),
                ),
            ],
            Duration::from_millis(50),
            next_steps(
                AuthMode::Auto,
                Some("contoso.onmicrosoft.com"),
                &CloudEndpoints::of(Cloud::Usgov),
            ),
        );
        let err = chain
            .get_token(&["https://graph.microsoft.us/.default"], None)
            .await
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::Credential);
        let failure = err.downcast_ref::<SignInFailure>().unwrap();
        assert_eq!(failure.tried.len(), 3);
        assert!(failure.tried[0].skipped && !failure.tried[2].skipped);
        let msg = err.to_string();
        for want in [
            "no credential gave a token for https://graph.microsoft.us",
            "workload identity  skipped: AZURE_FEDERATED_TOKEN_FILE not set",
            "slow               failed: no token within 0 s",
            "Azure CLI          failed: Please run 'az login' to setup account.",
            "`az cloud set --name AzureUSGovernment`, then `az login --tenant contoso.onmicrosoft.com`",
            "credwise --demo",
        ] {
            assert!(msg.contains(want), "{want:?} missing from {msg}");
        }
    }

    #[tokio::test]
    async fn the_first_working_link_is_kept() {
        let chain = Chain::new(
            vec![
                link("a", Fixed(Err("no"))),
                link("b", Fixed(Ok("token-b"))),
                link("c", Fixed(Ok("token-c"))),
            ],
            Duration::from_secs(1),
            Vec::new(),
        );
        for _ in 0..2 {
            let t = chain.get_token(&["s/.default"], None).await.unwrap();
            assert_eq!(t.token.secret(), "token-b");
        }
        assert_eq!(chain.chosen.load(Ordering::Relaxed), 1);
        // Debug names the links and nothing else.
        assert_eq!(format!("{chain:?}"), r#"Chain { links: ["a", "b", "c"] }"#);
    }

    #[tokio::test]
    async fn claims_are_recorded_and_the_token_is_not() {
        let payload = azure_core::base64::encode_url_safe(
            br#"{"tid":"t1","oid":"o1","upn":"ana@contoso.com","name":"Ana"}"#,
        );
        let jwt: &'static str =
            Box::leak(format!("eyJhbGciOiJub25lIn0.{payload}.sig").into_boxed_str());
        let (rec, claims) = ClaimsRecorder::new(Arc::new(Fixed(Ok(jwt))));
        rec.get_token(&["s"], None).await.unwrap();
        let c = claims.lock().unwrap().clone().unwrap();
        assert_eq!(c.tenant_id.as_deref(), Some("t1"));
        assert_eq!(c.describe().as_deref(), Some("Ana <ana@contoso.com> (o1)"));
        // Only claims are kept: nothing of the token itself.
        assert!(!format!("{c:?}").contains(&payload));
        let app = Claims {
            app_id: Some("a1".into()),
            object_id: Some("o2".into()),
            ..Default::default()
        };
        assert_eq!(app.describe().as_deref(), Some("application a1 (o2)"));
        assert_eq!(Claims::of_jwt("not-a-jwt"), None);
    }

    #[test]
    fn auth_none_has_no_credential() {
        let c = credential(AuthMode::None, None, &CloudEndpoints::of(Cloud::Public)).unwrap();
        assert!(c.is_none());
    }
}
