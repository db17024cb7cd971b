//! The index over the demo tenant: kinds, lookups by id/appId/name, links in both directions,
//! role assignments; and the `Change` algebra: apply then undo leaves a snapshot unchanged.
#![allow(clippy::unwrap_used)]

mod common;

use common::demo_dir;
use credwise::domain::change::{ApplyError, Target};
use credwise::domain::directory::FindError;
use credwise::domain::links::{FicKind, Relation, classify_fic};
use credwise::domain::{
    Change, Check, CredentialRef, Directory, FederatedIdentityCredential, IdentityKind,
    PasswordCredential, TenantSnapshot,
};
use proptest::prelude::*;

fn by_name(dir: &Directory, name: &str, kind: IdentityKind) -> u32 {
    (0..dir.len() as u32)
        .find(|&i| dir.entry(i).kind == kind && dir.display_name_of(dir.entry(i)) == name)
        .unwrap_or_else(|| panic!("{name} ({kind}) not in the demo"))
}

#[test]
fn every_kind_is_present() {
    let dir = demo_dir();
    for k in IdentityKind::ALL {
        assert!(dir.count_kind(k) > 0, "no {k}");
    }
    assert!(dir.len() >= 80);
}

#[test]
fn the_search_text_names_every_entry_as_the_directory_does_even_without_a_name() {
    let mut snap = credwise::backend::demo::snapshot(common::NOW);
    snap.applications[0].display_name.clear();
    let dir = Directory::new(snap);
    for id in 0..dir.len() as u32 {
        assert_eq!(
            dir.search_name(id),
            dir.display_name_of(dir.entry(id)),
            "entry {id}"
        );
    }
}

#[test]
fn the_index_without_search_text_orders_and_searches_as_the_full_one() {
    let mut snap = credwise::backend::demo::snapshot(common::NOW);
    // Names that sort differently by case and by prefix, and one name empty.
    snap.applications[0].display_name = "zeta".into();
    snap.applications[1].display_name = "Zeta".into();
    snap.applications[2].display_name.clear();
    let full = Directory::new(snap.clone());
    let lean = Directory::without_search(snap);
    assert_eq!(full.len(), lean.len());
    for id in 0..full.len() as u32 {
        assert_eq!(full.name_rank(id), lean.name_rank(id), "entry {id}");
    }
    // Built on first use, the search text is the one `new` builds eagerly.
    for id in 0..full.len() as u32 {
        let a: Vec<_> = full.search_fields(id).collect();
        let b: Vec<_> = lean.search_fields(id).collect();
        assert_eq!(a, b, "entry {id}");
        assert!(!a.is_empty(), "entry {id} has at least its name");
    }
}

#[test]
fn the_filter_finds_an_identity_by_its_ids_and_fic_subject() {
    use credwise::domain::filter::Filter;
    let dir = demo_dir();
    let all: Vec<u32> = (0..dir.len() as u32).collect();
    let app = (0..dir.len() as u32)
        .find(|&i| dir.entry(i).kind == IdentityKind::Application && dir.entry(i).federated > 0)
        .unwrap();
    let e = dir.entry(app);
    let (id, app_id) = (
        dir.id_of(e).to_string(),
        dir.app_id_of(e).unwrap().to_string(),
    );
    let fields: Vec<&str> = dir.search_fields(app).map(|(t, _)| t).collect();
    assert_eq!(fields[0], dir.display_name_of(e), "the name comes first");
    assert_eq!(fields[1..3], [id.as_str(), app_id.as_str()], "then the ids");
    assert!(
        fields.len() > 3,
        "then the FICs' subjects and issuers: {fields:?}"
    );
    // A part of either id finds the identity.
    for word in [&id[..8], &app_id[24..], &app_id[9..18]] {
        let found = Filter::new(word).unwrap().apply(&dir, &all);
        assert!(found.contains(&app), "{word} did not find it");
    }
    // A word that cannot be in a GUID is not found in one.
    let found = Filter::new("zzqq").unwrap().apply(&dir, &all);
    assert!(found.is_empty());
}

#[test]
fn find_by_object_id_app_id_and_name() {
    let dir = demo_dir();
    let app = by_name(&dir, "payroll-api", IdentityKind::Application);
    let sp = by_name(&dir, "payroll-api", IdentityKind::ServicePrincipal);
    let e = dir.entry(app);
    assert_eq!(dir.find(dir.id_of(e)), Ok(app));
    assert_eq!(dir.find(&dir.id_of(e).to_uppercase()), Ok(app));
    // The appId names the app and its SP: the app registration wins.
    assert_eq!(dir.find(dir.app_id_of(e).unwrap()), Ok(app));
    assert_eq!(dir.find(dir.id_of(dir.entry(sp))), Ok(sp));
    // The shared display name means the app registration too.
    assert_eq!(dir.find("payroll-api"), Ok(app));
    assert_eq!(dir.find("no-such-identity"), Err(FindError::NotFound));
}

#[test]
fn a_name_shared_by_unrelated_identities_is_ambiguous() {
    let mut s = credwise::backend::demo::snapshot(common::NOW);
    let mut twin = s.applications[0].clone();
    twin.id = "11111111-2222-3333-4444-555555555555".into();
    twin.app_id = "66666666-2222-3333-4444-555555555555".into();
    let name = twin.display_name.clone();
    s.applications.push(twin);
    let dir = Directory::new(s);
    match dir.find(&name) {
        Err(FindError::Ambiguous(c)) => assert!(c.len() >= 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn app_and_service_principal_link_both_ways() {
    let dir = demo_dir();
    let app = by_name(&dir, "payroll-api", IdentityKind::Application);
    let sp = by_name(&dir, "payroll-api", IdentityKind::ServicePrincipal);
    let links = dir.links_of(dir.entry(app));
    assert!(
        links
            .iter()
            .any(|l| l.relation == Relation::ServicePrincipal && l.target == Some(sp))
    );
    let back = dir.links_of(dir.entry(sp));
    assert!(
        back.iter()
            .any(|l| l.relation == Relation::Application && l.target == Some(app))
    );
}

#[test]
fn managed_identity_as_fic_links_both_ways() {
    let dir = demo_dir();
    let s = dir.snapshot();
    let (ai, fic) = s
        .applications
        .iter()
        .enumerate()
        .find_map(|(i, a)| {
            a.federated_identity_credentials
                .iter()
                .find(|f| classify_fic(f, &s.tenant_id, s.cloud) == FicKind::ManagedIdentity)
                .map(|f| (i, f.clone()))
        })
        .expect("the demo has an MI-as-FIC");
    let app = (0..dir.len() as u32)
        .find(|&i| dir.id_of(dir.entry(i)) == s.applications[ai].id)
        .unwrap();
    let mi = dir
        .managed_identity_by_principal(fic.subject.as_deref().unwrap())
        .expect("its subject is a managed identity of the tenant");
    assert_eq!(
        dir.entry(mi).kind,
        IdentityKind::UserAssignedManagedIdentity
    );
    assert!(
        dir.links_of(dir.entry(app))
            .iter()
            .any(|l| l.relation == Relation::TrustsManagedIdentity && l.target == Some(mi))
    );
    assert!(
        dir.links_of(dir.entry(mi))
            .iter()
            .any(|l| l.relation == Relation::TrustedByApplication && l.target == Some(app))
    );
}

#[test]
fn user_assigned_identities_link_to_their_resources() {
    let dir = demo_dir();
    let most = (0..dir.len() as u32)
        .filter(|&i| dir.entry(i).kind == IdentityKind::UserAssignedManagedIdentity)
        .max_by_key(|&i| {
            dir.attached_resources(dir.arm_id_of(dir.entry(i)).unwrap())
                .len()
        })
        .unwrap();
    let attached = dir
        .links_of(dir.entry(most))
        .into_iter()
        .filter(|l| l.relation == Relation::AttachedTo)
        .count();
    assert!(
        attached >= 3,
        "a UAMI attached to 3+ resources, got {attached}"
    );
}

#[test]
fn system_assigned_identities_belong_to_their_resource() {
    let dir = demo_dir();
    let mut slot = false;
    for i in 0..dir.len() as u32 {
        let e = dir.entry(i);
        if e.kind != IdentityKind::SystemAssignedManagedIdentity {
            continue;
        }
        let links = dir.links_of(e);
        let belongs = links
            .iter()
            .find(|l| l.relation == Relation::BelongsTo)
            .unwrap_or_else(|| panic!("{} has no resource", dir.display_name_of(e)));
        assert!(
            dir.resource_index(&belongs.detail).is_some(),
            "{}",
            belongs.detail
        );
        slot |= dir.display_name_of(e).contains("/slots/");
    }
    assert!(slot, "the demo has a deployment slot");
}

#[test]
fn role_assignments_follow_the_principal() {
    let dir = demo_dir();
    let with_roles = (0..dir.len() as u32)
        .filter(|&i| !dir.role_assignments_of(dir.entry(i)).is_empty())
        .count();
    assert!(with_roles >= 10);
    // App registrations hold no roles; their service principals do.
    for i in 0..dir.len() as u32 {
        if dir.entry(i).kind == IdentityKind::Application {
            assert!(dir.role_assignments_of(dir.entry(i)).is_empty());
        }
    }
}

#[test]
fn managed_identity_service_principal_certificates_are_not_listed() {
    let dir = demo_dir();
    for i in 0..dir.len() as u32 {
        let e = dir.entry(i);
        if e.kind == IdentityKind::SystemAssignedManagedIdentity {
            assert!(dir.credentials_of(e).is_empty());
        }
        if e.kind == IdentityKind::UserAssignedManagedIdentity {
            assert!(
                dir.credentials_of(e)
                    .iter()
                    .all(|c| matches!(c, CredentialRef::Federated(_)))
            );
        }
    }
}

fn secret(key: &str) -> PasswordCredential {
    PasswordCredential {
        key_id: key.into(),
        display_name: Some("new".into()),
        hint: None,
        start_date_time: None,
        end_date_time: None,
    }
}

fn fic(name: &str) -> FederatedIdentityCredential {
    FederatedIdentityCredential {
        id: None,
        name: name.into(),
        issuer: "https://token.actions.githubusercontent.com".into(),
        subject: Some("repo:fabrikam/x:ref:refs/heads/main".into()),
        claims_matching_expression: None,
        audiences: vec!["api://AzureADTokenExchange".into()],
        description: None,
    }
}

/// Credential order is not meaningful (Graph keeps none), so compare sorted.
fn normalized(mut s: TenantSnapshot) -> TenantSnapshot {
    for a in &mut s.applications {
        a.password_credentials
            .sort_by(|x, y| x.key_id.cmp(&y.key_id));
        a.key_credentials.sort_by(|x, y| x.key_id.cmp(&y.key_id));
        a.federated_identity_credentials
            .sort_by(|x, y| x.name.cmp(&y.name));
    }
    for p in &mut s.service_principals {
        p.password_credentials
            .sort_by(|x, y| x.key_id.cmp(&y.key_id));
        p.key_credentials.sort_by(|x, y| x.key_id.cmp(&y.key_id));
    }
    for u in &mut s.user_assigned_identities {
        u.federated_identity_credentials
            .sort_by(|x, y| x.name.cmp(&y.name));
    }
    s.user_assigned_identities.sort_by(|x, y| x.id.cmp(&y.id));
    s.role_assignments.sort_by(|x, y| x.id.cmp(&y.id));
    s
}

/// Every change the demo can take, for the property below.
fn changes(s: &TenantSnapshot) -> Vec<Change> {
    let mut out = Vec::new();
    for a in &s.applications {
        let t = Target::Application(a.id.clone());
        out.push(Change::AddPassword {
            target: t.clone(),
            credential: secret("00000000-0000-0000-0000-0000000000aa"),
        });
        for p in &a.password_credentials {
            out.push(Change::RemovePassword {
                target: t.clone(),
                key_id: p.key_id.to_string(),
            });
        }
        for k in &a.key_credentials {
            out.push(Change::RemoveKey {
                target: t.clone(),
                key_id: k.key_id.to_string(),
            });
        }
        for f in &a.federated_identity_credentials {
            out.push(Change::RemoveFederatedCredential {
                target: t.clone(),
                name: f.name.clone(),
            });
        }
        if a.federated_identity_credentials.len() < 20 {
            out.push(Change::AddFederatedCredential {
                target: t,
                credential: fic("new-fic"),
            });
        }
    }
    for u in &s.user_assigned_identities {
        out.push(Change::DeleteUserAssignedIdentity { id: u.id.clone() });
    }
    for r in &s.role_assignments {
        out.push(Change::RemoveRoleAssignment { id: r.id.clone() });
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn apply_then_undo_leaves_the_tenant_unchanged(pick in any::<proptest::sample::Index>()) {
        let original = credwise::backend::demo::snapshot(common::NOW);
        let all = changes(&original);
        let change = &all[pick.index(all.len())];
        let mut s = original.clone();
        let undo = s.apply(change).unwrap();
        prop_assert_ne!(&normalized(s.clone()), &normalized(original.clone()));
        s.apply(&undo).unwrap();
        prop_assert_eq!(normalized(s), normalized(original));
    }
}

#[test]
fn changes_are_checked_before_they_apply() {
    let mut s = credwise::backend::demo::snapshot(common::NOW);
    let before = s.clone();
    let near_limit = s
        .applications
        .iter()
        .find(|a| a.federated_identity_credentials.len() >= 18)
        .unwrap()
        .id
        .clone();
    let t = Target::Application(near_limit);
    let mut n = 0;
    let err = loop {
        match s.apply(&Change::AddFederatedCredential {
            target: t.clone(),
            credential: fic(&format!("extra-{n}")),
        }) {
            Ok(_) => n += 1,
            Err(e) => break e,
        }
    };
    assert!(matches!(err, ApplyError::FicLimit { .. }), "{err}");
    assert!(n <= 2, "the limit of 20 FICs per app holds");
    let mut s = before.clone();
    let missing = s.apply(&Change::RemovePassword {
        target: Target::Application("nope".into()),
        key_id: "k".into(),
    });
    assert!(matches!(missing, Err(ApplyError::TargetNotFound(_))));
    assert_eq!(s, before);
    let a = s.applications[0].id.clone();
    let present = Check::CredentialPresent {
        target: Target::Application(a.clone()),
        id: "00000000-0000-0000-0000-0000000000aa".into(),
    };
    assert!(!s.check(&present).unwrap().holds());
    s.apply(&Change::AddPassword {
        target: Target::Application(a),
        credential: secret("00000000-0000-0000-0000-0000000000aa"),
    })
    .unwrap();
    assert!(s.check(&present).unwrap().holds());
}

/// A snapshot read page by page holds lists with room to spare; `shrink_to_fit` gives it back
/// and changes nothing else.
#[test]
fn compacting_a_snapshot_keeps_every_object_frees_the_room_its_lists_grew_with_and_shares_repeated_text()
 {
    let mut s = common::demo_dir().shared_snapshot().as_ref().clone();
    for a in &mut s.applications {
        a.password_credentials.reserve(7);
        a.federated_identity_credentials.reserve(3);
    }
    s.service_principals.reserve(100);
    let before = s.clone();
    s.compact();
    assert_eq!(s, before);
    assert_eq!(s.service_principals.capacity(), s.service_principals.len());
    for a in &s.applications {
        assert_eq!(
            a.password_credentials.capacity(),
            a.password_credentials.len()
        );
        assert_eq!(
            a.federated_identity_credentials.capacity(),
            a.federated_identity_credentials.len()
        );
    }
    // Role assignments that name one role share one copy of its id, as do service
    // principals owned by one tenant; before, each held its own.
    let mut pairs = 0;
    for (i, a) in s.role_assignments.iter().enumerate() {
        for b in &s.role_assignments[i + 1..] {
            if a.role_definition_id == b.role_definition_id {
                assert!(a.role_definition_id.same_copy(&b.role_definition_id));
                pairs += 1;
            }
        }
    }
    assert!(pairs > 0, "the demo repeats a role");
    let owners: Vec<_> = s
        .service_principals
        .iter()
        .filter_map(|p| p.app_owner_organization_id.as_ref())
        .collect();
    let same = owners
        .iter()
        .filter(|o| **o == owners[0])
        .collect::<Vec<_>>();
    assert!(same.len() > 1, "the demo repeats an owner tenant");
    assert!(same.iter().all(|o| o.same_copy(owners[0])));
    let read: TenantSnapshot = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    let read_owners: Vec<_> = read
        .service_principals
        .iter()
        .filter_map(|p| p.app_owner_organization_id.as_ref())
        .filter(|o| **o == *owners[0])
        .collect();
    assert!(read_owners.len() > 1);
    assert_eq!(
        read_owners
            .iter()
            .filter(|o| o.same_copy(read_owners[0]))
            .count(),
        1,
        "read from JSON, each holds its own copy until compacted"
    );
}
