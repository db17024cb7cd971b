//! secret → managed identity: create a user-assigned managed identity (ARM PUT) or pick an
//! existing one, copy the service principal's Azure role assignments to it (new assignment
//! ids), show the code change and how to attach the identity to the hosting resource, then —
//! when chosen — retire the secrets.
//!
//! Azure chooses a new identity's `principalId` and `clientId`; the plan carries provisional
//! GUIDs for them (`Plan::provisional`) that the run replaces with the real ones once the
//! create step has been applied (`Plan::rebind`).

use serde::{Deserialize, Serialize};

use super::plan::{self, Plan, ProvisionalIdentity, RefusedStep, Step};
use super::secret_to_fic::{check, removal_words};
mod arm_rules;

use super::words::Words;
use super::{
    FieldError, IdSource, MigrationKind, PickedIdentity, PlanContext, Source, removal_steps,
    resolve_managed_identity, resolve_source, secret_notes, secrets_to_remove,
};
use crate::domain::change::{Change, Check};
use crate::domain::directory::Directory;
use crate::domain::links::is_guid;
use crate::domain::objects::{ManagedIdentityFlavour, RoleAssignment, UserAssignedIdentity};
use arm_rules::{validate_identity_name, validate_location, validate_resource_group};

/// Roles worth a second look before they are copied.
const PRIVILEGED_ROLES: &[&str] = &["Owner", "Contributor", "User Access Administrator"];

/// The secret-to-managed-identity form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ManagedIdentityForm {
    /// `--identity`: the application or service principal whose secret is retired.
    pub identity: String,
    /// `--create NAME`: a new user-assigned identity's name.
    pub create: String,
    pub resource_group: String,
    pub location: String,
    /// `--subscription` for `--create` (default: the one subscription the principal's role
    /// assignments or the tenant's identities live in).
    pub subscription: String,
    /// `--managed-identity ID`: an existing managed identity instead of `--create`.
    pub managed_identity: String,
    /// `--remove-secrets`: empty, `all`, or keyIds separated by commas.
    pub remove_secrets: String,
}

/// The identity the workload moves to.
enum Destination {
    Create {
        id: String,
        name: String,
        location: String,
        resource_group: String,
    },
    Existing(PickedIdentity),
}

struct Resolved {
    source: Source,
    destination: Destination,
    remove: Vec<crate::domain::PasswordCredential>,
}

impl ManagedIdentityForm {
    /// Every problem with the form, per field.
    pub fn validate(&self, dir: &Directory) -> Vec<FieldError> {
        match self.resolve(dir) {
            Ok(_) => vec![],
            Err(e) => e,
        }
    }

    fn resolve(&self, dir: &Directory) -> Result<Resolved, Vec<FieldError>> {
        let mut errors = Vec::new();
        let s = dir.snapshot();
        let source = match resolve_source(dir, &self.identity) {
            Ok(src) => Some(src),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let create = self.create.trim();
        let picked = self.managed_identity.trim();
        let destination = match (create.is_empty(), picked.is_empty()) {
            (true, true) => {
                errors.push(FieldError::new(
                    "create",
                    Words::of(
                        "say which managed identity: {create} with {resource-group} and {location}, or {managed-identity}",
                    ),
                ));
                None
            }
            (false, false) => {
                errors.push(FieldError::new(
                    "managed-identity",
                    Words::of("{create} and {managed-identity}: choose one"),
                ));
                None
            }
            (true, false) => match resolve_managed_identity(dir, "managed-identity", picked) {
                Ok(mi) => Some(Destination::Existing(mi)),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            (false, true) => {
                let a = check(&mut errors, "create", validate_identity_name(create));
                let rg = self.resource_group.trim();
                let b = check(&mut errors, "resource-group", validate_resource_group(rg));
                let location: String = self
                    .location
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>()
                    .to_ascii_lowercase();
                let c = check(&mut errors, "location", validate_location(&location));
                let subscription = match self.subscription.trim() {
                    "" => match source.as_ref().map(|src| infer_subscription(dir, src)) {
                        Some(Ok(sub)) => Some(sub),
                        Some(Err(m)) => {
                            errors.push(FieldError::new("subscription", m));
                            None
                        }
                        None => None,
                    },
                    sub if is_guid(sub) => Some(sub.to_string()),
                    sub => {
                        errors.push(FieldError::new(
                            "subscription",
                            format!("{sub:?} is not a subscription id (a GUID)"),
                        ));
                        None
                    }
                };
                match (a && b && c, subscription) {
                    (true, Some(sub)) => {
                        let id = format!(
                            "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{create}"
                        );
                        if s.user_assigned_identities
                            .iter()
                            .any(|u| u.id.eq_ignore_ascii_case(&id))
                        {
                            errors.push(FieldError::new(
                                "create",
                                Words::from(format!(
                                    "{create} already exists in {rg}; pick it with "
                                ))
                                .field("managed-identity"),
                            ));
                            None
                        } else {
                            Some(Destination::Create {
                                id,
                                name: create.to_string(),
                                location,
                                resource_group: rg.to_string(),
                            })
                        }
                    }
                    _ => None,
                }
            }
        };
        let remove = secrets_to_remove(&self.remove_secrets, source.as_ref(), &mut errors);
        match (source, destination) {
            (Some(source), Some(destination)) if errors.is_empty() => Ok(Resolved {
                source,
                destination,
                remove,
            }),
            _ => Err(errors),
        }
    }

    /// The plan, or the form's problems.
    pub fn build_plan(
        &self,
        ctx: &PlanContext<'_>,
        ids: &mut dyn IdSource,
    ) -> Result<Plan, Vec<FieldError>> {
        let r = self.resolve(ctx.dir)?;
        let s = ctx.dir.snapshot();
        let mut steps = Vec::new();
        let mut notes = Vec::new();
        let mut provisional = None;
        let (mi_name, principal_id, client_id, resource_id, flavour) = match &r.destination {
            Destination::Create {
                id,
                name,
                location,
                resource_group,
            } => {
                let p = ProvisionalIdentity {
                    principal_id: ids.guid(),
                    client_id: ids.guid(),
                };
                let identity = UserAssignedIdentity {
                    id: id.clone(),
                    name: name.clone(),
                    location: Some(location.clone()),
                    principal_id: p.principal_id.clone(),
                    client_id: p.client_id.clone(),
                    tenant_id: Some(s.tenant_id.clone()),
                    tags: Default::default(),
                    federated_identity_credentials: vec![],
                };
                let action = Change::CreateUserAssignedIdentity { identity };
                steps.push(Step {
                    title: format!(
                        "Create user-assigned managed identity {name} in resource group {resource_group} ({location})"
                    ),
                    precondition: None,
                    calls: plan::api_calls(&action, s.cloud, 0),
                    action,
                    // Azure chooses the ids; `Plan::rebind` adds them to the check.
                    verification: Check::UserAssignedIdentityMatches {
                        id: id.clone(),
                        principal_id: None,
                        client_id: None,
                    },
                    undo: Change::DeleteUserAssignedIdentity { id: id.clone() },
                    removes_secret: false,
                    undo_note: None,
                });
                notes.push(format!(
                    "Azure chooses the new identity's principal id and client id. This plan shows provisional ids ({} and {}); the run replaces them with Azure's as soon as the identity exists, and journals both.",
                    p.principal_id, p.client_id
                ));
                let out = (
                    name.clone(),
                    p.principal_id.clone(),
                    p.client_id.clone(),
                    Some(id.clone()),
                    ManagedIdentityFlavour::UserAssigned,
                );
                provisional = Some(p);
                out
            }
            Destination::Existing(mi) => (
                mi.name.clone(),
                mi.principal_id.clone(),
                mi.client_id.clone(),
                mi.resource_id.clone(),
                mi.flavour,
            ),
        };
        let created = matches!(r.destination, Destination::Create { .. });
        // Role assignments of the service principal, copied with new ids; those the identity
        // already holds (same role, same scope) are left out.
        let held: Vec<&RoleAssignment> = s
            .role_assignments
            .iter()
            .filter(|a| a.principal_id.eq_ignore_ascii_case(&principal_id))
            .collect();
        let to_copy: Vec<&RoleAssignment> = match &r.source.principal_id {
            Some(sp) => s
                .role_assignments
                .iter()
                .filter(|a| a.principal_id.eq_ignore_ascii_case(sp))
                .collect(),
            None => vec![],
        };
        let mut skipped = 0;
        let mut guard_if_nothing_to_do = None;
        let mut refused = Vec::new();
        for a in &to_copy {
            let title = format!(
                "Grant {} at {} to {mi_name}{}",
                a.role_name(),
                a.scope,
                if a.condition.is_some() {
                    ", with its condition"
                } else {
                    ""
                }
            );
            // ARM keeps one assignment per principal, role and scope, whatever its condition
            // (Azure RBAC conditions FAQ): the same condition is already in place; another
            // one cannot be added beside it.
            if let Some(h) = held.iter().find(|h| {
                h.role_definition_id
                    .eq_ignore_ascii_case(&a.role_definition_id)
                    && h.scope.eq_ignore_ascii_case(&a.scope)
            }) {
                if h.same_condition(a) {
                    skipped += 1;
                    guard_if_nothing_to_do = Some(Check::RoleAssignmentMatches {
                        assignment: (*h).clone(),
                    });
                } else {
                    refused.push(RefusedStep {
                        title,
                        id: a.id.clone(),
                        reason: format!(
                            "{mi_name} already holds {} at {} {} (assignment {}); ARM keeps one assignment per principal, role and scope, so the copy cannot be added beside it. Compare the two and change the existing one by hand.",
                            a.role_name(),
                            a.scope,
                            match (&h.condition, &a.condition) {
                                (None, _) => "without a condition",
                                (Some(_), None) => "with a condition the original does not have",
                                (Some(_), Some(_)) => "with a different condition",
                            },
                            h.id
                        ),
                    });
                }
                continue;
            }
            if let Some(reason) = cannot_carry(a, r.source.principal_id.as_deref(), &mi_name) {
                refused.push(RefusedStep {
                    title,
                    id: a.id.clone(),
                    reason,
                });
                continue;
            }
            if PRIVILEGED_ROLES.contains(&a.role_name()) {
                notes.push(format!(
                    "{} at {} is a privileged role: copy it only if the workload needs it (least privilege).",
                    a.role_name(),
                    a.scope
                ));
            }
            let assignment = RoleAssignment {
                id: format!(
                    "{}/providers/Microsoft.Authorization/roleAssignments/{}",
                    a.scope.trim_end_matches('/'),
                    ids.guid()
                ),
                principal_id: principal_id.clone(),
                principal_type: Some("ServicePrincipal".into()),
                role_definition_id: a.role_definition_id.clone(),
                role_definition_name: a.role_definition_name.clone(),
                scope: a.scope.clone(),
                // The condition narrows the role; without it the copy would grant more. Its
                // version is written out (ARM's default, 2.0, when the original had none) so
                // the copy reads back exactly as planned.
                condition: a.condition.clone(),
                condition_version: a.effective_condition_version().map(str::to_string),
                description: a.description.clone(),
                delegated_managed_identity_resource_id: None,
            };
            let id = assignment.id.clone();
            // By content: the same id granting another role, scope or condition is not this.
            let verification = Check::RoleAssignmentMatches {
                assignment: assignment.clone(),
            };
            let action = Change::AddRoleAssignment { assignment };
            steps.push(Step {
                title,
                precondition: match (&r.destination, &resource_id) {
                    (Destination::Create { .. }, Some(arm)) => {
                        Some(Check::UserAssignedIdentityMatches {
                            id: arm.clone(),
                            principal_id: None,
                            client_id: None,
                        })
                    }
                    _ => None,
                },
                calls: plan::api_calls(&action, s.cloud, 0),
                action,
                verification,
                undo: Change::RemoveRoleAssignment { id },
                removes_secret: false,
                undo_note: None,
            });
        }
        if !refused.is_empty() && !r.remove.is_empty() {
            return Err(vec![FieldError::new(
                "remove-secrets",
                format!(
                    "{} of the role assignment(s) of {} cannot be copied to {mi_name} ({}); grant them by hand first, then remove the secrets",
                    refused.len(),
                    r.source.identity.display_name,
                    refused
                        .iter()
                        .map(|x| x.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )]);
        }
        if to_copy.is_empty() {
            notes.push(format!(
                "{} holds no Azure role assignment in this tenant snapshot: grant {mi_name} what the workload needs.",
                r.source.identity.display_name
            ));
        }
        if skipped > 0 {
            notes.push(format!(
                "{mi_name} already holds {skipped} of the role assignment(s); they are not copied again."
            ));
        }
        notes.push(
            "Microsoft Graph API permissions (app roles) and directory roles are not Azure role assignments and are not copied: grant them to the managed identity separately."
                .into(),
        );
        if !r.remove.is_empty() {
            let guard = match steps.last() {
                Some(last) => Some(last.verification.clone()),
                None => match (&resource_id, flavour) {
                    (Some(arm), ManagedIdentityFlavour::UserAssigned) => {
                        Some(Check::UserAssignedIdentityMatches {
                            id: arm.clone(),
                            principal_id: Some(principal_id.clone()),
                            client_id: Some(client_id.clone()),
                        })
                    }
                    _ => guard_if_nothing_to_do,
                },
            };
            let Some(guard) = guard else {
                return Err(vec![FieldError::new(
                    "remove-secrets",
                    format!(
                        "{mi_name} gets nothing in this plan that credwise could verify before removing the secrets; remove them in the portal once the workload runs on the managed identity"
                    ),
                )]);
            };
            steps.extend(removal_steps(
                &r.source.identity.target,
                &r.remove,
                &guard,
                s.cloud,
            ));
        }

        let mut vars = super::common_vars(
            MigrationKind::SecretToManagedIdentity,
            &r.source,
            &s.tenant_id,
            s.cloud,
        );
        vars.insert("mi_name", mi_name.clone());
        vars.insert("mi_principal_id", principal_id.clone());
        vars.insert("mi_client_id", client_id.clone());
        vars.insert(
            "mi_resource_id",
            resource_id
                .clone()
                .unwrap_or_else(|| "<the identity's resource id>".into()),
        );
        let tags = [
            if created { "create" } else { "existing" },
            match flavour {
                ManagedIdentityFlavour::UserAssigned => "user-assigned",
                ManagedIdentityFlavour::SystemAssigned => "system-assigned",
            },
            if r.remove.is_empty() {
                "keep-secrets"
            } else {
                "remove-secrets"
            },
        ];
        let (guidance, follow_ups) =
            ctx.guidance
                .render(MigrationKind::SecretToManagedIdentity, &tags, &vars);
        notes.extend(secret_notes(
            MigrationKind::SecretToManagedIdentity,
            &r.source,
            r.remove.len(),
        ));
        let copied = steps
            .iter()
            .filter(|st| matches!(st.action, Change::AddRoleAssignment { .. }))
            .count();
        let summary = format!(
            "{} {mi_name}, copy {copied} role assignment(s) of {} to it{}{}.",
            if created { "Create" } else { "Use" },
            r.source.identity.display_name,
            match refused.len() {
                0 => String::new(),
                n => format!(" ({n} refused: see below)"),
            },
            removal_words(r.remove.len())
        );
        Ok(Plan {
            kind: MigrationKind::SecretToManagedIdentity,
            identity: r.source.identity.clone(),
            tenant_id: s.tenant_id.clone(),
            cloud: s.cloud,
            created_at: ctx.now,
            summary,
            steps,
            guidance,
            follow_ups,
            notes,
            provisional,
            refused,
        })
    }
}

/// The largest condition ARM takes ("A condition can be up to 8 KB long", Azure RBAC
/// conditions FAQ).
const CONDITION_LIMIT: usize = 8 * 1024;

/// Why `a` cannot be copied to another principal as it is, if it cannot. A copy must narrow
/// the role exactly as the original does; where credwise cannot promise that, the step is
/// refused rather than made without (or with a changed) condition.
fn cannot_carry(
    a: &RoleAssignment,
    source_principal: Option<&str>,
    mi_name: &str,
) -> Option<String> {
    if let Some(m) = &a.delegated_managed_identity_resource_id {
        return Some(format!(
            "it was made through Azure Lighthouse for the delegated managed identity of {m} (delegatedManagedIdentityResourceId); a copy for {mi_name} would be a different kind of grant. Assign the role by hand if it is needed."
        ));
    }
    let condition = a.condition.as_deref()?;
    if let Some(v) = a.condition_version.as_deref()
        && v.trim() != "2.0"
    {
        return Some(format!(
            "its condition has version {v:?}; ARM accepts only 2.0 (\"The given role assignment condition is invalid.\"), so the copy could only be made without the condition, which would grant more."
        ));
    }
    if condition.to_ascii_lowercase().contains("@principal[") {
        return Some(format!(
            "its condition reads attributes of the principal (@Principal[...], custom security attributes); {mi_name} does not carry the service principal's attributes, so the copied condition would decide differently."
        ));
    }
    if let Some(sp) = source_principal
        && !sp.is_empty()
        && condition
            .to_ascii_lowercase()
            .contains(&sp.to_ascii_lowercase())
    {
        return Some(format!(
            "its condition names the service principal itself ({sp}); copied to {mi_name} it would mean something else."
        ));
    }
    if condition.len() > CONDITION_LIMIT {
        return Some(format!(
            "its condition is {} bytes long, more than the 8 KB ARM accepts.",
            condition.len()
        ));
    }
    None
}

/// The subscription to create the identity in, when `--subscription` is not given: the only
/// one the principal's role assignments use, else the only one the tenant's identities use.
fn infer_subscription(dir: &Directory, source: &Source) -> Result<String, Words> {
    use crate::domain::objects::arm_segment;
    let s = dir.snapshot();
    let mut subs: Vec<String> = Vec::new();
    let add = |subs: &mut Vec<String>, id: &str| {
        if let Some(sub) = arm_segment(id, "subscriptions")
            && !subs.iter().any(|x| x.eq_ignore_ascii_case(sub))
        {
            subs.push(sub.to_string());
        }
    };
    if let Some(sp) = &source.principal_id {
        for a in s
            .role_assignments
            .iter()
            .filter(|a| a.principal_id.eq_ignore_ascii_case(sp))
        {
            add(&mut subs, &a.scope);
        }
    }
    if subs.is_empty() {
        for u in &s.user_assigned_identities {
            add(&mut subs, &u.id);
        }
    }
    match subs.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Words::of(
            "required: the subscription to create the identity in ({subscription})",
        )),
        many => Err(Words::from(format!(
            "required: the identity could go to any of {} subscriptions ({}); choose one with ",
            many.len(),
            many.join(", ")
        ))
        .field("subscription")),
    }
}
