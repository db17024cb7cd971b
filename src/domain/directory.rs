//! `Directory`: a `TenantSnapshot` indexed as a flat list of workload identities (`Entry`),
//! with the lookups that links, `credwise show ID` and the explorer need.
//!
//! Entries are small (kind, where the object lives, counts, nearest expiry); names, ids and
//! credentials are read from the snapshot on demand, so a 150,000-identity tenant costs little
//! more than its snapshot. A user-assigned managed identity is one entry made of its ARM
//! resource and its service principal; either may be missing (no ARM access, or a stale
//! directory).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::Timestamp;
use super::credential::{CredentialRef, CredentialType};
use super::id_index::{Case, IdIndex, IdIndexBuilder};
use super::kind::IdentityKind;
use super::objects::{ManagedIdentityFlavour, RoleAssignment, ServicePrincipalType};
use super::search::SearchText;
use super::snapshot::TenantSnapshot;

/// An index into `Directory::entries`.
pub type EntryId = u32;

/// Where an entry's objects live in the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectRef {
    Application(u32),
    ServicePrincipal(u32),
    UserAssigned { arm: Option<u32>, sp: Option<u32> },
    SystemAssigned(u32),
}

/// One workload identity as the explorer lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub kind: IdentityKind,
    pub object: ObjectRef,
    pub secrets: u16,
    pub certificates: u16,
    pub federated: u16,
    /// The earliest end date among its secrets and certificates.
    pub nearest_expiry: Option<Timestamp>,
}

impl Entry {
    pub fn count(&self, t: CredentialType) -> u16 {
        match t {
            CredentialType::Secret => self.secrets,
            CredentialType::Certificate => self.certificates,
            CredentialType::Federated => self.federated,
        }
    }
}

/// Why `Directory::find` found no single identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindError {
    NotFound,
    /// Several identities carry that display name.
    Ambiguous(Vec<EntryId>),
}

/// What the `/` filter searches: names, ids, FIC subjects and issuers copied into one
/// contiguous text with character masks. The ids are copied too (some 13 MB on a
/// 150,000-identity tenant): read from the snapshot, each one a trip to memory of its own, a
/// pasted GUID prefix took 23 ms a keystroke there instead of 8.
#[derive(Debug, Clone)]
struct Search {
    text: SearchText,
}

/// The tenant snapshot plus its index.
#[derive(Debug, Clone)]
pub struct Directory {
    /// Shared with the backend that loaded it: one copy of a large tenant, not two.
    snapshot: Arc<TenantSnapshot>,
    entries: Vec<Entry>,
    /// Object ids, client ids and UAMI ARM ids (any case) → entries.
    by_id: IdIndex,
    /// Principal (object) id of every managed identity → its entry (case-sensitive: the
    /// MI-as-FIC subject is a case-sensitive GUID).
    mi_by_principal: IdIndex,
    /// ARM resource id (any case) → index into `snapshot.resources`.
    resource_by_id: IdIndex,
    /// UAMI ARM id (any case) → resources it is attached to.
    attached: IdIndex,
    /// Principal id (any case) → indices into `snapshot.role_assignments`.
    roles_by_principal: IdIndex,
    /// What the `/` filter searches. Built with the index for the explorer
    /// (`Directory::new`); a command that never filters (`Directory::without_search`) builds
    /// it only if something searches after all.
    search: OnceLock<Search>,
    /// Each entry's position in case-insensitive name order, so sorting a list by name is a
    /// sort of integers.
    name_rank: Vec<u32>,
}

impl Directory {
    /// The index and the search text the explorer's `/` filter scans.
    pub fn new(snapshot: impl Into<Arc<TenantSnapshot>>) -> Self {
        Self::build(snapshot.into(), true)
    }

    /// The index without the search text, for a command that lists, shows or audits but
    /// never filters by text: on a 150,000-identity tenant the search text (names, ids, FIC
    /// subjects and issuers) holds some 25 MB.
    /// Searching still works; the text is then built on first use.
    pub fn without_search(snapshot: impl Into<Arc<TenantSnapshot>>) -> Self {
        Self::build(snapshot.into(), false)
    }

    fn build(snapshot: Arc<TenantSnapshot>, with_search: bool) -> Self {
        let mut entries = Vec::with_capacity(
            snapshot.applications.len()
                + snapshot.service_principals.len()
                + snapshot.user_assigned_identities.len(),
        );
        let mut uami_by_principal: HashMap<&str, u32> = HashMap::new();
        for (i, u) in snapshot.user_assigned_identities.iter().enumerate() {
            uami_by_principal.insert(u.principal_id.as_str(), i as u32);
        }
        for i in 0..snapshot.applications.len() {
            entries.push(ObjectRef::Application(i as u32));
        }
        let mut uami_with_sp = vec![None; snapshot.user_assigned_identities.len()];
        for (i, sp) in snapshot.service_principals.iter().enumerate() {
            let i = i as u32;
            match sp.managed_identity_flavour() {
                Some(ManagedIdentityFlavour::UserAssigned) => {
                    match uami_by_principal.get(sp.id.as_str()) {
                        Some(&arm) => uami_with_sp[arm as usize] = Some(i),
                        None => entries.push(ObjectRef::UserAssigned {
                            arm: None,
                            sp: Some(i),
                        }),
                    }
                }
                Some(ManagedIdentityFlavour::SystemAssigned) => {
                    entries.push(ObjectRef::SystemAssigned(i));
                }
                None => entries.push(ObjectRef::ServicePrincipal(i)),
            }
        }
        for (arm, sp) in uami_with_sp.into_iter().enumerate() {
            entries.push(ObjectRef::UserAssigned {
                arm: Some(arm as u32),
                sp,
            });
        }
        let entries: Vec<Entry> = entries
            .into_iter()
            .map(|object| summarize(&snapshot, object))
            .collect();

        let mut dir = Directory {
            snapshot,
            entries,
            by_id: IdIndex::default(),
            mi_by_principal: IdIndex::default(),
            resource_by_id: IdIndex::default(),
            attached: IdIndex::default(),
            roles_by_principal: IdIndex::default(),
            search: OnceLock::new(),
            name_rank: Vec::new(),
        };
        // The lookups, the search text and the name order are independent: built side by
        // side, a 150,000-identity tenant indexes in about half the time on two cores. Pure
        // computation, the same result either way.
        let (lookups, (search, name_rank)) = std::thread::scope(|scope| {
            let other = scope.spawn(|| {
                let search = with_search.then(|| dir.build_search());
                let rank = dir.build_name_rank(search.as_ref());
                (search, rank)
            });
            let lookups = dir.build_lookups();
            let other = other
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (lookups, other)
        });
        let Lookups {
            by_id,
            mi_by_principal,
            resource_by_id,
            attached,
            roles_by_principal,
        } = lookups;
        dir.by_id = by_id;
        dir.mi_by_principal = mi_by_principal;
        dir.resource_by_id = resource_by_id;
        dir.attached = attached;
        dir.roles_by_principal = roles_by_principal;
        if let Some(search) = search {
            dir.search = OnceLock::from(search);
        }
        dir.name_rank = name_rank;
        dir
    }

    /// The search text, sized exactly before it is filled (a buffer grown by doubling held
    /// up to twice its text).
    fn build_search(&self) -> Search {
        let (mut fields, mut bytes) = (0, 0);
        for e in &self.entries {
            fields += 1;
            bytes += self.display_name_of(e).len();
            self.for_each_field(e, |text| {
                fields += usize::from(!text.is_empty());
                bytes += text.len();
            });
        }
        let mut text = SearchText::with_capacity(self.entries.len(), fields, bytes);
        for e in &self.entries {
            text.push_name(self.display_name_of(e));
            self.for_each_field(e, |t| text.push_field(t));
            text.end_entry();
        }
        Search { text }
    }

    /// Each entry's position in case-insensitive name order. The names are read from the
    /// search text when there is one: contiguous, the sort touches fewer cache lines.
    fn build_name_rank(&self, search: Option<&Search>) -> Vec<u32> {
        let name = |i: u32| match search {
            Some(s) => s.text.first(i as usize),
            None => self.display_name_of(&self.entries[i as usize]),
        };
        // Sort on a 16-byte lower-cased prefix first: most comparisons end there, without
        // touching the names again; only equal prefixes compare the whole names.
        let mut order: Vec<(u128, u32)> = (0..self.entries.len() as u32)
            .map(|i| (name_prefix(name(i)), i))
            .collect();
        order.sort_unstable_by(|&(pa, a), &(pb, b)| {
            pa.cmp(&pb).then_with(|| {
                let (na, nb) = (name(a), name(b));
                na.bytes()
                    .map(|c| c.to_ascii_lowercase())
                    .cmp(nb.bytes().map(|c| c.to_ascii_lowercase()))
                    .then_with(|| na.cmp(nb))
                    .then_with(|| a.cmp(&b))
            })
        });
        let mut rank = vec![0u32; order.len()];
        for (r, &(_, id)) in order.iter().enumerate() {
            rank[id as usize] = r as u32;
        }
        rank
    }

    fn search(&self) -> &Search {
        self.search.get_or_init(|| self.build_search())
    }

    /// The searchable fields of an entry after its display name (which
    /// `SearchText::push_name` keeps first): its object id, client id, FIC subjects and
    /// issuers.
    fn for_each_field(&self, e: &Entry, mut f: impl FnMut(&str)) {
        f(self.id_of(e));
        if let Some(a) = self.app_id_of(e) {
            f(a);
        }
        let s = &self.snapshot;
        let fics = match e.object {
            ObjectRef::Application(i) => {
                &s.applications[i as usize].federated_identity_credentials[..]
            }
            ObjectRef::UserAssigned { arm: Some(a), .. } => {
                &s.user_assigned_identities[a as usize].federated_identity_credentials[..]
            }
            _ => &[],
        };
        for c in fics {
            f(c.matcher());
            f(&c.issuer);
        }
    }

    /// The fields the `/` filter searches for entry `id`, with their character masks: its
    /// display name, object id, client id, then its FICs' subjects and issuers.
    pub fn search_fields(&self, id: EntryId) -> impl Iterator<Item = (&str, u64)> {
        self.search().text.fields(id as usize)
    }

    /// The entry's display name from the search text: the same as `display_name_of`, read
    /// from the contiguous buffer a filter pass has just scanned.
    pub fn search_name(&self, id: EntryId) -> &str {
        self.search().text.first(id as usize)
    }

    /// The entry's position in case-insensitive name order.
    pub fn name_rank(&self, id: EntryId) -> u32 {
        self.name_rank[id as usize]
    }

    fn build_lookups(&self) -> Lookups {
        let s = &self.snapshot;
        let mut by_id = IdIndexBuilder::new(Case::Insensitive, self.entries.len() * 2);
        let mut mi_by_principal = IdIndexBuilder::new(Case::Sensitive, 0);
        for (i, e) in self.entries.iter().enumerate() {
            let i = i as EntryId;
            by_id.add(self.id_of(e), i);
            if let Some(app_id) = self.app_id_of(e) {
                by_id.add(app_id, i);
            }
            if let Some(arm) = self.arm_id_of(e) {
                by_id.add(arm, i);
            }
            if matches!(
                e.kind,
                IdentityKind::UserAssignedManagedIdentity
                    | IdentityKind::SystemAssignedManagedIdentity
            ) {
                mi_by_principal.add(self.id_of(e), i);
            }
        }
        let mut resource_by_id = IdIndexBuilder::new(Case::Insensitive, s.resources.len());
        let mut attached = IdIndexBuilder::new(Case::Insensitive, 0);
        for (i, r) in s.resources.iter().enumerate() {
            resource_by_id.add(&r.id, i as u32);
            for ua in &r.identity.user_assigned_identities {
                attached.add(ua, i as u32);
            }
        }
        let mut roles_by_principal = IdIndexBuilder::new(Case::Insensitive, 0);
        for (i, ra) in s.role_assignments.iter().enumerate() {
            roles_by_principal.add(&ra.principal_id, i as u32);
        }
        Lookups {
            by_id: by_id.finish(),
            mi_by_principal: mi_by_principal.finish(),
            resource_by_id: resource_by_id.finish(),
            attached: attached.finish(),
            roles_by_principal: roles_by_principal.finish(),
        }
    }

    /// Whether entry `i` carries `id` as its object id, client id or ARM id (any case).
    fn entry_has_id(&self, i: EntryId, id: &str) -> bool {
        let e = self.entry(i);
        self.id_of(e).eq_ignore_ascii_case(id)
            || self
                .app_id_of(e)
                .is_some_and(|a| a.eq_ignore_ascii_case(id))
            || self
                .arm_id_of(e)
                .is_some_and(|a| a.eq_ignore_ascii_case(id))
    }

    pub fn snapshot(&self) -> &TenantSnapshot {
        &self.snapshot
    }

    /// The shared snapshot (to save it, or to apply a change and index it again).
    pub fn shared_snapshot(&self) -> Arc<TenantSnapshot> {
        self.snapshot.clone()
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entry(&self, id: EntryId) -> &Entry {
        &self.entries[id as usize]
    }

    pub fn count_kind(&self, kind: IdentityKind) -> usize {
        self.entries.iter().filter(|e| e.kind == kind).count()
    }

    /// The object id: the application's or service principal's `id`, a managed identity's
    /// principal id.
    pub fn id_of(&self, e: &Entry) -> &str {
        let s = &self.snapshot;
        match e.object {
            ObjectRef::Application(i) => &s.applications[i as usize].id,
            ObjectRef::ServicePrincipal(i) | ObjectRef::SystemAssigned(i) => {
                &s.service_principals[i as usize].id
            }
            ObjectRef::UserAssigned { arm: Some(a), .. } => {
                &s.user_assigned_identities[a as usize].principal_id
            }
            ObjectRef::UserAssigned { sp: Some(p), .. } => &s.service_principals[p as usize].id,
            ObjectRef::UserAssigned { .. } => "",
        }
    }

    pub fn display_name_of(&self, e: &Entry) -> &str {
        let s = &self.snapshot;
        match e.object {
            ObjectRef::Application(i) => &s.applications[i as usize].display_name,
            ObjectRef::ServicePrincipal(i) | ObjectRef::SystemAssigned(i) => {
                &s.service_principals[i as usize].display_name
            }
            ObjectRef::UserAssigned { arm: Some(a), .. } => {
                &s.user_assigned_identities[a as usize].name
            }
            ObjectRef::UserAssigned { sp: Some(p), .. } => {
                &s.service_principals[p as usize].display_name
            }
            ObjectRef::UserAssigned { .. } => "",
        }
    }

    /// `appId` of applications and service principals, `clientId` of managed identities.
    pub fn app_id_of(&self, e: &Entry) -> Option<&str> {
        let s = &self.snapshot;
        Some(match e.object {
            ObjectRef::Application(i) => &s.applications[i as usize].app_id,
            ObjectRef::ServicePrincipal(i) | ObjectRef::SystemAssigned(i) => {
                &s.service_principals[i as usize].app_id
            }
            ObjectRef::UserAssigned { arm: Some(a), .. } => {
                &s.user_assigned_identities[a as usize].client_id
            }
            ObjectRef::UserAssigned { sp: Some(p), .. } => &s.service_principals[p as usize].app_id,
            ObjectRef::UserAssigned { .. } => return None,
        })
        .filter(|s: &&String| !s.is_empty())
        .map(String::as_str)
    }

    /// The ARM resource id of a user-assigned identity, or the host resource of a
    /// system-assigned one.
    pub fn arm_id_of(&self, e: &Entry) -> Option<&str> {
        let s = &self.snapshot;
        match e.object {
            ObjectRef::UserAssigned { arm: Some(a), .. } => {
                Some(&s.user_assigned_identities[a as usize].id)
            }
            ObjectRef::UserAssigned { sp: Some(p), .. } | ObjectRef::SystemAssigned(p) => {
                s.service_principals[p as usize].resource_id()
            }
            _ => None,
        }
    }

    /// Every credential of the identity: secrets, then certificates, then FICs. A managed
    /// identity's service principal certificates are Azure-managed and not listed.
    pub fn credentials_of(&self, e: &Entry) -> Vec<CredentialRef<'_>> {
        let s = &self.snapshot;
        let mut out = Vec::new();
        match e.object {
            ObjectRef::Application(i) => {
                let a = &s.applications[i as usize];
                out.extend(a.password_credentials.iter().map(CredentialRef::Secret));
                out.extend(a.key_credentials.iter().map(CredentialRef::Certificate));
                out.extend(
                    a.federated_identity_credentials
                        .iter()
                        .map(CredentialRef::Federated),
                );
            }
            ObjectRef::ServicePrincipal(i) => {
                let p = &s.service_principals[i as usize];
                out.extend(p.password_credentials.iter().map(CredentialRef::Secret));
                out.extend(p.key_credentials.iter().map(CredentialRef::Certificate));
            }
            ObjectRef::UserAssigned { arm, .. } => {
                if let Some(a) = arm {
                    let u = &s.user_assigned_identities[a as usize];
                    out.extend(
                        u.federated_identity_credentials
                            .iter()
                            .map(CredentialRef::Federated),
                    );
                }
            }
            ObjectRef::SystemAssigned(_) => {}
        }
        out
    }

    /// Role assignments held by the identity's principal.
    pub fn role_assignments_of(&self, e: &Entry) -> Vec<&RoleAssignment> {
        // An application holds no roles itself; its service principal does.
        let principal = match e.object {
            ObjectRef::Application(_) => return Vec::new(),
            _ => self.id_of(e),
        };
        let assignments = &self.snapshot.role_assignments;
        self.roles_by_principal
            .get(principal, |i, id| {
                assignments[i as usize]
                    .principal_id
                    .eq_ignore_ascii_case(id)
            })
            .iter()
            .map(|&i| &assignments[i as usize])
            .collect()
    }

    /// Entries whose object id, client id or ARM id is `id` (case-insensitive).
    pub fn by_id(&self, id: &str) -> &[EntryId] {
        self.by_id.get(id.trim(), |i, id| self.entry_has_id(i, id))
    }

    /// The managed identity whose principal id is exactly `principal_id`.
    pub fn managed_identity_by_principal(&self, principal_id: &str) -> Option<EntryId> {
        self.mi_by_principal
            .get(principal_id, |i, id| self.id_of(self.entry(i)) == id)
            .first()
            .copied()
    }

    pub fn resource_index(&self, arm_id: &str) -> Option<u32> {
        let resources = &self.snapshot.resources;
        self.resource_by_id
            .get(arm_id, |i, id| {
                resources[i as usize].id.eq_ignore_ascii_case(id)
            })
            .first()
            .copied()
    }

    /// Resources a user-assigned identity (by ARM id) is attached to.
    pub fn attached_resources(&self, uami_arm_id: &str) -> &[u32] {
        let resources = &self.snapshot.resources;
        self.attached.get(uami_arm_id, |i, id| {
            resources[i as usize]
                .identity
                .user_assigned_identities
                .iter()
                .any(|ua| ua.eq_ignore_ascii_case(id))
        })
    }

    /// Finds one identity by object id, appId/clientId, ARM id or exact display name.
    ///
    /// An appId names both an application and its service principal; the application wins,
    /// because it holds the credentials. Likewise a display name shared only by an
    /// application and its own service principal means the application. Any other shared
    /// name is ambiguous and the candidates are returned.
    pub fn find(&self, query: &str) -> Result<EntryId, FindError> {
        let hits = self.by_id(query);
        if !hits.is_empty() {
            return Ok(self.prefer_application(hits).unwrap_or(hits[0]));
        }
        let q = query.trim();
        let mut named: Vec<EntryId> = (0..self.entries.len() as EntryId)
            .filter(|&i| self.display_name_of(self.entry(i)) == q)
            .collect();
        if named.is_empty() {
            named = (0..self.entries.len() as EntryId)
                .filter(|&i| self.display_name_of(self.entry(i)).eq_ignore_ascii_case(q))
                .collect();
        }
        match named.len() {
            0 => Err(FindError::NotFound),
            1 => Ok(named[0]),
            _ => self
                .prefer_application(&named)
                .ok_or(FindError::Ambiguous(named)),
        }
    }

    /// Among `hits`, the application when the others are only its own service principals.
    fn prefer_application(&self, hits: &[EntryId]) -> Option<EntryId> {
        if hits.len() == 1 {
            return Some(hits[0]);
        }
        let apps: Vec<EntryId> = hits
            .iter()
            .copied()
            .filter(|&i| self.entry(i).kind == IdentityKind::Application)
            .collect();
        let [app] = apps[..] else { return None };
        let app_id = self.app_id_of(self.entry(app))?;
        let rest_are_its_sps = hits.iter().all(|&i| {
            i == app
                || (self.entry(i).kind == IdentityKind::ServicePrincipal
                    && self.app_id_of(self.entry(i)) == Some(app_id))
        });
        rest_are_its_sps.then_some(app)
    }

    /// Graph's `@odata.type` of the application or service principal behind an entry, when
    /// it is a kind of either (`#microsoft.graph.agentIdentity`, …).
    pub fn odata_type_of(&self, e: &Entry) -> Option<&str> {
        let s = &self.snapshot;
        match e.object {
            ObjectRef::Application(i) => s.applications[i as usize].odata_type.as_deref(),
            ObjectRef::ServicePrincipal(i) | ObjectRef::SystemAssigned(i) => {
                s.service_principals[i as usize].odata_type.as_deref()
            }
            ObjectRef::UserAssigned { sp: Some(p), .. } => {
                s.service_principals[p as usize].odata_type.as_deref()
            }
            ObjectRef::UserAssigned { sp: None, .. } => None,
        }
    }

    /// The service principal type of a service-principal entry.
    pub fn service_principal_type_of(&self, e: &Entry) -> Option<&ServicePrincipalType> {
        match e.object {
            ObjectRef::ServicePrincipal(i) | ObjectRef::SystemAssigned(i) => {
                Some(&self.snapshot.service_principals[i as usize].service_principal_type)
            }
            ObjectRef::UserAssigned { sp: Some(p), .. } => {
                Some(&self.snapshot.service_principals[p as usize].service_principal_type)
            }
            _ => None,
        }
    }
}

/// The lookups `Directory::new` builds beside the search text.
struct Lookups {
    by_id: IdIndex,
    mi_by_principal: IdIndex,
    resource_by_id: IdIndex,
    attached: IdIndex,
    roles_by_principal: IdIndex,
}

/// The first 16 bytes of a name, lower-cased, big-endian: ordering these orders the names
/// by their beginnings, case-insensitively.
fn name_prefix(name: &str) -> u128 {
    let mut key = [0u8; 16];
    for (k, b) in key.iter_mut().zip(name.bytes()) {
        *k = b.to_ascii_lowercase();
    }
    u128::from_be_bytes(key)
}

fn summarize(s: &TenantSnapshot, object: ObjectRef) -> Entry {
    let mut e = Entry {
        kind: match object {
            ObjectRef::Application(_) => IdentityKind::Application,
            ObjectRef::ServicePrincipal(_) => IdentityKind::ServicePrincipal,
            ObjectRef::UserAssigned { .. } => IdentityKind::UserAssignedManagedIdentity,
            ObjectRef::SystemAssigned(_) => IdentityKind::SystemAssignedManagedIdentity,
        },
        object,
        secrets: 0,
        certificates: 0,
        federated: 0,
        nearest_expiry: None,
    };
    let mut nearest = |end: Option<Timestamp>| {
        if let Some(end) = end {
            e.nearest_expiry = Some(e.nearest_expiry.map_or(end, |n| n.min(end)));
        }
    };
    let sat = |n: usize| n.min(u16::MAX as usize) as u16;
    match object {
        ObjectRef::Application(i) => {
            let a = &s.applications[i as usize];
            a.password_credentials
                .iter()
                .for_each(|c| nearest(c.end_date_time));
            a.key_credentials
                .iter()
                .for_each(|c| nearest(c.end_date_time));
            e.secrets = sat(a.password_credentials.len());
            e.certificates = sat(a.key_credentials.len());
            e.federated = sat(a.federated_identity_credentials.len());
        }
        ObjectRef::ServicePrincipal(i) => {
            let p = &s.service_principals[i as usize];
            p.password_credentials
                .iter()
                .for_each(|c| nearest(c.end_date_time));
            p.key_credentials
                .iter()
                .for_each(|c| nearest(c.end_date_time));
            e.secrets = sat(p.password_credentials.len());
            e.certificates = sat(p.key_credentials.len());
        }
        ObjectRef::UserAssigned { arm: Some(a), .. } => {
            e.federated = sat(s.user_assigned_identities[a as usize]
                .federated_identity_credentials
                .len());
        }
        ObjectRef::UserAssigned { .. } | ObjectRef::SystemAssigned(_) => {}
    }
    e
}
