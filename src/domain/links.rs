//! Links between identities and the Azure objects around them: an application and its
//! service principals (same appId), managed identity as a federated credential (an app FIC
//! with the tenant's Entra issuer whose subject is a managed identity's principal id), a
//! user-assigned identity and the resources it is attached to, a system-assigned identity and
//! its resource. Links with a `target` can be followed in the explorer.

use super::credential::FederatedIdentityCredential;
use super::directory::{Directory, Entry, EntryId, ObjectRef};
use super::kind::IdentityKind;
use super::snapshot::Cloud;

/// What a link means, read from the selected identity's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    /// Application → a service principal with its appId.
    ServicePrincipal,
    /// Service principal → the application it instantiates.
    Application,
    /// Application → the managed identity its FIC trusts (MI-as-FIC).
    TrustsManagedIdentity,
    /// Managed identity → an application whose FIC trusts it.
    TrustedByApplication,
    /// User-assigned identity → a resource it is attached to.
    AttachedTo,
    /// System-assigned identity → the resource it belongs to.
    BelongsTo,
    /// Managed identity → another managed identity on the same resource.
    SharesResourceWith,
}

impl Relation {
    pub fn label(self) -> &'static str {
        match self {
            Self::ServicePrincipal => "service principal",
            Self::Application => "app registration",
            Self::TrustsManagedIdentity => "trusts managed identity",
            Self::TrustedByApplication => "trusted by app",
            Self::AttachedTo => "attached to",
            Self::BelongsTo => "belongs to",
            Self::SharesResourceWith => "shares resource with",
        }
    }
}

/// One link as shown in the details pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub relation: Relation,
    /// What the link points at, as text (an identity's name, a resource's name and type).
    pub label: String,
    /// A second line of context: the FIC name, the resource id…
    pub detail: String,
    /// The identity to jump to, when the target is one.
    pub target: Option<EntryId>,
}

/// How an FIC's issuer and subject read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FicKind {
    /// The tenant's own Entra issuer with a GUID subject: a managed identity as FIC.
    ManagedIdentity,
    /// The tenant's Entra issuer with an `/eid1/…` subject: Microsoft first-party federation
    /// (Azure DevOps service connections, Bot Service…).
    MicrosoftService,
    GitHubActions,
    Kubernetes,
    Other,
}

impl FicKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::ManagedIdentity => "managed identity",
            Self::MicrosoftService => "Microsoft service",
            Self::GitHubActions => "GitHub Actions",
            Self::Kubernetes => "Kubernetes",
            Self::Other => "OIDC issuer",
        }
    }
}

/// True when `issuer` is `https://{entra host}/{tenant_id}/v2.0` of `cloud`.
pub fn is_tenant_entra_issuer(issuer: &str, tenant_id: &str, cloud: Cloud) -> bool {
    let Some(rest) = issuer.strip_prefix("https://") else {
        return false;
    };
    let rest = rest.trim_end_matches('/');
    cloud.entra_issuer_hosts().iter().any(|host| {
        rest.strip_prefix(host)
            .and_then(|r| r.strip_prefix('/'))
            .and_then(|r| r.strip_suffix("/v2.0"))
            .is_some_and(|t| t.eq_ignore_ascii_case(tenant_id))
    })
}

pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

pub fn classify_fic(f: &FederatedIdentityCredential, tenant_id: &str, cloud: Cloud) -> FicKind {
    let subject = f.subject.as_deref().unwrap_or("");
    if is_tenant_entra_issuer(&f.issuer, tenant_id, cloud) {
        if is_guid(subject) {
            return FicKind::ManagedIdentity;
        }
        if subject.starts_with("/eid1/") {
            return FicKind::MicrosoftService;
        }
        return FicKind::Other;
    }
    if f.issuer.trim_end_matches('/') == "https://token.actions.githubusercontent.com" {
        return FicKind::GitHubActions;
    }
    if subject.starts_with("system:serviceaccount:") {
        return FicKind::Kubernetes;
    }
    FicKind::Other
}

impl Directory {
    /// The links of `e`, in a stable order.
    pub fn links_of(&self, e: &Entry) -> Vec<Link> {
        let s = self.snapshot();
        let mut out = Vec::new();
        match e.object {
            ObjectRef::Application(i) => {
                let app = &s.applications[i as usize];
                for &t in self.by_id(&app.app_id) {
                    let te = self.entry(t);
                    if te.kind == IdentityKind::ServicePrincipal {
                        out.push(Link {
                            relation: Relation::ServicePrincipal,
                            label: self.display_name_of(te).to_string(),
                            detail: self.id_of(te).to_string(),
                            target: Some(t),
                        });
                    }
                }
                for f in &app.federated_identity_credentials {
                    if classify_fic(f, &s.tenant_id, s.cloud) != FicKind::ManagedIdentity {
                        continue;
                    }
                    let subject = f.subject.as_deref().unwrap_or("");
                    let target = self.managed_identity_by_principal(subject);
                    out.push(Link {
                        relation: Relation::TrustsManagedIdentity,
                        label: match target {
                            Some(t) => self.display_name_of(self.entry(t)).to_string(),
                            None => format!("{subject} (not in this snapshot)"),
                        },
                        detail: format!("FIC {}", f.name),
                        target,
                    });
                }
            }
            ObjectRef::ServicePrincipal(i) => {
                let sp = &s.service_principals[i as usize];
                for &t in self.by_id(&sp.app_id) {
                    let te = self.entry(t);
                    if te.kind == IdentityKind::Application {
                        out.push(Link {
                            relation: Relation::Application,
                            label: self.display_name_of(te).to_string(),
                            detail: self.id_of(te).to_string(),
                            target: Some(t),
                        });
                    }
                }
            }
            ObjectRef::UserAssigned { .. } | ObjectRef::SystemAssigned(_) => {
                self.managed_identity_links(e, &mut out);
            }
        }
        out
    }

    fn managed_identity_links(&self, e: &Entry, out: &mut Vec<Link>) {
        let s = self.snapshot();
        let me = self.id_of(e);
        let mut resources: Vec<u32> = Vec::new();
        if e.kind == IdentityKind::UserAssignedManagedIdentity {
            if let Some(arm) = self.arm_id_of(e) {
                resources.extend_from_slice(self.attached_resources(arm));
            }
            for &r in &resources {
                let res = &s.resources[r as usize];
                out.push(Link {
                    relation: Relation::AttachedTo,
                    label: format!("{} ({})", res.name, res.resource_type),
                    detail: res.id.clone(),
                    target: None,
                });
            }
        } else if let Some(arm) = self.arm_id_of(e) {
            match self.resource_index(arm) {
                Some(r) => {
                    let res = &s.resources[r as usize];
                    out.push(Link {
                        relation: Relation::BelongsTo,
                        label: format!("{} ({})", res.name, res.resource_type),
                        detail: res.id.clone(),
                        target: None,
                    });
                    resources.push(r);
                }
                None => out.push(Link {
                    relation: Relation::BelongsTo,
                    label: arm.rsplit('/').next().unwrap_or(arm).to_string(),
                    detail: arm.to_string(),
                    target: None,
                }),
            }
        }
        // Other managed identities on the same resources.
        let mut seen: Vec<EntryId> = Vec::new();
        for &r in &resources {
            let res = &s.resources[r as usize];
            let mut others: Vec<EntryId> = res
                .identity
                .user_assigned_identities
                .iter()
                .flat_map(|ua| self.by_id(ua).iter().copied())
                .collect();
            if let Some(p) = res.identity.principal_id.as_deref() {
                others.extend(self.managed_identity_by_principal(p));
            }
            for t in others {
                if self.id_of(self.entry(t)) == me || seen.contains(&t) {
                    continue;
                }
                seen.push(t);
                out.push(Link {
                    relation: Relation::SharesResourceWith,
                    label: self.display_name_of(self.entry(t)).to_string(),
                    detail: format!("on {}", res.name),
                    target: Some(t),
                });
            }
        }
        // Applications that trust this identity through a FIC.
        for (ai, app) in s.applications.iter().enumerate() {
            for f in &app.federated_identity_credentials {
                if f.subject.as_deref() == Some(me)
                    && classify_fic(f, &s.tenant_id, s.cloud) == FicKind::ManagedIdentity
                {
                    let target = self
                        .by_id(&app.id)
                        .iter()
                        .copied()
                        .find(|&t| self.entry(t).object == ObjectRef::Application(ai as u32));
                    out.push(Link {
                        relation: Relation::TrustedByApplication,
                        label: app.display_name.clone(),
                        detail: format!("FIC {}", f.name),
                        target,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fic(issuer: &str, subject: &str) -> FederatedIdentityCredential {
        FederatedIdentityCredential {
            id: None,
            name: "n".into(),
            issuer: issuer.into(),
            subject: Some(subject.into()),
            claims_matching_expression: None,
            audiences: vec!["api://AzureADTokenExchange".into()],
            description: None,
        }
    }

    const T: &str = "3d1e2be9-a10a-4a0c-8380-7ce190f98ed9";

    #[test]
    fn classifies_fics() {
        let entra = format!("https://login.microsoftonline.com/{T}/v2.0");
        let cases = [
            (
                entra.as_str(),
                "a7d388c3-5e3f-4959-ac7d-786b3383006a",
                FicKind::ManagedIdentity,
            ),
            (
                entra.as_str(),
                "/eid1/c/pub/t/abc/a/def/sc/1/2",
                FicKind::MicrosoftService,
            ),
            (entra.as_str(), "something-else", FicKind::Other),
            (
                "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0",
                "a7d388c3-5e3f-4959-ac7d-786b3383006a",
                FicKind::Other,
            ),
            (
                "https://token.actions.githubusercontent.com",
                "repo:o/r:ref:refs/heads/main",
                FicKind::GitHubActions,
            ),
            (
                "https://westeurope.oic.prod-aks.azure.com/t/g/",
                "system:serviceaccount:ns:sa",
                FicKind::Kubernetes,
            ),
            ("https://accounts.google.com", "1234567890", FicKind::Other),
        ];
        for (issuer, subject, want) in cases {
            assert_eq!(
                classify_fic(&fic(issuer, subject), T, Cloud::Public),
                want,
                "{issuer} {subject}"
            );
        }
    }

    #[test]
    fn sovereign_issuers_belong_to_their_cloud() {
        let us = format!("https://login.microsoftonline.us/{T}/v2.0");
        assert!(is_tenant_entra_issuer(&us, T, Cloud::Usgov));
        assert!(!is_tenant_entra_issuer(&us, T, Cloud::Public));
    }

    #[test]
    fn guid_shape() {
        assert!(is_guid("a7d388c3-5e3f-4959-ac7d-786b3383006a"));
        assert!(!is_guid("a7d388c3-5e3f-4959-ac7d-786b3383006"));
        assert!(!is_guid("a7d388c3x5e3f-4959-ac7d-786b3383006a"));
    }
}
