//! The Azure Resource Manager client: subscriptions, user-assigned identities (api-version
//! 2024-11-30) and their federated credentials (2025-01-31-preview, the only version whose
//! schema has `claimsMatchingExpression`), role assignments with their ABAC conditions
//! (2022-04-01), Azure Resource Graph for the resources that carry identities, and the
//! identity and role-assignment writes of a migration (reference §2.4–§2.7, §3.3).
//!
//! Cost per crawl: one subscriptions list; per subscription one identities list and one role
//! assignments list (listing a subscription's assignments and keeping those of the tenant's
//! principals is one call, where asking per principal would be thousands); one FIC list per
//! identity; Resource Graph queries of at most 300 subscriptions each (Microsoft's advice),
//! paged by `$skipToken`. ARM's `Retry-After` on 429 is honoured by the retry policy.
//!
//! May import the HTTP layer, the wire types and the domain.

use std::collections::BTreeMap;

use azure_core::http::Method;

use super::error::Need;
use super::http::{Reply, Service, arm_path, segment};
use super::retry::Mode;
use super::wire::{
    CreatedIdentity, FicMatch, Page, ResourceGraphPage, RoleDefinition, Row, Subscription,
    WireFicItem, WireRole, WireUami, read_row,
};
use crate::backend::Error;
use crate::backend::wire::{Checked, WireFic, WireIdentity, WireRoleAssignment};
use crate::domain::{
    AzureResource, FederatedIdentityCredential, RoleAssignment, UserAssignedIdentity,
};

pub const SUBSCRIPTIONS_API: &str = "2022-12-01";
/// User-assigned identities themselves (list, get, create, delete).
pub const MSI_API: &str = "2024-11-30";
/// Their federated credentials, classic and flexible alike: the stable schemas (2023-01-31,
/// 2024-11-30) require `subject` and have no `claimsMatchingExpression`, so a flexible FIC
/// read there comes back without its expression and could not be put back by an undo. The
/// preview has both, mutually exclusive. `az identity federated-credential
/// list/show/create/delete` use this version on the same `federatedIdentityCredentials`
/// path since Azure/azure-cli#31436 (its aaz `_list.py`, `_show.py`, `_create.py`,
/// `_delete.py`); one version for every FIC call keeps a read and the undo it feeds in
/// the same schema.
pub const MSI_FIC_API: &str = "2025-01-31-preview";
pub const AUTHORIZATION_API: &str = "2022-04-01";
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
    /// Follows an ARM list to its last page.
    async fn pages<W: serde::de::DeserializeOwned>(&self, first: String) -> Result<Vec<W>, Error> {
        let mut out = Vec::new();
        let mut url = first;
        loop {
            let page: Page<W> = self.svc.get_json(&url, &[], Need::ArmRead).await?;
            out.extend(page.value);
            match page.next_link {
                Some(next) if next == url => {
                    return Err(Error::Decode {
                        service: self.svc.name,
                        message: "the next page link repeats the current one".into(),
                    });
                }
                Some(next) => url = next,
                None => return Ok(out),
            }
        }
    }

    /// Follows an ARM list of objects that convert through `backend::wire`'s types.
    async fn objects<T, W>(&self, first: String) -> Result<Vec<T>, Error>
    where
        Checked<T, W>: serde::de::DeserializeOwned,
    {
        Ok(self
            .pages::<Checked<T, W>>(first)
            .await?
            .into_iter()
            .map(|c| c.0)
            .collect())
    }

    /// Every subscription the caller can see, of every tenant (callers filter by tenant).
    pub async fn subscriptions(&self) -> Result<Vec<Subscription>, Error> {
        self.pages(format!(
            "{}/subscriptions?api-version={SUBSCRIPTIONS_API}",
            self.base
        ))
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

    pub async fn identity(&self, id: &str) -> Result<Option<UserAssignedIdentity>, Error> {
        Ok(self
            .get_optional::<WireUami>(id, MSI_API)
            .await?
            .map(|w| w.0))
    }

    pub async fn role_assignment(&self, id: &str) -> Result<Option<RoleAssignment>, Error> {
        Ok(self
            .get_optional::<WireRole>(id, AUTHORIZATION_API)
            .await?
            .map(|w| w.0))
    }

    pub async fn identity_fic(
        &self,
        identity: &str,
        name: &str,
    ) -> Result<Option<FederatedIdentityCredential>, Error> {
        let id = format!("{identity}/federatedIdentityCredentials/{name}");
        Ok(self
            .get_optional::<WireFicItem>(&id, MSI_FIC_API)
            .await?
            .map(|w| w.0))
    }

    /// The URL of an ARM object at `api`.
    fn url(&self, id: &str, api: &str) -> Result<String, Error> {
        Ok(format!("{}{}?api-version={api}", self.base, arm_path(id)?))
    }

    async fn write(
        &self,
        method: Method,
        id: &str,
        api: &str,
        body: Option<&serde_json::Value>,
        need: Need,
    ) -> Result<(String, Reply), Error> {
        let url = self.url(id, api)?;
        let reply = self
            .svc
            .send(Mode::Write, method, &url, &[], body, need)
            .await?;
        Ok((url, reply))
    }

    /// Creates (or updates) a user-assigned identity; returns the ids Azure gave it.
    pub async fn put_identity(
        &self,
        identity: &UserAssignedIdentity,
    ) -> Result<UserAssignedIdentity, Error> {
        let location = identity.location.as_deref().ok_or_else(|| {
            Error::Unavailable(format!(
                "user-assigned identity {} needs a location (an Azure region) to be created",
                identity.name
            ))
        })?;
        let body = serde_json::json!({ "location": location, "tags": identity.tags });
        let (url, reply) = self
            .write(
                Method::Put,
                &identity.id,
                MSI_API,
                Some(&body),
                Need::IdentityWrite,
            )
            .await?;
        let created: CreatedIdentity = self.svc.json(&reply, &url)?;
        Ok(UserAssignedIdentity {
            principal_id: created.properties.principal_id,
            client_id: created.properties.client_id,
            tenant_id: created.properties.tenant_id.or(identity.tenant_id.clone()),
            federated_identity_credentials: Vec::new(),
            ..identity.clone()
        })
    }

    pub async fn delete(&self, id: &str, api: &str, need: Need) -> Result<(), Error> {
        self.write(Method::Delete, id, api, None, need)
            .await
            .map(drop)
    }

    /// Creates or replaces a federated credential of a user-assigned identity. The caller
    /// holds that identity's write lock: ARM answers 409 to concurrent FIC writes.
    pub async fn put_identity_fic(
        &self,
        identity: &str,
        fic: &FederatedIdentityCredential,
    ) -> Result<(), Error> {
        let mut properties = serde_json::json!({
            "issuer": fic.issuer,
            "audiences": fic.audiences,
        });
        // The preview takes a subject or an expression, never both.
        match FicMatch::of(fic)? {
            FicMatch::Subject(subject) => properties["subject"] = subject.into(),
            FicMatch::Expression(expression) => {
                properties["claimsMatchingExpression"] = FicMatch::expression_json(expression)
            }
        }
        let id = format!("{identity}/federatedIdentityCredentials/{}", fic.name);
        let body = serde_json::json!({ "properties": properties });
        self.write(
            Method::Put,
            &id,
            MSI_FIC_API,
            Some(&body),
            Need::IdentityWrite,
        )
        .await
        .map(drop)
    }

    /// Creates a role assignment, its condition, condition version and description included;
    /// returns its id and the assignment as ARM answered (the `PUT`'s body, or a read back
    /// when the body is not one), so the caller can see what ARM actually kept.
    pub async fn put_role_assignment(
        &self,
        a: &RoleAssignment,
    ) -> Result<(String, Option<RoleAssignment>), Error> {
        let id = assignment_id(a);
        let body = serde_json::json!({ "properties": a.create_properties() });
        let (url, reply) = self
            .write(
                Method::Put,
                &id,
                AUTHORIZATION_API,
                Some(&body),
                Need::RoleAssignmentWrite,
            )
            .await?;
        let answered = match self.svc.json::<WireRole>(&reply, &url) {
            Ok(w) => Some(w.0),
            Err(_) => self.role_assignment(&id).await?,
        };
        Ok((id, answered))
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

/// Subscriptions in groups of at most `ARG_SUBSCRIPTIONS_PER_QUERY`.
pub fn subscription_groups(ids: &[String]) -> Vec<Vec<String>> {
    ids.chunks(ARG_SUBSCRIPTIONS_PER_QUERY)
        .map(<[String]>::to_vec)
        .collect()
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
        let ids: Vec<String> = (0..650).map(|i| i.to_string()).collect();
        let groups = subscription_groups(&ids);
        assert_eq!(
            groups.iter().map(Vec::len).collect::<Vec<_>>(),
            [300, 300, 50]
        );
        let a = ra("/A", "/s");
        let b = ra("/a", "/s");
        assert_eq!(dedup_assignments(vec![a.clone(), b]).len(), 1);
    }
}
