//! The emulated tenant: the `TenantSnapshot` itself (so `Emulator::snapshot` is a clone) plus
//! the indexes the routes need to stay O(1) per lookup, the side data Graph keeps but the
//! domain model does not (certificate blobs, handed-out secret texts), and the subscriptions
//! ARM lists.

use std::collections::{BTreeSet, HashMap};

use credwise::domain::objects::arm_segment;
use credwise::domain::{
    FederatedIdentityCredential, ServicePrincipal, ServicePrincipalType, TenantSnapshot,
    UserAssignedIdentity,
};

/// A subscription of the subscription list.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: String,
    pub tenant_id: String,
    pub display_name: String,
}

/// The subscription of another tenant that the token also sees (Lighthouse, guest access…):
/// clients must filter the list by `tenantId`. Its paths answer 401, as ARM does for a token
/// of the wrong tenant.
pub const FOREIGN_SUBSCRIPTION: &str = "0f0e0d0c-0b0a-4909-8807-060504030201";
pub const FOREIGN_TENANT: &str = "7e57ab1e-0000-4000-8000-00000000f0e1";

/// The tenant that owns Microsoft's first-party apps; managed identities point at it.
pub const MICROSOFT_SERVICES_TENANT: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";

#[derive(Debug)]
pub struct State {
    pub snap: TenantSnapshot,
    app_by_id: HashMap<String, usize>,
    app_by_app_id: HashMap<String, usize>,
    sp_by_id: HashMap<String, usize>,
    sp_by_app_id: HashMap<String, usize>,
    uami_by_id: HashMap<String, usize>,
    /// keyId → DER of certificates uploaded through `PATCH keyCredentials`. Credentials that
    /// came with the snapshot have a deterministic placeholder instead (see `key_der`).
    keys: HashMap<String, Vec<u8>>,
    /// Every `secretText` handed out by `addPassword`.
    pub secrets: Vec<String>,
    pub subscriptions: Vec<Subscription>,
    /// What ARM keeps about a role assignment beyond the domain model (lower-cased id →
    /// `createdOn`, `updatedOn`); assignments that came with the snapshot were "created"
    /// when the emulator started.
    pub role_assignment_times: HashMap<String, (String, String)>,
    pub started: String,
    /// Resource Graph rows served as they are, besides those made from the snapshot's
    /// resources: Resource Graph columns are `dynamic`, so tests can hand a client rows whose
    /// `identity` is a string, an array or null.
    pub raw_resource_rows: Vec<serde_json::Value>,
}

impl State {
    pub fn new(mut snap: TenantSnapshot) -> Self {
        // Graph gives every application FIC an id; snapshots from `az` or hand-written ones may
        // not have one.
        for app in &mut snap.applications {
            for f in &mut app.federated_identity_credentials {
                if f.id.is_none() {
                    f.id = Some(super::wire::new_guid());
                }
            }
        }
        let subscriptions = derive_subscriptions(&snap);
        let mut s = Self {
            snap,
            app_by_id: HashMap::new(),
            app_by_app_id: HashMap::new(),
            sp_by_id: HashMap::new(),
            sp_by_app_id: HashMap::new(),
            uami_by_id: HashMap::new(),
            keys: HashMap::new(),
            secrets: Vec::new(),
            subscriptions,
            role_assignment_times: HashMap::new(),
            started: super::wire::date(time::OffsetDateTime::now_utc()),
            raw_resource_rows: Vec::new(),
        };
        s.reindex_apps();
        s.reindex_sps();
        s.reindex_uamis();
        s
    }

    /// Rebuilds every index after the snapshot was changed in place (`Emulator::mutate`).
    pub fn reindex(&mut self) {
        self.reindex_apps();
        self.reindex_sps();
        self.reindex_uamis();
    }

    fn reindex_apps(&mut self) {
        self.app_by_id.clear();
        self.app_by_app_id.clear();
        for (i, a) in self.snap.applications.iter().enumerate() {
            self.app_by_id.insert(a.id.to_ascii_lowercase(), i);
            // An object without an appId (agent identities) is not found by one.
            if !a.app_id.is_empty() {
                self.app_by_app_id.insert(a.app_id.to_ascii_lowercase(), i);
            }
        }
    }

    fn reindex_sps(&mut self) {
        self.sp_by_id.clear();
        self.sp_by_app_id.clear();
        for (i, s) in self.snap.service_principals.iter().enumerate() {
            self.sp_by_id.insert(s.id.to_ascii_lowercase(), i);
            if !s.app_id.is_empty() {
                self.sp_by_app_id.insert(s.app_id.to_ascii_lowercase(), i);
            }
        }
    }

    fn reindex_uamis(&mut self) {
        self.uami_by_id.clear();
        for (i, u) in self.snap.user_assigned_identities.iter().enumerate() {
            self.uami_by_id.insert(u.id.to_ascii_lowercase(), i);
        }
    }

    /// An application by object id, or by the alternate key `appId`.
    pub fn app_index(&self, key: &str, by_app_id: bool) -> Option<usize> {
        let k = key.to_ascii_lowercase();
        if by_app_id {
            self.app_by_app_id.get(&k).copied()
        } else {
            self.app_by_id.get(&k).copied()
        }
    }

    pub fn sp_index(&self, key: &str, by_app_id: bool) -> Option<usize> {
        let k = key.to_ascii_lowercase();
        if by_app_id {
            self.sp_by_app_id.get(&k).copied()
        } else {
            self.sp_by_id.get(&k).copied()
        }
    }

    pub fn sp_by_object_id(&self, id: &str) -> Option<&ServicePrincipal> {
        self.sp_index(id, false)
            .map(|i| &self.snap.service_principals[i])
    }

    pub fn uami_index(&self, arm_id: &str) -> Option<usize> {
        self.uami_by_id.get(&arm_id.to_ascii_lowercase()).copied()
    }

    pub fn uami(&self, arm_id: &str) -> Option<&UserAssignedIdentity> {
        self.uami_index(arm_id)
            .map(|i| &self.snap.user_assigned_identities[i])
    }

    pub fn add_sp(&mut self, sp: ServicePrincipal) {
        self.snap.service_principals.push(sp);
        let i = self.snap.service_principals.len() - 1;
        let sp = &self.snap.service_principals[i];
        self.sp_by_id.insert(sp.id.to_ascii_lowercase(), i);
        if !sp.app_id.is_empty() {
            self.sp_by_app_id.insert(sp.app_id.to_ascii_lowercase(), i);
        }
    }

    pub fn remove_sp(&mut self, id: &str) {
        if let Some(i) = self.sp_index(id, false) {
            self.snap.service_principals.remove(i);
            self.reindex_sps();
        }
    }

    pub fn add_uami(&mut self, u: UserAssignedIdentity) {
        self.uami_by_id.insert(
            u.id.to_ascii_lowercase(),
            self.snap.user_assigned_identities.len(),
        );
        self.snap.user_assigned_identities.push(u);
    }

    pub fn remove_uami(&mut self, arm_id: &str) -> Option<UserAssignedIdentity> {
        let i = self.uami_index(arm_id)?;
        let u = self.snap.user_assigned_identities.remove(i);
        self.reindex_uamis();
        Some(u)
    }

    /// The DER of a key credential: the uploaded one, or for credentials that came with the
    /// snapshot a placeholder that is valid DER (a SEQUENCE holding an OCTET STRING naming the
    /// keyId) but no certificate. Placeholders are recognised when PATCHed back.
    pub fn key_der(&self, key_id: &str) -> Vec<u8> {
        if let Some(k) = self.keys.get(&key_id.to_ascii_lowercase()) {
            return k.clone();
        }
        placeholder_der(key_id)
    }

    pub fn set_key(&mut self, key_id: &str, der: Vec<u8>) {
        self.keys.insert(key_id.to_ascii_lowercase(), der);
    }

    pub fn known_key(&self, key_id: &str) -> Option<&Vec<u8>> {
        self.keys.get(&key_id.to_ascii_lowercase())
    }

    /// A role assignment's `createdOn` and `updatedOn`.
    pub fn role_assignment_time(&self, id: &str) -> (String, String) {
        self.role_assignment_times
            .get(&id.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| (self.started.clone(), self.started.clone()))
    }

    pub fn subscription(&self, id: &str) -> Option<&Subscription> {
        self.subscriptions
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(id))
    }

    pub fn is_own_subscription(&self, id: &str) -> bool {
        self.subscription(id)
            .is_some_and(|s| s.tenant_id == self.snap.tenant_id)
    }
}

pub fn placeholder_der(key_id: &str) -> Vec<u8> {
    let text = format!("credwise emulator placeholder certificate {key_id}");
    let bytes = text.as_bytes();
    // Short-form lengths: the text stays well under 126 bytes for any keyId Graph uses.
    let inner_len = bytes.len().min(120);
    let mut der = vec![0x30, (inner_len + 2) as u8, 0x04, inner_len as u8];
    der.extend_from_slice(&bytes[..inner_len]);
    der
}

fn derive_subscriptions(snap: &TenantSnapshot) -> Vec<Subscription> {
    let mut ids = BTreeSet::new();
    let mut add = |arm_id: &str| {
        if let Some(s) = arm_segment(arm_id, "subscriptions") {
            ids.insert(s.to_ascii_lowercase());
        }
    };
    for u in &snap.user_assigned_identities {
        add(&u.id);
    }
    for r in &snap.resources {
        add(&r.id);
        for u in &r.identity.user_assigned_identities {
            add(u);
        }
    }
    for ra in &snap.role_assignments {
        add(&ra.scope);
        add(&ra.id);
    }
    for sp in &snap.service_principals {
        if sp.service_principal_type == ServicePrincipalType::ManagedIdentity
            && let Some(rid) = sp.resource_id()
        {
            add(rid);
        }
    }
    let mut subs: Vec<Subscription> = ids
        .into_iter()
        .enumerate()
        .map(|(n, id)| Subscription {
            id,
            tenant_id: snap.tenant_id.clone(),
            display_name: format!("Subscription {}", n + 1),
        })
        .collect();
    subs.push(Subscription {
        id: FOREIGN_SUBSCRIPTION.to_string(),
        tenant_id: FOREIGN_TENANT.to_string(),
        display_name: "Partner subscription (another tenant)".to_string(),
    });
    subs
}

/// A FIC by id or by name (Graph accepts either in the path).
pub fn fic_position(fics: &[FederatedIdentityCredential], id_or_name: &str) -> Option<usize> {
    fics.iter().position(|f| {
        f.name.eq_ignore_ascii_case(id_or_name)
            || f.id
                .as_deref()
                .is_some_and(|id| id.eq_ignore_ascii_case(id_or_name))
    })
}
