//! Incremental refresh, the pure part: merging what Graph's delta queries report into a
//! tenant read earlier, and the sync state a refresh starts from.
//!
//! Graph reports "updated instances … by their id with at least the properties that have
//! been updated" (concepts/delta-query-overview.md): an object of a delta page may be
//! partial, so a change is merged property by property — a property the page did not carry
//! keeps its cached value, never a default. A new object comes whole; a removed one comes as
//! its id and `@removed`. The same object may come twice in a round ("Replays"): the later
//! report wins, property by property. Federated credentials are a navigation property,
//! which delta does not track: they are never touched here (the caller re-reads the
//! credentials of the applications this reports as added or changed).
//!
//! Pure: no I/O, no clock.

use serde::{Deserialize, Serialize};

use super::{Application, ServicePrincipal, TenantSnapshot, Timestamp};

/// Where a refresh starts: one delta link per list and when each part of the tenant was
/// last read. Stored beside the tenant cache (`store::cache`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncState {
    /// `@odata.deltaLink` of `/applications/delta`.
    pub applications: String,
    /// `@odata.deltaLink` of `/servicePrincipals/delta`.
    pub service_principals: String,
    /// When the Graph part (applications, principals) was last brought up to date.
    #[serde(with = "time::serde::rfc3339")]
    pub graph_at: Timestamp,
    /// When the federated credentials of every application and the Azure part (ARM) were
    /// last read whole (a full load or a sweep).
    #[serde(with = "time::serde::rfc3339")]
    pub arm_at: Timestamp,
}

/// Which properties a delta object carried (a bit per `Field`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fields(u32);

/// A property delta can report, for applications and service principals alike (each uses
/// the ones it has).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    AppId = 0,
    DisplayName,
    SignInAudience,
    PublisherDomain,
    CreatedDateTime,
    PasswordCredentials,
    KeyCredentials,
    ODataType,
    ServicePrincipalType,
    AlternativeNames,
    AccountEnabled,
    AppOwnerOrganizationId,
    Tags,
}

impl Fields {
    pub const NONE: Fields = Fields(0);

    pub fn with(self, f: Field) -> Fields {
        Fields(self.0 | 1 << f as u32)
    }

    pub fn has(self, f: Field) -> bool {
        self.0 & (1 << f as u32) != 0
    }

    /// Every field: a whole object.
    pub fn all() -> Fields {
        Fields(u32::MAX)
    }
}

/// One object of a delta round.
#[derive(Debug, Clone, PartialEq)]
pub enum DeltaItem<T> {
    /// A new or changed object; `fields` says which of its properties the page carried (the
    /// others hold defaults and are not merged).
    Changed { object: T, fields: Fields },
    /// Deleted (or soft-deleted: `@removed.reason` `changed`); by object id.
    Removed(String),
}

/// What a merge did, by object id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

impl Merged {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// An object delta can report.
pub trait Tracked: Sized {
    fn id(&self) -> &str;
    /// Takes from `from` every property `fields` names; keeps the rest.
    fn merge(&mut self, from: Self, fields: Fields);
}

fn take<T>(into: &mut T, from: T, yes: bool) {
    if yes {
        *into = from;
    }
}

impl Tracked for Application {
    fn id(&self) -> &str {
        &self.id
    }

    fn merge(&mut self, from: Self, f: Fields) {
        take(&mut self.app_id, from.app_id, f.has(Field::AppId));
        take(
            &mut self.display_name,
            from.display_name,
            f.has(Field::DisplayName),
        );
        take(
            &mut self.sign_in_audience,
            from.sign_in_audience,
            f.has(Field::SignInAudience),
        );
        take(
            &mut self.publisher_domain,
            from.publisher_domain,
            f.has(Field::PublisherDomain),
        );
        take(
            &mut self.created_date_time,
            from.created_date_time,
            f.has(Field::CreatedDateTime),
        );
        take(
            &mut self.password_credentials,
            from.password_credentials,
            f.has(Field::PasswordCredentials),
        );
        take(
            &mut self.key_credentials,
            from.key_credentials,
            f.has(Field::KeyCredentials),
        );
        take(
            &mut self.odata_type,
            from.odata_type,
            f.has(Field::ODataType),
        );
        // Federated credentials are not tracked by delta: kept as they are.
    }
}

impl Tracked for ServicePrincipal {
    fn id(&self) -> &str {
        &self.id
    }

    fn merge(&mut self, from: Self, f: Fields) {
        take(&mut self.app_id, from.app_id, f.has(Field::AppId));
        take(
            &mut self.display_name,
            from.display_name,
            f.has(Field::DisplayName),
        );
        take(
            &mut self.service_principal_type,
            from.service_principal_type,
            f.has(Field::ServicePrincipalType),
        );
        take(
            &mut self.alternative_names,
            from.alternative_names,
            f.has(Field::AlternativeNames),
        );
        take(
            &mut self.account_enabled,
            from.account_enabled,
            f.has(Field::AccountEnabled),
        );
        take(
            &mut self.app_owner_organization_id,
            from.app_owner_organization_id,
            f.has(Field::AppOwnerOrganizationId),
        );
        take(
            &mut self.password_credentials,
            from.password_credentials,
            f.has(Field::PasswordCredentials),
        );
        take(
            &mut self.key_credentials,
            from.key_credentials,
            f.has(Field::KeyCredentials),
        );
        take(&mut self.tags, from.tags, f.has(Field::Tags));
        take(
            &mut self.odata_type,
            from.odata_type,
            f.has(Field::ODataType),
        );
    }
}

/// Merges a round's `items` into `list` (in order: a later report of the same object wins).
/// An object the list does not hold is added as it came; a removal of an object it does not
/// hold changes nothing. Ids compare case-insensitively, as object ids are GUIDs.
pub fn merge<T: Tracked>(list: &mut Vec<T>, items: Vec<DeltaItem<T>>) -> Merged {
    let mut at: std::collections::HashMap<String, usize> = list
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id().to_ascii_lowercase(), i))
        .collect();
    let mut out = Merged::default();
    let mut removed = std::collections::HashSet::new();
    let note = |v: &mut Vec<String>, id: &str| {
        if !v.iter().any(|x| x.eq_ignore_ascii_case(id)) {
            v.push(id.to_string());
        }
    };
    for item in items {
        match item {
            DeltaItem::Changed { object, fields } => {
                let key = object.id().to_ascii_lowercase();
                match at.get(&key) {
                    Some(&i) if !removed.contains(&key) => {
                        let id = object.id().to_string();
                        list[i].merge(object, fields);
                        if !out.added.iter().any(|x| x.eq_ignore_ascii_case(&id)) {
                            note(&mut out.changed, &id);
                        }
                    }
                    _ => {
                        // New (or back after a removal in the same round): as it came.
                        removed.remove(&key);
                        out.removed.retain(|x| !x.eq_ignore_ascii_case(&key));
                        note(&mut out.added, object.id());
                        match at.get(&key) {
                            Some(&i) => list[i] = object,
                            None => {
                                at.insert(key, list.len());
                                list.push(object);
                            }
                        }
                    }
                }
            }
            DeltaItem::Removed(id) => {
                let key = id.to_ascii_lowercase();
                if at.contains_key(&key) && removed.insert(key) {
                    out.added.retain(|x| !x.eq_ignore_ascii_case(&id));
                    out.changed.retain(|x| !x.eq_ignore_ascii_case(&id));
                    note(&mut out.removed, &id);
                }
            }
        }
    }
    if !removed.is_empty() {
        list.retain(|o| !removed.contains(&o.id().to_ascii_lowercase()));
    }
    out
}

/// Merges both lists' rounds into `tenant`: what changed, per list.
pub fn merge_tenant(
    tenant: &mut TenantSnapshot,
    applications: Vec<DeltaItem<Application>>,
    service_principals: Vec<DeltaItem<ServicePrincipal>>,
) -> (Merged, Merged) {
    (
        merge(&mut tenant.applications, applications),
        merge(&mut tenant.service_principals, service_principals),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{FederatedIdentityCredential, PasswordCredential, ServicePrincipalType};

    fn app(id: &str, name: &str) -> Application {
        Application {
            id: id.into(),
            app_id: format!("{id}-client"),
            display_name: name.into(),
            sign_in_audience: Some("AzureADMyOrg".into()),
            publisher_domain: Some("contoso.com".into()),
            created_date_time: None,
            password_credentials: vec![PasswordCredential {
                key_id: format!("{id}-secret").into(),
                display_name: Some("ci".into()),
                hint: Some("abc".into()),
                start_date_time: None,
                end_date_time: None,
            }],
            key_credentials: vec![],
            federated_identity_credentials: vec![FederatedIdentityCredential {
                id: Some(format!("{id}-fic")),
                name: "deploy".into(),
                issuer: "https://token.actions.githubusercontent.com".into(),
                subject: Some("repo:o/r:ref:refs/heads/main".into()),
                claims_matching_expression: None,
                audiences: vec!["api://AzureADTokenExchange".into()],
                description: None,
            }],
            odata_type: None,
        }
    }

    /// What Graph sends for an updated object: its id and the changed properties, the rest
    /// at their defaults.
    fn partial(id: &str) -> Application {
        Application {
            id: id.into(),
            app_id: String::new(),
            display_name: id.into(),
            sign_in_audience: None,
            publisher_domain: None,
            created_date_time: None,
            password_credentials: vec![],
            key_credentials: vec![],
            federated_identity_credentials: vec![],
            odata_type: None,
        }
    }

    fn changed(object: Application, fields: Fields) -> DeltaItem<Application> {
        DeltaItem::Changed { object, fields }
    }

    #[test]
    fn merges_as_the_delta_documentation_describes() {
        struct Case {
            name: &'static str,
            items: Vec<DeltaItem<Application>>,
            want: Vec<Application>,
            merged: Merged,
        }
        let base = || vec![app("a", "alpha"), app("b", "beta")];
        let renamed = {
            let mut a = app("a", "alpha");
            a.display_name = "alpha 2".into();
            a
        };
        let no_secrets = {
            let mut a = app("a", "alpha");
            a.password_credentials.clear();
            a
        };
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cases = vec![
            Case {
                name: "a partial object changes only what it carries",
                items: vec![changed(
                    Application {
                        display_name: "alpha 2".into(),
                        ..partial("a")
                    },
                    Fields::NONE.with(Field::DisplayName),
                )],
                want: vec![renamed.clone(), app("b", "beta")],
                merged: Merged {
                    changed: ids(&["a"]),
                    ..Merged::default()
                },
            },
            Case {
                name: "an emptied collection that was carried empties it",
                items: vec![changed(
                    partial("a"),
                    Fields::NONE.with(Field::PasswordCredentials),
                )],
                want: vec![no_secrets, app("b", "beta")],
                merged: Merged {
                    changed: ids(&["a"]),
                    ..Merged::default()
                },
            },
            Case {
                name: "a new object is added whole",
                items: vec![changed(app("c", "gamma"), Fields::all())],
                want: vec![app("a", "alpha"), app("b", "beta"), app("c", "gamma")],
                merged: Merged {
                    added: ids(&["c"]),
                    ..Merged::default()
                },
            },
            Case {
                name: "@removed removes",
                items: vec![DeltaItem::Removed("B".into())],
                want: vec![app("a", "alpha")],
                merged: Merged {
                    removed: ids(&["B"]),
                    ..Merged::default()
                },
            },
            Case {
                name: "removing what is not there changes nothing",
                items: vec![DeltaItem::Removed("z".into())],
                want: base(),
                merged: Merged::default(),
            },
            Case {
                name: "a replay: the later report wins, property by property",
                items: vec![
                    changed(
                        Application {
                            display_name: "first".into(),
                            ..partial("a")
                        },
                        Fields::NONE.with(Field::DisplayName),
                    ),
                    changed(
                        Application {
                            display_name: "alpha 2".into(),
                            ..partial("a")
                        },
                        Fields::NONE.with(Field::DisplayName),
                    ),
                ],
                want: vec![renamed, app("b", "beta")],
                merged: Merged {
                    changed: ids(&["a"]),
                    ..Merged::default()
                },
            },
            Case {
                name: "added then removed in one round is gone",
                items: vec![
                    changed(app("c", "gamma"), Fields::all()),
                    DeltaItem::Removed("c".into()),
                ],
                want: base(),
                merged: Merged {
                    removed: ids(&["c"]),
                    ..Merged::default()
                },
            },
        ];
        for c in cases {
            let mut list = base();
            let merged = merge(&mut list, c.items);
            assert_eq!(list, c.want, "{}", c.name);
            assert_eq!(merged, c.merged, "{}", c.name);
        }
    }

    #[test]
    fn federated_credentials_are_never_touched_by_a_merge() {
        let mut list = vec![app("a", "alpha")];
        let before = list[0].federated_identity_credentials.clone();
        merge(&mut list, vec![changed(partial("a"), Fields::all())]);
        assert_eq!(list[0].federated_identity_credentials, before);
    }

    #[test]
    fn principals_merge_by_the_same_rule() {
        let sp = ServicePrincipal {
            id: "s".into(),
            app_id: "c".into(),
            display_name: "svc".into(),
            service_principal_type: ServicePrincipalType::Application,
            alternative_names: vec![],
            account_enabled: Some(true),
            app_owner_organization_id: None,
            password_credentials: vec![],
            key_credentials: vec![],
            tags: vec!["x".into()],
            odata_type: None,
        };
        let mut list = vec![sp.clone()];
        let update = ServicePrincipal {
            account_enabled: Some(false),
            tags: vec![],
            display_name: String::new(),
            ..sp.clone()
        };
        merge(
            &mut list,
            vec![DeltaItem::Changed {
                object: update,
                fields: Fields::NONE.with(Field::AccountEnabled),
            }],
        );
        assert_eq!(list[0].account_enabled, Some(false));
        assert_eq!(list[0].tags, vec!["x".to_string()]);
        assert_eq!(list[0].display_name, "svc");
    }
}
