//! The sign-in log folded into facts as it is read (`SignInEvent` → `LogAggregate`).

use std::collections::HashMap;

use super::*;

/// One sign-in of the log, reduced to what usage evidence needs: when, who, with which
/// credential, and whether it succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInEvent {
    pub at: Timestamp,
    pub app_id: Option<String>,
    pub service_principal_id: Option<String>,
    /// `servicePrincipalCredentialKeyId`.
    pub key_id: Option<String>,
    /// `servicePrincipalCredentialThumbprint`.
    pub thumbprint: Option<String>,
    /// `federatedCredentialId`.
    pub federated_credential_id: Option<String>,
    /// `clientCredentialType`: `clientSecret`, `certificate`, `clientAssertion`,
    /// `federatedIdentityCredential`, `managedIdentity`…
    pub client_credential_type: Option<String>,
    /// `status.errorCode` is 0.
    pub succeeded: bool,
    pub request_id: Option<String>,
}

impl SignInEvent {
    /// Which credential the sign-in used, if the entry says: a federated credential by id, a
    /// certificate (a thumbprint, or a client assertion), else a secret by keyId.
    fn credential(&self) -> Option<(CredentialType, &str)> {
        if let Some(f) = self
            .federated_credential_id
            .as_deref()
            .filter(|f| !f.is_empty())
        {
            return Some((CredentialType::Federated, f));
        }
        let certificate = self.thumbprint.as_deref().is_some_and(|t| !t.is_empty())
            || matches!(
                self.client_credential_type.as_deref(),
                Some("certificate") | Some("clientAssertion")
            );
        let t = if certificate {
            CredentialType::Certificate
        } else {
            CredentialType::Secret
        };
        match self.key_id.as_deref().filter(|k| !k.is_empty()) {
            Some(k) => Some((t, k)),
            None if certificate => self.thumbprint.as_deref().map(|tp| (t, tp)),
            None => None,
        }
    }
}

/// The sign-in log folded into facts as it is read: one `CredentialActivity` per credential
/// and one `IdentityActivity` per appId, however many entries there are (a busy tenant logs
/// millions of service principal sign-ins a month).
#[derive(Debug, Default)]
pub struct LogAggregate {
    credentials: HashMap<(bool, String), CredentialActivity>,
    identities: HashMap<String, IdentityActivity>,
    /// Entries folded in.
    pub events: u64,
    /// The oldest entry seen.
    pub oldest: Option<Timestamp>,
}

impl LogAggregate {
    pub fn add(&mut self, e: SignInEvent) {
        self.events += 1;
        if self.oldest.is_none_or(|o| e.at < o) {
            self.oldest = Some(e.at);
        }
        let latest = |slot: &mut Option<Timestamp>, at: Timestamp| {
            if slot.is_none_or(|s| at > s) {
                *slot = Some(at);
            }
        };
        if let Some(app) = e.app_id.as_deref().filter(|a| !a.is_empty())
            && e.succeeded
        {
            let i = self
                .identities
                .entry(app.to_ascii_lowercase())
                .or_insert_with(|| IdentityActivity {
                    source: UsageSource::SignInLog,
                    app_id: app.to_string(),
                    service_principal_id: None,
                    last_app_only: None,
                    last_any: None,
                });
            if i.service_principal_id.is_none() {
                i.service_principal_id = e.service_principal_id.clone();
            }
            latest(&mut i.last_app_only, e.at);
            latest(&mut i.last_any, e.at);
        }
        let Some((t, key)) = e.credential() else {
            return;
        };
        let slot = self
            .credentials
            .entry((t == CredentialType::Federated, key.to_ascii_lowercase()))
            .or_insert_with(|| CredentialActivity {
                source: UsageSource::SignInLog,
                credential_type: t,
                key: key.to_string(),
                thumbprint: None,
                app_id: None,
                owner_id: None,
                origin: None,
                last_sign_in: None,
                last_request_id: None,
                last_failure: None,
            });
        if slot.thumbprint.is_none() {
            slot.thumbprint = e.thumbprint.clone().map(|t| t.to_ascii_uppercase());
        }
        if slot.app_id.is_none() {
            slot.app_id = e.app_id.clone();
        }
        if e.succeeded {
            if slot.last_sign_in.is_none_or(|s| e.at > s) {
                slot.last_sign_in = Some(e.at);
                slot.last_request_id = e.request_id;
            }
        } else {
            latest(&mut slot.last_failure, e.at);
        }
    }

    /// The facts, in a stable order.
    pub fn into_facts(self) -> (Vec<CredentialActivity>, Vec<IdentityActivity>) {
        let mut c: Vec<CredentialActivity> = self.credentials.into_values().collect();
        c.sort_by(|a, b| a.key.cmp(&b.key));
        let mut i: Vec<IdentityActivity> = self.identities.into_values().collect();
        i.sort_by(|a, b| a.app_id.cmp(&b.app_id));
        (c, i)
    }
}
