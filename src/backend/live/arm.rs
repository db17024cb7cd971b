//! The Azure Resource Manager client: subscriptions, user-assigned identities (api-version
//! 2024-11-30) and their federated credentials (2025-01-31-preview, the only version whose
//! schema has `claimsMatchingExpression`), role assignments with their ABAC conditions
//! (2022-04-01), and Azure Resource Graph for the resources that carry identities
//! (reference §2.4–§2.7, §3.3). The identity and role-assignment writes of a migration are
//! requests of the catalogue of calls (`domain::calls`, sent by `changes`), which holds the
//! api-versions they share with the crawl.
//!
//! Cost per crawl: one subscriptions list; per subscription one identities list and one role
//! assignments list (listing a subscription's assignments and keeping those of the tenant's
//! principals is one call, where asking per principal would be thousands); one FIC list per
//! identity; Resource Graph queries of at most 300 subscriptions each (Microsoft's advice), up
//! to four groups queried side by side (`resource_graph_groups`), paged by `$skipToken`. ARM's `Retry-After` on 429 is honoured by the retry policy.
//!
//! May import the HTTP layer, the wire types and the domain.

use std::collections::BTreeMap;

use azure_core::http::Method;

use super::error::Need;
use super::http::{Service, arm_path, segment};
use super::wire::{Page, ResourceGraphPage, RoleDefinition, Row, Subscription, read_row};
use crate::backend::Error;
use crate::backend::wire::{Checked, WireFic, WireIdentity, WireRoleAssignment};
use crate::domain::{
    AzureResource, FederatedIdentityCredential, RoleAssignment, UserAssignedIdentity,
};

pub const SUBSCRIPTIONS_API: &str = "2022-12-01";
/// User-assigned identities themselves (list, get, create, delete).
/// User-assigned identities (list, get, create, delete); their federated credentials at the
/// preview that knows `claimsMatchingExpression`; role assignments with their conditions.
/// One definition each, in the catalogue, so the crawl reads what a change writes.
pub use crate::domain::calls::{AUTHORIZATION_API, MSI_API, MSI_FIC_API};
pub const RESOURCE_GRAPH_API: &str = "2024-04-01";
/// Microsoft's advice for Resource Graph: fewer than 300 subscriptions per query.
pub const ARG_SUBSCRIPTIONS_PER_QUERY: usize = 300;
/// Resource Graph's largest page.
const ARG_PAGE: u32 = 1000;
/// The resources with a managed identity: system-assigned ones and those that attach
/// user-assigned identities.
pub const ARG_QUERY: &str = "resources | where isnotempty(identity) and \
                             tostring(identity.type) !~ 'None' | project id, name, type, \
                             location, subscriptionId, identity";

#[derive(Debug)]
pub struct Arm {
    pub svc: Service,
    pub base: String,
}

impl Arm {
    /// Follows an ARM list of objects that convert through `backend::wire`'s types.
    async fn objects<T, W>(&self, first: String) -> Result<Vec<T>, Error>
    where
        Checked<T, W>: serde::de::DeserializeOwned,
    {
        Ok(pages::<Checked<T, W>>(&self.svc, first, Need::ArmRead)
            .await?
            .into_iter()
            .map(|c| c.0)
            .collect())
    }

    /// Every subscription the caller can see, of every tenant (callers filter by tenant).
    pub async fn subscriptions(&self) -> Result<Vec<Subscription>, Error> {
        pages(
            &self.svc,
            format!(
                "{}/subscriptions?api-version={SUBSCRIPTIONS_API}",
                self.base
            ),
            Need::ArmRead,
        )
        .await
    }

    /// The user-assigned identities of a subscription, without their FICs.
    pub async fn identities(&self, subscription: &str) -> Result<Vec<UserAssignedIdentity>, Error> {
        let url = format!(
            "{}/subscriptions/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version={MSI_API}",
            self.base,
            segment(subscription)
        );
        self.objects::<_, WireIdentity>(url).await
    }

    /// The federated credentials of one user-assigned identity.
    pub async fn identity_fics(&self, id: &str) -> Result<Vec<FederatedIdentityCredential>, Error> {
        let url = format!(
            "{}{}/federatedIdentityCredentials?api-version={MSI_FIC_API}",
            self.base,
            arm_path(id)?
        );
        self.objects::<_, WireFic>(url).await
    }

    /// Every role assignment that applies in a subscription (at, above or below it).
    pub async fn role_assignments(&self, subscription: &str) -> Result<Vec<RoleAssignment>, Error> {
        let url = format!(
            "{}/subscriptions/{}/providers/Microsoft.Authorization/roleAssignments?api-version={AUTHORIZATION_API}",
            self.base,
            segment(subscription)
        );
        self.objects::<_, WireRoleAssignment>(url).await
    }

    /// The name of a role ("Reader"), from its definition; `None` when it cannot be read.
    pub async fn role_name(&self, definition_id: &str) -> Result<Option<String>, Error> {
        Ok(self
            .get_optional::<RoleDefinition>(definition_id, AUTHORIZATION_API)
            .await?
            .and_then(|d| d.properties?.role_name))
    }

    /// Resources with managed identities in `subscriptions` (at most 300, see
    /// `ARG_SUBSCRIPTIONS_PER_QUERY`), every page; reports the running count. Rows that
    /// cannot be read are skipped and described in the second list, so one odd row never
    /// fails a page.
    pub async fn resources(
        &self,
        subscriptions: &[String],
        mut on_page: impl FnMut(usize, Option<u64>),
    ) -> Result<(Vec<AzureResource>, Vec<String>), Error> {
        let url = format!(
            "{}/providers/Microsoft.ResourceGraph/resources?api-version={RESOURCE_GRAPH_API}",
            self.base
        );
        let mut out = Vec::new();
        let mut skipped = Vec::new();
        let mut skip_token: Option<String> = None;
        loop {
            let mut options =
                serde_json::json!({ "$top": ARG_PAGE, "resultFormat": "objectArray" });
            if let Some(t) = &skip_token {
                options["$skipToken"] = t.clone().into();
            }
            let body = serde_json::json!({
                "subscriptions": subscriptions,
                "query": ARG_QUERY,
                "options": options,
            });
            let page: ResourceGraphPage = self
                .svc
                .read_json(Method::Post, &url, &[], Some(&body), Need::ArmRead)
                .await?;
            for row in page.data {
                match read_row(row) {
                    Row::Resource(r) => out.push(r),
                    Row::NoIdentity => {}
                    Row::Unreadable(why) => skipped.push(why),
                }
            }
            on_page(out.len(), page.total_records);
            match page.skip_token.filter(|t| !t.is_empty()) {
                Some(t) if Some(&t) == skip_token.as_ref() => {
                    return Err(Error::Decode {
                        service: self.svc.name,
                        message: "Resource Graph repeated its $skipToken".into(),
                    });
                }
                Some(t) => skip_token = Some(t),
                None => return Ok((out, skipped)),
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Single-object reads and writes.

    /// GETs an ARM object; `None` when it does not exist.
    async fn get_optional<W: serde::de::DeserializeOwned>(
        &self,
        id: &str,
        api: &str,
    ) -> Result<Option<W>, Error> {
        let url = self.url(id, api)?;
        match self.svc.get_json::<W>(&url, &[], Need::ArmRead).await {
            Ok(w) => Ok(Some(w)),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The URL of an ARM object at `api`.
    fn url(&self, id: &str, api: &str) -> Result<String, Error> {
        Ok(format!("{}{}?api-version={api}", self.base, arm_path(id)?))
    }
}

/// Follows a list (ARM's `nextLink`, Graph's `@odata.nextLink`) from `first` to its last
/// page on `svc`; a link that repeats the current page is an error, not a loop.
pub async fn pages<W: serde::de::DeserializeOwned>(
    svc: &Service,
    first: String,
    need: Need,
) -> Result<Vec<W>, Error> {
    let mut out = Vec::new();
    let mut url = first;
    loop {
        let page: Page<W> = svc.get_json(&url, &[], need).await?;
        out.extend(page.value);
        match page.next_link {
            Some(next) if next == url => {
                return Err(Error::Decode {
                    service: svc.name,
                    message: "the next page link repeats the current one".into(),
                });
            }
            Some(next) => url = next,
            None => return Ok(out),
        }
    }
}

/// Why ARM's answer to creating `sent` does not carry its condition, if it does not: an
/// assignment stored without the condition grants more than was asked, and must not stay.
pub fn condition_lost(sent: &RoleAssignment, answered: &RoleAssignment) -> Option<String> {
    sent.condition.as_ref()?;
    if sent.same_condition(answered) {
        return None;
    }
    Some(match &answered.condition {
        None => "ARM stored it without its condition".to_string(),
        Some(_) => "ARM stored it with another condition".to_string(),
    })
}

/// The id of a new role assignment: the planned one when it is a proper
/// `{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}` under the assignment's
/// scope, otherwise a fresh GUID under the scope (ARM wants a GUID name).
pub fn assignment_id(a: &RoleAssignment) -> String {
    let scope = a.scope.trim_end_matches('/');
    let prefix = format!("{scope}/providers/Microsoft.Authorization/roleAssignments/");
    if let Some(name) =
        a.id.get(..prefix.len())
            .filter(|p| p.eq_ignore_ascii_case(&prefix))
            .and_then(|_| a.id.get(prefix.len()..))
        && uuid::Uuid::parse_str(name).is_ok()
    {
        return a.id.clone();
    }
    format!("{prefix}{}", uuid::Uuid::new_v4())
}

/// The GUID at the end of a role definition id, lower-cased.
pub fn role_guid(definition_id: &str) -> String {
    definition_id
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// How many Resource Graph queries run side by side at most (`resource_graph_groups`).
pub const ARG_QUERIES_AT_ONCE: usize = 4;

/// The subscriptions in the groups Resource Graph is queried with: as many as
/// `ARG_QUERIES_AT_ONCE` groups of about the same size, none over
/// `ARG_SUBSCRIPTIONS_PER_QUERY`. More groups than one only cost queries when a group's
/// last page is short; they spare the quota's window the wait for one page after another.
pub fn resource_graph_groups(ids: &[String]) -> Vec<Vec<String>> {
    let size = ids
        .len()
        .div_ceil(ARG_QUERIES_AT_ONCE)
        .clamp(1, ARG_SUBSCRIPTIONS_PER_QUERY);
    ids.chunks(size).map(<[String]>::to_vec).collect()
}

/// Deduplicates role assignments by id (an assignment above a subscription shows up in the
/// list of every subscription below it).
pub fn dedup_assignments(all: Vec<RoleAssignment>) -> Vec<RoleAssignment> {
    let mut seen: BTreeMap<String, ()> = BTreeMap::new();
    all.into_iter()
        .filter(|a| seen.insert(a.id.to_ascii_lowercase(), ()).is_none())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ra(id: &str, scope: &str) -> RoleAssignment {
        RoleAssignment {
            id: id.into(),
            principal_id: "p".into(),
            principal_type: None,
            role_definition_id: "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/ACDD72A7-3385-48EF-BD42-F606FBA81AE7".into(),
            role_definition_name: None,
            scope: scope.into(),
            ..Default::default()
        }
    }

    #[test]
    fn assignment_ids() {
        let scope = "/subscriptions/s/resourceGroups/rg";
        let good = format!(
            "{scope}/providers/Microsoft.Authorization/roleAssignments/11111111-2222-3333-4444-555555555555"
        );
        assert_eq!(assignment_id(&ra(&good, scope)), good);
        let fresh = assignment_id(&ra("planned-1", scope));
        assert!(fresh.starts_with(&format!(
            "{scope}/providers/Microsoft.Authorization/roleAssignments/"
        )));
        assert!(uuid::Uuid::parse_str(fresh.rsplit('/').next().unwrap()).is_ok());
        // An id under another scope is not reused.
        let elsewhere = good.replace("/resourceGroups/rg", "");
        assert_ne!(assignment_id(&ra(&elsewhere, scope)), elsewhere);
        assert_eq!(
            role_guid(&ra("x", scope).role_definition_id),
            "acdd72a7-3385-48ef-bd42-f606fba81ae7"
        );
    }

    #[test]
    fn groups_and_dedup() {
        let few: Vec<String> = (0..33).map(|i| i.to_string()).collect();
        assert_eq!(
            resource_graph_groups(&few)
                .iter()
                .map(Vec::len)
                .collect::<Vec<_>>(),
            [9, 9, 9, 6]
        );
        assert_eq!(resource_graph_groups(&few[..1]).len(), 1);
        assert!(resource_graph_groups(&[]).is_empty());
        let many: Vec<String> = (0..2_000).map(|i| i.to_string()).collect();
        assert!(
            resource_graph_groups(&many)
                .iter()
                .all(|g| g.len() <= ARG_SUBSCRIPTIONS_PER_QUERY)
        );
        let a = ra("/A", "/s");
        let b = ra("/a", "/s");
        assert_eq!(dedup_assignments(vec![a.clone(), b]).len(), 1);
    }
}
