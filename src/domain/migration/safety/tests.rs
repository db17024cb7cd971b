//! Unit tests of `safety`.

use super::*;
use crate::domain::Directory;
use crate::domain::credential::{FederatedIdentityCredential, KeyCredential};
use crate::domain::migration::{FicForm, GuidanceTemplates, PlanContext, SequentialIds};

const NOW: Timestamp = time::macros::datetime!(2026-11-22 12:00 UTC);

fn secret(key_id: &str, end: Option<Timestamp>) -> PasswordCredential {
    PasswordCredential {
        key_id: key_id.into(),
        display_name: Some(format!("name-{key_id}")),
        hint: None,
        start_date_time: None,
        end_date_time: end,
    }
}

/// A FIC plan for an application with two secrets, removing both.
fn plan() -> Plan {
    let mut s = crate::domain::TenantSnapshot::empty("t", NOW);
    s.applications.push(crate::domain::Application {
        id: "app-1".into(),
        app_id: "client-1".into(),
        display_name: "payroll".into(),
        sign_in_audience: None,
        publisher_domain: None,
        created_date_time: None,
        password_credentials: vec![secret("s1", None), secret("s2", None)],
        key_credentials: vec![],
        federated_identity_credentials: vec![],
        odata_type: None,
    });
    let dir = Directory::new(s);
    let guidance = GuidanceTemplates::empty();
    let ctx = PlanContext {
        dir: &dir,
        now: NOW,
        guidance: &guidance,
    };
    FicForm {
        identity: "payroll".into(),
        github_repo: "fabrikam/payroll".into(),
        branch: "main".into(),
        remove_secrets: "all".into(),
        ..Default::default()
    }
    .build_plan(&ctx, &mut SequentialIds::default())
    .expect("a plan")
}

fn fic(plan: &Plan) -> FederatedIdentityCredential {
    match &plan.steps[0].action {
        Change::AddFederatedCredential { credential, .. } => credential.clone(),
        other => panic!("{other:?}"),
    }
}

fn inventory(plan: &Plan, verified: &[bool], creds: &ObjectCredentials) -> Inventory {
    Workload {
        plan,
        verified,
        credentials: creds,
        identity_in_place: false,
        now: NOW,
    }
    .inventory()
}

#[test]
fn only_valid_and_verified_credentials_count() {
    let plan = plan();
    let yesterday = NOW - time::Duration::days(1);
    let creds = ObjectCredentials {
        passwords: vec![secret("s1", Some(yesterday)), secret("s2", None)],
        keys: vec![],
        federated: vec![fic(&plan)],
    };
    // The new FIC is not verified yet: only the valid secret counts.
    let inv = inventory(&plan, &[false, false, false], &creds);
    assert_eq!(inv.usable.len(), 1, "{inv:?}");
    assert!(inv.not_usable.iter().any(|n| n.contains("expired")));
    assert!(inv.not_usable.iter().any(|n| n.contains("not verified")));
    // Verified, it counts — while it is what the step made.
    let inv = inventory(&plan, &[true, false, false], &creds);
    assert_eq!(inv.usable.len(), 2, "{inv:?}");
    let mut look_alike = fic(&plan);
    look_alike.subject = Some("repo:evil/attacker:ref:refs/heads/main".into());
    let tampered = ObjectCredentials {
        federated: vec![look_alike],
        ..creds.clone()
    };
    let inv = inventory(&plan, &[true, false, false], &tampered);
    assert_eq!(inv.usable.len(), 1, "a look-alike does not count: {inv:?}");
    // A credential this migration did not make counts as it is.
    let other = ObjectCredentials {
        passwords: vec![],
        keys: vec![KeyCredential {
            key_id: "k-old".into(),
            display_name: None,
            custom_key_identifier: None,
            key_type: None,
            usage: None,
            start_date_time: None,
            end_date_time: Some(NOW + time::Duration::days(30)),
        }],
        federated: vec![],
    };
    assert_eq!(inventory(&plan, &[false; 3], &other).usable.len(), 1);
}

#[test]
fn the_guard_refuses_only_the_change_that_takes_the_last_usable_credential() {
    let plan = plan();
    let creds = ObjectCredentials {
        passwords: vec![secret("s2", None)],
        keys: vec![],
        federated: vec![fic(&plan)],
    };
    let inv = inventory(&plan, &[true, true, false], &creds);
    // Removing the last secret while the verified FIC stays: allowed.
    let remove_s2 = &plan.steps[2].action;
    assert!(guard(&plan, &inv, 2, remove_s2, false).is_ok());
    // Undoing the FIC while a secret stays: allowed.
    let undo_fic = &plan.steps[0].undo;
    assert!(guard(&plan, &inv, 0, undo_fic, true).is_ok());
    // Once the secret is gone, undoing the FIC would leave nothing.
    let without = inv.without(&takes(&plan, remove_s2).expect("takes a secret"));
    let lockout = guard(&plan, &without, 0, undo_fic, true).expect_err("the last one");
    assert_eq!(lockout.step, 0);
    assert!(lockout.undo);
    assert!(lockout.last.contains(&fic(&plan).name), "{lockout}");
    let text = lockout.to_string();
    assert!(
        text.starts_with(
            "undoing step 1 would leave payroll (application app-1) without a usable credential"
        ),
        "{text}"
    );
    // A secret a snapshot puts back makes it safe again.
    let back = gives(&plan, &plan.steps[1].undo, NOW).expect("a valid secret");
    assert!(guard(&plan, &without.with(back), 0, undo_fic, true).is_ok());
    // Changes that take nothing away are never refused.
    let empty = Inventory::default();
    assert!(guard(&plan, &empty, 0, &plan.steps[0].action, false).is_ok());
}

#[test]
fn a_federated_credential_an_undo_re_creates_counts_again() {
    let plan = plan();
    let added = fic(&plan);
    // The undo of the FIC's removal is its re-creation: usable at once.
    let readd = Change::AddFederatedCredential {
        target: plan.identity.target.clone(),
        credential: added.clone(),
    };
    let back = gives(&plan, &readd, NOW).expect("the FIC again");
    assert_eq!(back, Usable::Federated { name: added.name });
    // On another object it gives this workload nothing.
    let elsewhere = Change::AddFederatedCredential {
        target: Target::Application("other".into()),
        credential: fic(&plan),
    };
    assert!(gives(&plan, &elsewhere, NOW).is_none());
}

#[test]
fn what_a_change_takes_away() {
    let plan = plan();
    assert_eq!(
        takes(&plan, &plan.steps[0].undo),
        Some(Taken::Federated(fic(&plan).name))
    );
    assert_eq!(takes(&plan, &plan.steps[0].action), None);
    assert!(matches!(
        takes(&plan, &plan.steps[1].action),
        Some(Taken::Secret(_))
    ));
    // On another object: not this identity's credential.
    let elsewhere = Change::RemovePassword {
        target: Target::Application("another".into()),
        key_id: "s1".into(),
    };
    assert_eq!(takes(&plan, &elsewhere), None);
    // A role assignment or identity this plan did not make is not its workload's.
    assert_eq!(
        takes(&plan, &Change::RemoveRoleAssignment { id: "r".into() }),
        None
    );
    assert!(removes_access(&plan.steps[0].undo));
    assert!(!removes_access(&plan.steps[0].action));
}
