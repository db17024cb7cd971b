//! The catalogue's requests, operation by operation.

use super::*;

fn app() -> Target {
    Target::Application("a1".into())
}

fn fic(subject: Option<&str>, expression: Option<&str>) -> FederatedIdentityCredential {
    FederatedIdentityCredential {
        id: None,
        name: "gh-main".into(),
        issuer: "https://token.actions.githubusercontent.com".into(),
        subject: subject.map(str::to_string),
        claims_matching_expression: expression.map(str::to_string),
        audiences: vec!["api://AzureADTokenExchange".into()],
        description: None,
    }
}

#[test]
fn a_flexible_app_credential_is_created_through_beta_with_its_expression() {
    let r =
        add_federated_credential(&app(), &fic(None, Some("claims['sub'] matches 'x*'"))).unwrap();
    assert_eq!((r.method, r.api), (Method::Post, Api::GraphBeta));
    let body = r.body.as_ref().unwrap().json().unwrap();
    assert_eq!(
        body["claimsMatchingExpression"],
        serde_json::json!({"languageVersion": 1, "value": "claims['sub'] matches 'x*'"})
    );
    assert!(body.get("subject").is_none());
    let classic =
        add_federated_credential(&app(), &fic(Some("repo:o/r:ref:refs/heads/main"), None)).unwrap();
    assert_eq!(classic.api, Api::GraphV1);
    assert_eq!(
        classic.url(&Hosts::public(Cloud::Public)),
        "https://graph.microsoft.com/v1.0/applications/a1/federatedIdentityCredentials"
    );
}

#[test]
fn segments_are_encoded_on_the_wire_and_shown_as_they_are() {
    let r = remove_federated_credential(&app(), "a/b?c").unwrap().write;
    assert_eq!(
        r.relative_url(),
        "/applications/a1/federatedIdentityCredentials/a%2Fb%3Fc"
    );
    let id = "/subscriptions/s1/resourceGroups/rg 1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u1/";
    assert_eq!(
        identity(id).unwrap().relative_url(),
        "/subscriptions/s1/resourceGroups/rg%201/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u1?api-version=2024-11-30"
    );
    for bad in [
        "",
        "subscriptions/s",
        "/subscriptions/s/../x",
        "/subscriptions//x",
        "https://evil/x",
    ] {
        assert!(
            matches!(identity(bad), Err(Refused::Unavailable(_))),
            "{bad}"
        );
    }
}

#[test]
fn key_edits_append_and_remove_and_refuse_what_does_not_fit() {
    let c = KeyCredential {
        key_id: "k2".into(),
        display_name: Some("CN=app".into()),
        custom_key_identifier: None,
        key_type: None,
        usage: None,
        start_date_time: Some(time::macros::datetime!(2026-01-01 0:00 UTC)),
        end_date_time: None,
    };
    let existing = vec![serde_json::json!({"keyId": "k1", "key": "AAAA"})];
    let add = add_key(&app(), &c, Some("TUlJQw==")).unwrap().write;
    let Some(Body::KeyCredentials(edit)) = &add.body else {
        panic!("{add:?}")
    };
    let body = edit.body(existing.clone()).unwrap();
    assert_eq!(body["keyCredentials"][0], existing[0]);
    let new = &body["keyCredentials"][1];
    assert_eq!(new["key"], "TUlJQw==");
    assert_eq!(new["type"], "AsymmetricX509Cert");
    assert_eq!(new["usage"], "Verify");
    assert_eq!(new["startDateTime"], "2026-01-01T00:00:00Z");
    assert!(new.get("customKeyIdentifier").is_none());
    assert_eq!(
        add.body_text(Some(1)).unwrap(),
        "{\"keyCredentials\": [the 1 existing, + {\"keyId\": \"k2\", \"type\": \"AsymmetricX509Cert\", \"usage\": \"Verify\", \"key\": <public certificate, base64 DER>, \"displayName\": \"CN=app\", \"startDateTime\": \"2026-01-01T00:00:00Z\"}]}"
    );
    // Twice is refused; without the certificate nothing can be uploaded.
    let twice = edit.apply(body["keyCredentials"].as_array().unwrap().clone());
    assert!(matches!(
        twice,
        Err(Refused::Rejected(ApplyError::AlreadyExists { .. }))
    ));
    let Some(Body::KeyCredentials(no_key)) = add_key(&app(), &c, None).unwrap().write.body else {
        panic!()
    };
    assert!(matches!(no_key.apply(vec![]), Err(Refused::Unavailable(_))));
    let remove = KeyEdit::Remove {
        key_id: "K1".into(),
    };
    assert_eq!(remove.apply(existing).unwrap(), Vec::<Value>::new());
    assert!(matches!(
        remove.apply(vec![]),
        Err(Refused::Rejected(ApplyError::Missing { .. }))
    ));
}

#[test]
fn changes_on_objects_that_cannot_hold_them_are_refused() {
    let uami = Target::UserAssignedIdentity("/subscriptions/s/x".into());
    let sp = Target::ServicePrincipal("sp".into());
    assert!(remove_password(&uami, "k").is_err());
    assert!(
        add_key(
            &uami,
            &KeyCredential {
                key_id: "k".into(),
                display_name: None,
                custom_key_identifier: None,
                key_type: None,
                usage: None,
                start_date_time: None,
                end_date_time: None,
            },
            None
        )
        .is_err()
    );
    assert!(add_federated_credential(&sp, &fic(Some("s"), None)).is_err());
    assert!(matches!(
        remove_federated_credential(&sp, "n"),
        Err(Refused::Rejected(ApplyError::Missing { .. }))
    ));
    assert!(add_federated_credential(&app(), &fic(None, None)).is_err());
    assert_eq!(federated_credential(&sp, "n").unwrap(), None);
}

#[test]
fn reads_are_marked_and_only_writes_that_are_sure_to_be_unapplied_are_sent_again() {
    let p = remove_password(&app(), "k").unwrap();
    assert!(p.read.is_read() && p.read.read_for.is_some());
    assert!(!p.write.is_read() && p.write.read_for.is_none());
    assert_eq!(p.read.sent_again_after(), [429, 503, 504]);
    assert_eq!(p.write.sent_again_after(), [429]);
}

#[test]
fn json_text_is_spaced_and_escaped() {
    let v = serde_json::json!({"b": [1, "x\"y"], "a": {"c": null}});
    assert_eq!(text(&v), r#"{"a": {"c": null}, "b": [1, "x\"y"]}"#);
}
