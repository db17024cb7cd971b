//! The Azure part of a load, planned per subscription: subscriptions, then each
//! subscription's user-assigned identities and their federated credentials in a pipeline of
//! its own (paced in its own ARM bucket), the resources that carry identities from Resource
//! Graph, role assignments per subscription, and their merge into the Graph part (role
//! names, system-assigned identities' resources). A missing permission is a warning naming
//! the role; any other failure fails the load.
//!
//! May import what the rest of `backend::live` imports.

use super::*;

impl LiveBackend {
    pub(super) async fn load_arm(
        &self,
        tenant: Option<&str>,
        wanted: &[String],
        progress: &Progress,
    ) -> Result<ArmLoaded, Error> {
        let mut out = ArmLoaded::default();
        let all = match self.arm.subscriptions().await {
            Ok(s) => s,
            Err(e) if !e.is_missing_permission() => return Err(e),
            Err(e) => {
                out.warnings.push(Warning {
                    area: Area::Azure,
                    message: format!(
                        "no Azure data (identities, resources, role assignments): {e}"
                    ),
                });
                out.failed = true;
                return Ok(out);
            }
        };
        let subscriptions: Vec<Subscription> = all
            .into_iter()
            .filter(|s| in_tenant(s, tenant))
            .filter(|s| {
                wanted.is_empty()
                    || wanted
                        .iter()
                        .any(|w| w.eq_ignore_ascii_case(&s.subscription_id))
            })
            .collect();
        for w in wanted {
            if !subscriptions
                .iter()
                .any(|s| s.subscription_id.eq_ignore_ascii_case(w))
            {
                out.warnings.push(Warning {
                    area: Area::Subscriptions,
                    message: format!(
                        "subscription {w} is not visible to the signed-in account in this tenant"
                    ),
                });
            }
        }
        let n = subscriptions.len() as u64;
        progress.report("subscriptions", n, Some(n));
        let ids: Vec<String> = subscriptions
            .iter()
            .map(|s| s.subscription_id.clone())
            .collect();
        let ((identities, id_warn), (resources, res_warn, rows_warn), (roles, role_warn)) = futures::try_join!(
            self.load_identities(&ids, progress),
            self.load_resources(&ids, progress),
            self.load_role_assignments(&ids, progress)
        )?;
        out.warnings.extend(
            id_warn
                .into_iter()
                .chain(res_warn.clone())
                .chain(rows_warn)
                .chain(role_warn),
        );
        out.subscriptions = subscriptions;
        out.identities = identities;
        out.resources_failed = res_warn.is_some();
        out.resources = resources;
        out.role_assignments = roles;
        Ok(out)
    }

    /// Every subscription's user-assigned identities and their federated credentials, each
    /// subscription on its own: its identities listed, then their FIC lists queued (at most
    /// `arm_per_subscription` at once) and sent as the pacer allows in that subscription's
    /// bucket. Subscriptions run side by side, so one with thousands of identities — paced
    /// at its bucket's refill — holds none of the others back.
    pub(super) async fn load_identities(
        &self,
        subscriptions: &[String],
        progress: &Progress,
    ) -> Result<(Vec<UserAssignedIdentity>, Option<Warning>), Error> {
        const STAGE: &str = "managed identities";
        let per_subscription = self.config.arm_per_subscription.max(1);
        progress.report(STAGE, 0, None);
        // Streams are boxed before they are merged: a stream over a borrowing closure would
        // make `load`'s future not `Send`.
        let plans: Vec<futures::stream::BoxStream<'_, IdentityEvent>> = subscriptions
            .iter()
            .map(|s| self.subscription_identities(s.clone(), per_subscription))
            .collect();
        let mut events = futures::stream::select_all(plans);
        let mut failures = Vec::new();
        let mut identities = Vec::new();
        let mut by_id: HashMap<String, Vec<FederatedIdentityCredential>> = HashMap::new();
        let mut done = 0u64;
        while let Some(event) = events.next().await {
            match event {
                IdentityEvent::Listed(_, Ok(list)) => identities.extend(list),
                IdentityEvent::Listed(sub, Err(e)) => {
                    if !e.is_missing_permission() {
                        return Err(e);
                    }
                    failures.push((format!("subscription {sub}"), e));
                }
                IdentityEvent::Fics(id, r) => {
                    done += 1;
                    match r {
                        Ok(list) => {
                            by_id.insert(id, list);
                        }
                        Err(e) if !e.is_missing_permission() => return Err(e),
                        Err(e) => failures.push((format!("federated credentials of {id}"), e)),
                    }
                }
            }
            progress.report(STAGE, done, Some(identities.len() as u64));
        }
        drop(events);
        for u in &mut identities {
            if let Some(list) = by_id.remove(&u.id) {
                u.federated_identity_credentials = list;
            }
        }
        Ok((identities, summarize(Area::ManagedIdentities, failures)))
    }

    /// One subscription's part of `load_identities`: its identities list, then one FIC list
    /// per identity, `per_subscription` queued at once.
    pub(super) fn subscription_identities(
        &self,
        subscription: String,
        per_subscription: usize,
    ) -> futures::stream::BoxStream<'_, IdentityEvent> {
        let listed = async move {
            let r = self.arm.identities(&subscription).await;
            let reads: Vec<futures::future::BoxFuture<'_, IdentityEvent>> = match &r {
                Ok(list) => list
                    .iter()
                    .map(|u| {
                        let id = u.id.clone();
                        Box::pin(async move {
                            let r = self.arm.identity_fics(&id).await;
                            IdentityEvent::Fics(id, r)
                        }) as futures::future::BoxFuture<'_, IdentityEvent>
                    })
                    .collect(),
                Err(_) => Vec::new(),
            };
            let first = futures::stream::once(futures::future::ready(IdentityEvent::Listed(
                subscription,
                r,
            )));
            first.chain(futures::stream::iter(reads).buffer_unordered(per_subscription))
        };
        Box::pin(futures::stream::once(listed).flatten())
    }

    /// The resources with identities, from Resource Graph: the subscriptions in a few
    /// groups queried side by side (`arm::resource_graph_groups`), so the pages of one query
    /// — a chain, each page's token arriving with it — do not leave the user's quota of 15
    /// queries per 5 s unspent while they arrive one by one.
    pub(super) async fn load_resources(
        &self,
        subscriptions: &[String],
        progress: &Progress,
    ) -> Result<(Vec<AzureResource>, Option<Warning>, Option<Warning>), Error> {
        const STAGE: &str = "resources";
        progress.report(STAGE, 0, None);
        let read = std::sync::atomic::AtomicU64::new(0);
        let groups = arm::resource_graph_groups(subscriptions);
        let queries: Vec<_> = groups
            .iter()
            .map(|group| {
                let read = &read;
                async move {
                    let mut seen = 0u64;
                    let r = self
                        .arm
                        .resources(group, |n, _| {
                            let n = n as u64;
                            let all = read
                                .fetch_add(n - seen, std::sync::atomic::Ordering::Relaxed)
                                + (n - seen);
                            seen = n;
                            progress.report(STAGE, all, None);
                        })
                        .await;
                    (group.len(), r)
                }
            })
            .collect();
        let mut out = Vec::new();
        let mut failures = Vec::new();
        let mut skipped = Vec::new();
        for (n, r) in futures::future::join_all(queries).await {
            match r {
                Ok((list, odd)) => {
                    out.extend(list);
                    skipped.extend(odd);
                }
                Err(e) if !e.is_missing_permission() => return Err(e),
                Err(e) => failures.push((format!("{n} subscription(s)"), e)),
            }
        }
        let n = out.len() as u64;
        progress.report(STAGE, n, Some(n));
        // Skipped rows are their own warning: the rest of the resources are whole and kept,
        // where a failed query drops them all (see `merge_arm`).
        let rows = skipped_rows(&skipped).map(|message| Warning {
            area: Area::ResourceGraph,
            message,
        });
        Ok((out, summarize(Area::ResourceGraph, failures), rows))
    }

    pub(super) async fn load_role_assignments(
        &self,
        subscriptions: &[String],
        progress: &Progress,
    ) -> Result<(Vec<RoleAssignment>, Option<Warning>), Error> {
        const STAGE: &str = "role assignments";
        let total = subscriptions.len() as u64;
        progress.report(STAGE, 0, Some(total));
        let lists: Vec<_> = subscriptions
            .iter()
            .map(|s| async move { (s.clone(), self.arm.role_assignments(s).await) })
            .collect();
        let mut listed =
            futures::stream::iter(lists).buffer_unordered(self.config.arm_concurrency.max(1));
        let mut all = Vec::new();
        let mut failures = Vec::new();
        let mut done = 0;
        while let Some((sub, r)) = listed.next().await {
            done += 1;
            progress.report(STAGE, done, Some(total));
            match r {
                Ok(list) => all.extend(list),
                Err(e) if !e.is_missing_permission() => return Err(e),
                Err(e) => failures.push((format!("subscription {sub}"), e)),
            }
        }
        Ok((
            arm::dedup_assignments(all),
            summarize(Area::RoleAssignments, failures),
        ))
    }

    /// Puts the Azure part into the snapshot: only the subscriptions of the tenant, only the
    /// role assignments of its principals, with role names where ARM tells them.
    pub(super) async fn merge_arm(
        &self,
        snapshot: TenantSnapshot,
        arm: ArmLoaded,
    ) -> Result<TenantSnapshot, Error> {
        // Filtering and joining are O(tenant): on blocking threads, the role names' reads
        // between them.
        let (mut snapshot, definitions) = super::graph::blocking(move || {
            let mut snapshot = snapshot;
            let definitions = merge_arm_lists(&mut snapshot, arm);
            (snapshot, definitions)
        })
        .await?;
        let names = self.role_names(definitions).await;
        super::graph::blocking(move || {
            name_roles(&mut snapshot.role_assignments, &names);
            snapshot
        })
        .await
    }

    /// The names of the role definitions `definitions` (guid → id) names; best effort: a
    /// role without a readable definition keeps its id.
    pub(super) async fn role_names(
        &self,
        definitions: HashMap<String, String>,
    ) -> HashMap<String, String> {
        let reads: Vec<_> = definitions
            .into_iter()
            .map(|(guid, id)| async move {
                let name = self.arm.role_name(&id).await.ok().flatten();
                (guid, name)
            })
            .collect();
        futures::stream::iter(reads)
            .buffer_unordered(self.config.arm_concurrency.max(1))
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .filter_map(|(guid, name)| name.map(|n| (guid, n)))
            .collect()
    }
}

/// The ARM lists put into `snapshot` (what is in the tenant's subscriptions, role
/// assignments of its service principals); returns the role definitions whose names are to
/// be read (guid → id). Pure and O(tenant): called on a blocking thread.
fn merge_arm_lists(snapshot: &mut TenantSnapshot, arm: ArmLoaded) -> HashMap<String, String> {
    // `infer_tenant_id` says "unknown" when nothing named the tenant: then no
    // subscription can be told apart, and all are kept.
    let tenant = Some(snapshot.tenant_id.to_ascii_lowercase()).filter(|t| t != "unknown");
    let ours: HashSet<String> = arm
        .subscriptions
        .iter()
        .filter(|s| in_tenant(s, tenant.as_deref()))
        .map(|s| s.subscription_id.to_ascii_lowercase())
        .collect();
    let in_ours = |id: &str| {
        crate::domain::objects::arm_segment(id, "subscriptions")
            .is_some_and(|s| ours.contains(&s.to_ascii_lowercase()))
    };
    snapshot.user_assigned_identities = arm
        .identities
        .into_iter()
        .filter(|u| in_ours(&u.id))
        .collect();
    snapshot.resources = if arm.failed || arm.resources_failed {
        // Without Resource Graph, the system-assigned identities still say where they
        // live (their `alternativeNames`).
        system_assigned_resources(&snapshot.service_principals, vec![])
    } else {
        arm.resources
            .into_iter()
            .filter(|r| in_ours(&r.id))
            .collect()
    };
    let principals: HashSet<String> = snapshot
        .service_principals
        .iter()
        .map(|s| s.id.to_ascii_lowercase())
        .collect();
    let roles: Vec<RoleAssignment> = arm
        .role_assignments
        .into_iter()
        .filter(|r| principals.contains(&r.principal_id.to_ascii_lowercase()))
        .collect();
    let mut definitions: HashMap<String, String> = HashMap::new();
    for r in roles.iter().filter(|r| r.role_definition_name.is_none()) {
        definitions
            .entry(arm::role_guid(&r.role_definition_id))
            .or_insert_with(|| r.role_definition_id.to_string());
    }
    snapshot.role_assignments = roles;
    definitions
}

/// Fills in the role names read (`LiveBackend::role_names`).
fn name_roles(roles: &mut [RoleAssignment], names: &HashMap<String, String>) {
    for r in roles.iter_mut() {
        if r.role_definition_name.is_none() {
            r.role_definition_name = names
                .get(&arm::role_guid(&r.role_definition_id))
                .map(|n| n.as_str().into());
        }
    }
}

/// What one subscription's identities phase reports, as it happens.
pub(super) enum IdentityEvent {
    /// A subscription's identities (without their FICs), or why they could not be listed.
    Listed(String, Result<Vec<UserAssignedIdentity>, Error>),
    /// One identity's federated credentials, by its ARM id.
    Fics(String, Result<Vec<FederatedIdentityCredential>, Error>),
}

/// What the ARM phases found, before it is merged into the snapshot.
#[derive(Default)]
pub(super) struct ArmLoaded {
    pub(super) subscriptions: Vec<Subscription>,
    pub(super) identities: Vec<UserAssignedIdentity>,
    pub(super) resources: Vec<AzureResource>,
    pub(super) role_assignments: Vec<RoleAssignment>,
    pub(super) warnings: Vec<Warning>,
    /// The subscriptions could not be listed: no Azure data at all.
    pub(super) failed: bool,
    pub(super) resources_failed: bool,
}

/// Whether a subscription belongs to `tenant` (unknown tenants keep everything).
pub(super) fn in_tenant(s: &Subscription, tenant: Option<&str>) -> bool {
    match (tenant, s.tenant_id.as_deref()) {
        (Some(t), Some(st)) => t.eq_ignore_ascii_case(st),
        _ => true,
    }
}

/// How many Resource Graph rows were skipped, naming the first few (each names its resource
/// id and what was wrong with it).
pub(super) fn skipped_rows(skipped: &[String]) -> Option<String> {
    const NAMED: usize = 5;
    if skipped.is_empty() {
        return None;
    }
    let more = match skipped.len().saturating_sub(NAMED) {
        0 => String::new(),
        n => format!("; and {n} more"),
    };
    Some(format!(
        "{} row(s) skipped, which credwise cannot read: {}{more}",
        skipped.len(),
        skipped[..skipped.len().min(NAMED)].join("; ")
    ))
}

/// One warning for the failures of a phase: how many, and the first reason (which names the
/// permission or role for a 403).
pub(super) fn summarize(area: Area, failures: Vec<(String, Error)>) -> Option<Warning> {
    let (first_what, first) = failures.first()?;
    let more = match failures.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    Some(Warning {
        area,
        message: format!("{first_what}{more} could not be read: {first}"),
    })
}

#[cfg(test)]
mod tests {
    use super::error::Need;
    use super::*;

    #[test]
    fn summaries_name_the_first_failure() {
        assert!(summarize(Area::Subscriptions, vec![]).is_none());
        let w = summarize(
            Area::ManagedIdentities,
            vec![
                (
                    "subscription s1".into(),
                    Error::Forbidden {
                        permission: Need::ArmRead.permission().into(),
                        message: "AuthorizationFailed".into(),
                        advice: Need::ArmRead.advice().into(),
                    },
                ),
                ("subscription s2".into(), Error::NotFound("x".into())),
            ],
        )
        .unwrap();
        assert!(
            w.message
                .starts_with("subscription s1 (and 1 more) could not be read")
        );
        assert!(
            w.message.contains("Reader on the subscription"),
            "{}",
            w.message
        );
    }
}
