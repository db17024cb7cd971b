//! `UsageIndex`: `UsageData` indexed for lookups by keyId, federated credential id and appId,
//! answering with `Evidence`.

use std::collections::HashMap;

use super::*;

/// `UsageData` indexed for lookups by keyId, federated credential id and appId: the audit
/// asks about every credential of a large tenant.
pub struct UsageIndex<'a> {
    data: &'a UsageData,
    /// Lower-cased key (keyId or FIC id) → positions in `data.credentials`.
    by_key: HashMap<String, Vec<u32>>,
    /// Upper-case thumbprint → positions.
    by_thumbprint: HashMap<String, Vec<u32>>,
    /// Lower-cased appId → positions in `data.identities`.
    by_app: HashMap<String, Vec<u32>>,
    /// Lower-cased appId → positions in `data.credentials` (identity evidence from the log).
    credentials_by_app: HashMap<String, Vec<u32>>,
}

impl<'a> UsageIndex<'a> {
    pub fn new(data: &'a UsageData) -> Self {
        let mut by_key: HashMap<String, Vec<u32>> = HashMap::new();
        let mut by_thumbprint: HashMap<String, Vec<u32>> = HashMap::new();
        let mut credentials_by_app: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, c) in data.credentials.iter().enumerate() {
            if !c.key.is_empty() {
                by_key
                    .entry(c.key.to_ascii_lowercase())
                    .or_default()
                    .push(i as u32);
            }
            if let Some(t) = c.thumbprint.as_deref().filter(|t| !t.is_empty()) {
                by_thumbprint
                    .entry(t.to_ascii_uppercase())
                    .or_default()
                    .push(i as u32);
            }
            if let Some(a) = c.app_id.as_deref().filter(|a| !a.is_empty()) {
                credentials_by_app
                    .entry(a.to_ascii_lowercase())
                    .or_default()
                    .push(i as u32);
            }
        }
        let mut by_app: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, a) in data.identities.iter().enumerate() {
            by_app
                .entry(a.app_id.to_ascii_lowercase())
                .or_default()
                .push(i as u32);
        }
        Self {
            data,
            by_key,
            by_thumbprint,
            by_app,
            credentials_by_app,
        }
    }

    pub fn data(&self) -> &'a UsageData {
        self.data
    }

    /// The sign-in log's window, when it was read: every sign-in after it is in the data.
    fn log_window(&self) -> Option<Timestamp> {
        match self.data.source(UsageSource::SignInLog).map(|s| &s.outcome) {
            Some(SourceOutcome::Read { covers_from, .. }) => *covers_from,
            _ => None,
        }
    }

    /// What the data says about credential `c` (of the identity with `app_id`, when known).
    /// A federated credential is found by its Graph id (what the sign-in log's
    /// `federatedCredentialId` names) or, without one (a managed identity's, which ARM keys
    /// by name), by its name.
    pub fn credential(&self, c: CredentialRef<'_>) -> Evidence {
        let t = c.credential_type();
        if self.by_key.is_empty() && self.by_thumbprint.is_empty() {
            // No credential in the data (none collected, or only identities): nothing to
            // look up, and no thumbprint to work out for every certificate of the tenant.
            return self.decide(&[], t, c.start());
        }
        let (key, thumbprint) = match c {
            CredentialRef::Secret(p) => (p.key_id.as_str(), None),
            CredentialRef::Certificate(k) => (k.key_id.as_str(), k.thumbprint()),
            CredentialRef::Federated(f) => (f.id.as_deref().unwrap_or(&f.name), None),
        };
        let mut facts: Vec<&CredentialActivity> = self
            .by_key
            .get(&key.to_ascii_lowercase())
            .into_iter()
            .flatten()
            .map(|&i| &self.data.credentials[i as usize])
            .filter(|a| same_kind(a.credential_type, t))
            .collect();
        if let Some(tp) = thumbprint {
            facts.extend(
                self.by_thumbprint
                    .get(&tp.to_ascii_uppercase())
                    .into_iter()
                    .flatten()
                    .map(|&i| &self.data.credentials[i as usize])
                    .filter(|a| same_kind(a.credential_type, t)),
            );
        }
        self.decide(&facts, t, c.start())
    }

    /// What the data says about the identity with `app_id`: the service principal report's
    /// app-only sign-ins as a client (or any sign-in), and every sign-in of its credentials
    /// in the log.
    pub fn identity(&self, app_id: &str) -> Evidence {
        let Some(as_of) = self.data.collected_at else {
            return Evidence::Unknown(Unknown::NotLoaded);
        };
        let key = app_id.to_ascii_lowercase();
        let mut best: Option<(Timestamp, UsageSource)> = None;
        let mut consider = |at: Option<Timestamp>, source: UsageSource| {
            if let Some(at) = at
                && best.is_none_or(|(b, s)| at > b || (at == b && source < s))
            {
                best = Some((at, source));
            }
        };
        for &i in self.by_app.get(&key).into_iter().flatten() {
            let a = &self.data.identities[i as usize];
            consider(a.last_app_only.or(a.last_any), a.source);
        }
        for &i in self.credentials_by_app.get(&key).into_iter().flatten() {
            let c = &self.data.credentials[i as usize];
            consider(c.last_sign_in, c.source);
        }
        if let Some((at, source)) = best {
            return Evidence::SignedIn {
                at,
                as_of,
                source,
                origin: None,
            };
        }
        if let Some(from) = self.log_window() {
            return Evidence::Idle {
                since: from,
                as_of,
                source: UsageSource::SignInLog,
            };
        }
        let sources = [UsageSource::ServicePrincipalReport, UsageSource::SignInLog];
        Evidence::Unknown(self.reason(&sources))
    }

    /// The best fact among `facts`, else the log's window, else why nothing can be said.
    fn decide(
        &self,
        facts: &[&CredentialActivity],
        t: CredentialType,
        added: Option<Timestamp>,
    ) -> Evidence {
        let Some(as_of) = self.data.collected_at else {
            return Evidence::Unknown(Unknown::NotLoaded);
        };
        // The latest; on a tie, the better source (the report, which names the origin).
        let signed_in = facts
            .iter()
            .filter_map(|a| a.last_sign_in.map(|at| (at, a)))
            .max_by_key(|(at, a)| (*at, std::cmp::Reverse(a.source)));
        // A failure after the last success (only the log records failures).
        let failed = facts
            .iter()
            .filter_map(|a| a.last_failure.map(|at| (at, a.source)))
            .max_by_key(|(at, _)| *at)
            .filter(|(at, _)| signed_in.is_none_or(|(s, _)| *at > s));
        if let Some((at, source)) = failed
            && (signed_in.is_some() || self.log_window().is_some())
        {
            return Evidence::Failing {
                at,
                last_success: signed_in.map(|(s, _)| s),
                as_of,
                source,
            };
        }
        if let Some((at, a)) = signed_in {
            // The credential report names the origin; a log fact may not.
            let origin = a.origin.or_else(|| facts.iter().find_map(|f| f.origin));
            return Evidence::SignedIn {
                at,
                as_of,
                source: a.source,
                origin,
            };
        }
        if let Some(window) = self.log_window() {
            // The log read completely over its window holds no sign-in with it; a credential
            // added inside the window has been idle only since it was added.
            let since = match added {
                Some(a) if a > window => a.min(as_of),
                _ => window,
            };
            return Evidence::Idle {
                since,
                as_of,
                source: UsageSource::SignInLog,
            };
        }
        let sources: Vec<UsageSource> = UsageSource::ALL
            .into_iter()
            .filter(|s| s.names(t))
            .collect();
        Evidence::Unknown(self.reason(&sources))
    }

    /// Why none of `sources` can say anything: the most actionable reason any of them gave;
    /// `NotReported` when one was read; `NotLoaded` when none was tried.
    fn reason(&self, sources: &[UsageSource]) -> Unknown {
        let mut best: Option<&Unknown> = None;
        let mut read = false;
        for s in sources {
            match self.data.source(*s).map(|x| &x.outcome) {
                Some(SourceOutcome::Read { .. }) => read = true,
                Some(SourceOutcome::Unavailable { unknown })
                    if best.is_none_or(|b| unknown.rank() < b.rank()) =>
                {
                    best = Some(unknown);
                }
                _ => {}
            }
        }
        if read {
            return Unknown::NotReported;
        }
        best.cloned().unwrap_or(Unknown::NotLoaded)
    }
}

/// Secrets and certificates share one key space (keyIds), federated credentials another (their
/// ids): a log entry's keyId does not always say which of the two it is, so they are not told
/// apart when looking one up.
pub(super) fn same_kind(a: CredentialType, b: CredentialType) -> bool {
    (a == CredentialType::Federated) == (b == CredentialType::Federated)
}
