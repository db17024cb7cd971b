//! The usage evidence of every identity and every credential of a `Directory`, worked out
//! once when a tenant is loaded, for the places that show it row by row: the explorer's
//! LAST USED column and its `last-used` sort, the details pane's line per credential, and
//! `credwise list`. Looking it up through a `UsageIndex` per frame or per row would index the
//! whole sign-in data again each time.
//!
//! The evidence is `usage::Evidence`, so the rule of `usage` holds here too: nothing is
//! called unused without data. An identity's evidence is its newest sign-in over its own
//! (`UsageIndex::identity`) and its credentials' facts; without one, a failing credential;
//! without that, the identity's own "no sign-in since" or the reason nothing can be said.
//!
//! A managed identity is never "no sign-in since": the sign-in log is read for service
//! principal sign-ins, and Microsoft Learn ("What are service principal sign-ins in Microsoft
//! Entra?") says those exclude managed identity sign-ins, which are only in the managed
//! identity sign-in log. Its silence in the log proves nothing, so a managed identity (and
//! its federated credentials) without a sign-in in the data is `Unknown::NotReported`.
//!
//! Pure; may import the rest of `domain`.

use super::Timestamp;
use super::directory::{Directory, EntryId};
use super::kind::IdentityKind;
use super::usage::{Evidence, Unknown, UsageIndex};

/// Evidence per identity and per credential, in `Directory` order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastUsed {
    identities: Vec<Evidence>,
    /// Every identity's credentials, in `Directory::credentials_of` order, back to back.
    credentials: Vec<Evidence>,
    /// Where each identity's credentials start in `credentials`; one more than identities.
    offsets: Vec<u32>,
}

impl LastUsed {
    pub fn new(dir: &Directory) -> Self {
        let ix = UsageIndex::new(&dir.snapshot().usage);
        // Every credential of every entry, as the index counted them: the list is sized
        // once, not grown by doubling (a copy of it each time, and room left over).
        let credentials = dir
            .entries()
            .iter()
            .map(|e| {
                usize::from(e.secrets) + usize::from(e.certificates) + usize::from(e.federated)
            })
            .sum();
        let mut out = LastUsed {
            identities: Vec::with_capacity(dir.len()),
            credentials: Vec::with_capacity(credentials),
            offsets: Vec::with_capacity(dir.len() + 1),
        };
        out.offsets.push(0);
        for e in dir.entries() {
            let managed = matches!(
                e.kind,
                IdentityKind::UserAssignedManagedIdentity
                    | IdentityKind::SystemAssignedManagedIdentity
            );
            let covered = |ev: Evidence| ev.held_by(managed);
            let start = out.credentials.len();
            out.credentials.extend(
                dir.credentials_of(e)
                    .into_iter()
                    .map(|c| covered(ix.credential(c))),
            );
            let own = match dir.app_id_of(e) {
                Some(app_id) => covered(ix.identity(app_id)),
                // Nothing in the sign-in data can be matched to an identity without an appId.
                None => Evidence::Unknown(Unknown::NotReported),
            };
            out.identities.push(combine(own, &out.credentials[start..]));
            out.offsets.push(out.credentials.len() as u32);
        }
        out
    }

    /// The identity's evidence (`Evidence::Unknown(NotLoaded)` for an id out of range, which
    /// only a stale id can be).
    pub fn identity(&self, id: EntryId) -> &Evidence {
        const NOT_LOADED: Evidence = Evidence::Unknown(Unknown::NotLoaded);
        self.identities.get(id as usize).unwrap_or(&NOT_LOADED)
    }

    /// The evidence of each of the identity's credentials, aligned with
    /// `Directory::credentials_of`.
    pub fn credentials(&self, id: EntryId) -> &[Evidence] {
        let i = id as usize;
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => self.credentials.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The identities' order by last use: least recently used first, unknown last. See
    /// `order_key`.
    pub fn order_key(&self, id: EntryId) -> (bool, i64) {
        order_key(self.identity(id))
    }
}

/// Sorts least recently used first, the ones to retire: by the newest instant the data puts
/// a use at — a sign-in, a failed attempt, or for "no sign-in since" the start of that span
/// (the last use was before it) — and every `Unknown` after all of those. The caller breaks
/// ties (by name).
pub fn order_key(e: &Evidence) -> (bool, i64) {
    let at: Option<Timestamp> = match e {
        Evidence::SignedIn { at, .. } | Evidence::Failing { at, .. } => Some(*at),
        Evidence::Idle { since, .. } => Some(*since),
        Evidence::Unknown(_) => None,
    };
    match at {
        Some(t) => (false, t.unix_timestamp()),
        None => (true, 0),
    }
}

/// An identity's evidence from its own and its credentials': the newest successful sign-in
/// of any; else the newest failing credential (something still presents it); else its own
/// (a "no sign-in since" covers every credential, an `Unknown` says why).
fn combine(own: Evidence, credentials: &[Evidence]) -> Evidence {
    let signed_in = std::iter::once(&own)
        .chain(credentials)
        .filter(|e| matches!(e, Evidence::SignedIn { .. }))
        .max_by_key(|e| e.last_sign_in());
    if let Some(e) = signed_in {
        return e.clone();
    }
    let failing = credentials
        .iter()
        .filter_map(|e| match e {
            Evidence::Failing { at, .. } => Some((*at, e)),
            _ => None,
        })
        .max_by_key(|(at, _)| *at);
    if let Some((_, e)) = failing {
        return e.clone();
    }
    own
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::usage::UsageSource;
    use time::macros::datetime;

    const NOW: Timestamp = datetime!(2026-11-22 12:00 UTC);

    fn signed(days: i64) -> Evidence {
        Evidence::SignedIn {
            at: NOW - time::Duration::days(days),
            as_of: NOW,
            source: UsageSource::CredentialReport,
            origin: None,
        }
    }

    fn idle(days: i64) -> Evidence {
        Evidence::Idle {
            since: NOW - time::Duration::days(days),
            as_of: NOW,
            source: UsageSource::SignInLog,
        }
    }

    #[test]
    fn an_identity_takes_the_newest_sign_in_of_itself_and_its_credentials() {
        assert_eq!(combine(signed(9), &[signed(3), idle(30)]), signed(3));
        assert_eq!(combine(signed(2), &[signed(3)]), signed(2));
        // A failing credential counts only when nothing signed in.
        let failing = Evidence::Failing {
            at: NOW - time::Duration::days(1),
            last_success: None,
            as_of: NOW,
            source: UsageSource::SignInLog,
        };
        assert_eq!(combine(idle(30), std::slice::from_ref(&failing)), failing);
        assert_eq!(combine(signed(40), &[failing]), signed(40));
        // Without a fact, the identity's own evidence: its span or why nothing is known.
        assert_eq!(combine(idle(30), &[idle(10)]), idle(30));
        let unknown = Evidence::Unknown(Unknown::Licence {
            requirement: "Microsoft Entra ID P1 or P2".into(),
        });
        assert_eq!(combine(unknown.clone(), &[]), unknown);
    }

    #[test]
    fn least_recently_used_first_and_unknown_last() {
        let failing = Evidence::Failing {
            at: NOW - time::Duration::days(1),
            last_success: None,
            as_of: NOW,
            source: UsageSource::SignInLog,
        };
        let unknown = Evidence::Unknown(Unknown::NotLoaded);
        // (evidence, its place): a sign-in older than the log's window goes before the
        // window's "none", a failed attempt counts as a use at its time, unknown goes last.
        let table = [
            (signed(3), 3),
            (unknown.clone(), 5),
            (idle(30), 1),
            (failing.clone(), 4),
            (signed(200), 0),
            (signed(25), 2),
        ];
        let mut v: Vec<(Evidence, usize)> = table.to_vec();
        v.sort_by_key(|(e, _)| order_key(e));
        let places: Vec<usize> = v.iter().map(|(_, p)| *p).collect();
        assert_eq!(places, [0, 1, 2, 3, 4, 5]);
    }

    /// Two applications: one whose second secret signed in 3 days ago (the first is idle
    /// over the log's 30 days), one with no credential and no sign-in; and a
    /// system-assigned managed identity.
    fn tenant(usage: &str) -> Directory {
        let json = format!(
            r#"{{"tenantId":"t","capturedAt":"2026-11-22T12:00:00Z",
            "applications":[
              {{"id":"o1","appId":"a1","displayName":"used","passwordCredentials":[
                {{"keyId":"k1","startDateTime":"2026-01-01T00:00:00Z"}},
                {{"keyId":"k2","startDateTime":"2026-01-01T00:00:00Z"}}]}},
              {{"id":"o2","appId":"a2","displayName":"idle"}}],
            "servicePrincipals":[
              {{"id":"o3","appId":"a3","displayName":"vm-identity",
                "servicePrincipalType":"ManagedIdentity",
                "alternativeNames":["isExplicit=False","/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm"]}}],
            "usage":{usage}}}"#
        );
        Directory::new(serde_json::from_str::<crate::domain::TenantSnapshot>(&json).unwrap())
    }

    #[test]
    fn evidence_per_identity_and_per_credential_in_directory_order() {
        let dir = tenant(
            r#"{"collectedAt":"2026-11-22T12:00:00Z",
              "sources":[{"source":"sign-in-log","status":"read","covers_from":"2026-10-23T12:00:00Z","pages":1}],
              "credentials":[{"source":"sign-in-log","type":"secret","key":"k2","appId":"a1",
                              "lastSignIn":"2026-11-19T12:00:00Z"}]}"#,
        );
        let used = LastUsed::new(&dir);
        let id = |name: &str| dir.find(name).unwrap();
        let creds = used.credentials(id("used"));
        assert_eq!(creds.len(), 2);
        assert_eq!(creds[0].short(NOW), "none 30d+");
        assert_eq!(creds[1].short(NOW), "3d ago");
        assert_eq!(used.identity(id("used")).short(NOW), "3d ago");
        assert_eq!(used.identity(id("idle")).short(NOW), "none 30d+");
        assert!(used.credentials(id("idle")).is_empty());
        // The log read is of service principal sign-ins, which leave managed identities out:
        // its silence says nothing about one.
        assert_eq!(
            *used.identity(id("vm-identity")),
            Evidence::Unknown(Unknown::NotReported)
        );
        // A stale id is unknown, never unused.
        assert!(matches!(used.identity(u32::MAX), Evidence::Unknown(_)));
        assert!(used.credentials(u32::MAX).is_empty());
    }

    #[test]
    fn without_licence_every_identity_and_credential_is_unknown_with_the_reason() {
        let dir = tenant(
            r#"{"collectedAt":"2026-11-22T12:00:00Z","sources":[
              {"source":"credential-report","status":"unavailable","unknown":{"reason":"licence","requirement":"Microsoft Entra ID P1 or P2"}},
              {"source":"service-principal-report","status":"unavailable","unknown":{"reason":"licence","requirement":"Microsoft Entra ID P1 or P2"}},
              {"source":"sign-in-log","status":"unavailable","unknown":{"reason":"licence","requirement":"Microsoft Entra ID P1 or P2"}}]}"#,
        );
        let licence = Evidence::Unknown(Unknown::Licence {
            requirement: "Microsoft Entra ID P1 or P2".into(),
        });
        let used = LastUsed::new(&dir);
        for id in 0..dir.len() as EntryId {
            assert_eq!(*used.identity(id), licence);
            assert!(used.credentials(id).iter().all(|c| *c == licence));
            assert_eq!(used.order_key(id), (true, 0));
        }
    }
}
