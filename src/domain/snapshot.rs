//! `TenantSnapshot`: everything credwise knows about one tenant at one instant. It is what a
//! backend loads, what a snapshot file holds (see `store::snapshot_file` for the envelope), and
//! what `Change`s apply to.

use serde::{Deserialize, Serialize};

use super::Timestamp;
use super::objects::{
    Application, AzureResource, RoleAssignment, ServicePrincipal, UserAssignedIdentity,
};

/// The Azure cloud a tenant lives in; it decides the Entra issuer hosts and the portal host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cloud {
    #[default]
    Public,
    Usgov,
    China,
}

impl Cloud {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Usgov => "usgov",
            Self::China => "china",
        }
    }

    /// The hosts whose `https://{host}/{tenant}/v2.0` issuer is this cloud's Entra ID.
    pub fn entra_issuer_hosts(self) -> &'static [&'static str] {
        match self {
            Self::Public => &["login.microsoftonline.com"],
            Self::Usgov => &["login.microsoftonline.us"],
            Self::China => &["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"],
        }
    }

    pub fn portal_host(self) -> &'static str {
        match self {
            Self::Public => "portal.azure.com",
            Self::Usgov => "portal.azure.us",
            Self::China => "portal.azure.cn",
        }
    }
}

/// Where a snapshot came from, shown in the title line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SnapshotSource {
    /// The embedded demo tenant.
    Demo,
    /// Saved from a live session.
    #[default]
    Live,
    /// Imported from `az` CLI JSON.
    AzImport,
}

impl SnapshotSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Demo => "demo",
            Self::Live => "live",
            Self::AzImport => "az-import",
        }
    }
}

/// One tenant's workload identities, credentials, Azure resources and role assignments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantSnapshot {
    pub tenant_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_display_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub captured_at: Timestamp,
    #[serde(default)]
    pub source: SnapshotSource,
    #[serde(default)]
    pub cloud: Cloud,
    #[serde(default)]
    pub applications: Vec<Application>,
    #[serde(default)]
    pub service_principals: Vec<ServicePrincipal>,
    #[serde(default)]
    pub user_assigned_identities: Vec<UserAssignedIdentity>,
    #[serde(default)]
    pub resources: Vec<AzureResource>,
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignment>,
}

impl TenantSnapshot {
    /// An empty snapshot of a tenant.
    pub fn empty(tenant_id: impl Into<String>, captured_at: Timestamp) -> Self {
        Self {
            tenant_id: tenant_id.into(),
            tenant_display_name: None,
            captured_at,
            source: SnapshotSource::Live,
            cloud: Cloud::Public,
            applications: vec![],
            service_principals: vec![],
            user_assigned_identities: vec![],
            resources: vec![],
            role_assignments: vec![],
        }
    }

    /// Moves every timestamp by `by`. The demo tenant is stored relative to a fixed instant
    /// and shifted to *now* at load time, so it always shows expired, soon-expiring and healthy
    /// credentials. Far-future "never" dates (year 2299) stay far in the future.
    pub fn shift_times(&mut self, by: time::Duration) {
        fn shift(t: &mut Option<Timestamp>, by: time::Duration) {
            if let Some(v) = t
                && let Some(moved) = v.checked_add(by)
            {
                *v = moved;
            }
        }
        if let Some(moved) = self.captured_at.checked_add(by) {
            self.captured_at = moved;
        }
        for app in &mut self.applications {
            shift(&mut app.created_date_time, by);
            for c in &mut app.password_credentials {
                shift(&mut c.start_date_time, by);
                shift(&mut c.end_date_time, by);
            }
            for c in &mut app.key_credentials {
                shift(&mut c.start_date_time, by);
                shift(&mut c.end_date_time, by);
            }
        }
        for sp in &mut self.service_principals {
            for c in &mut sp.password_credentials {
                shift(&mut c.start_date_time, by);
                shift(&mut c.end_date_time, by);
            }
            for c in &mut sp.key_credentials {
                shift(&mut c.start_date_time, by);
                shift(&mut c.end_date_time, by);
            }
        }
    }

    /// Counts of objects, for status lines and notes.
    pub fn credential_count(&self) -> usize {
        self.applications
            .iter()
            .map(|a| {
                a.password_credentials.len()
                    + a.key_credentials.len()
                    + a.federated_identity_credentials.len()
            })
            .sum::<usize>()
            + self
                .service_principals
                .iter()
                .map(|s| s.password_credentials.len() + s.key_credentials.len())
                .sum::<usize>()
            + self
                .user_assigned_identities
                .iter()
                .map(|u| u.federated_identity_credentials.len())
                .sum::<usize>()
    }
}
