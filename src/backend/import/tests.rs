//! Unit tests of `import`.

use super::*;
use crate::domain::ServicePrincipalType;

fn p() -> &'static Path {
    Path::new("apps.json")
}

#[test]
fn accepts_an_array_and_a_page_object() {
    let arr = br#"[{"appId":"a1","displayName":"One"}]"#;
    let page = br#"{"@odata.context":"x","value":[{"appId":"a1","displayName":"One"}],"@odata.nextLink":"y"}"#;
    assert_eq!(parse_applications(arr, p()).unwrap().len(), 1);
    assert_eq!(parse_applications(page, p()).unwrap().len(), 1);
    assert!(parse_applications(b"[]", p()).unwrap().is_empty());
}

#[test]
fn a_page_with_a_next_link_is_told_apart_from_a_whole_list() {
    assert!(has_next_link(
        br#"{"value":[],"@odata.nextLink":"https://graph.microsoft.com/v1.0/applications?$skiptoken=x"}"#
    ));
    assert!(has_next_link(
        br#"{"value":[],"nextLink":"https://management.azure.com/x"}"#
    ));
    assert!(!has_next_link(br#"{"value":[],"@odata.nextLink":null}"#));
    assert!(!has_next_link(br#"{"value":[]}"#));
    assert!(!has_next_link(br#"[{"appId":"a"}]"#));
    // A UTF-8 byte-order mark (PowerShell's `Out-File`) does not hide it.
    assert!(has_next_link(
        b"\xEF\xBB\xBF{\"value\":[],\"nextLink\":\"n\"}"
    ));
}

#[test]
fn objects_without_an_app_id_are_kept() {
    let sps = parse_service_principals(
        br##"[{"@odata.type":"#microsoft.graph.agentIdentity","id":"1b73","appId":null,
              "displayName":"My Agent Identity","servicePrincipalType":"ServiceIdentity"},
             {"id":"2c84","displayName":"no appId at all"}]"##,
        p(),
    )
    .unwrap();
    assert_eq!(sps[0].app_id, "");
    assert_eq!(
        sps[0].odata_type.as_deref(),
        Some("#microsoft.graph.agentIdentity")
    );
    assert_eq!(
        sps[0].service_principal_type,
        ServicePrincipalType::Other("ServiceIdentity".into())
    );
    assert_eq!(sps[1].display_name, "no appId at all");
    let apps = parse_applications(br#"[{"id":"o1","appId":null}]"#, p()).unwrap();
    assert_eq!((apps[0].id.as_str(), apps[0].app_id.as_str()), ("o1", ""));
    assert_eq!(apps[0].display_name, "o1");
}

#[test]
fn other_top_levels_are_malformed_with_a_position() {
    for (bad, what) in [
        (&br#""hello""#[..], "expected a JSON array"),
        (b"42", "expected a JSON array"),
        (b"null", "expected a JSON array"),
        (br#"{"appId":"a1"}"#, "no \"value\""),
        (br#"{"value": 3}"#, "invalid type"),
        (b"", "ends too early"),
        (b"[{}]", "neither an id nor an appId"),
        (b"[] []", "trailing characters"),
    ] {
        let err = parse_applications(bad, p()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("apps.json:"), "{msg}");
        assert!(msg.contains(what), "{msg}");
        assert!(
            matches!(err, ImportError::Malformed { line: 1, .. }),
            "{msg}"
        );
    }
}

#[test]
fn a_saved_error_response_says_what_the_service_said() {
    let body = br#"{"error":{"code":"Authorization_RequestDenied",
        "message":"Insufficient privileges to complete the operation.",
        "innerError":{"request-id":"r"}}}"#;
    let msg = parse_applications(body, p()).unwrap_err().to_string();
    assert!(
        msg.ends_with(
            "this is an error response, not a list: Authorization_RequestDenied \
             Insufficient privileges to complete the operation."
        ),
        "{msg}"
    );
}

#[test]
fn byte_order_marks_are_accepted() {
    let json = r#"[{"appId":"a1","displayName":"Ünï"}]"#;
    let mut utf8 = vec![0xEF, 0xBB, 0xBF];
    utf8.extend_from_slice(json.as_bytes());
    let mut le = vec![0xFF, 0xFE];
    le.extend(json.encode_utf16().flat_map(u16::to_le_bytes));
    let mut be = vec![0xFE, 0xFF];
    be.extend(json.encode_utf16().flat_map(u16::to_be_bytes));
    for bytes in [utf8, le, be] {
        let apps = parse_applications(&bytes, p()).unwrap();
        assert_eq!(apps[0].display_name, "Ünï");
    }
}

#[test]
fn invalid_utf8_is_located() {
    let bad = b"[\n  {\"appId\": \"a\xff\"}]";
    let err = parse_applications(bad, p()).unwrap_err();
    assert!(
        matches!(err, ImportError::Malformed { line: 2, .. }),
        "{err}"
    );
}

#[test]
fn values_in_the_wrong_place_are_not_quoted() {
    let bad = br#"[{"appId":"a1","passwordCredentials":["Xy7~s3cr3t.VALUE\"q"]}]"#;
    let msg = parse_applications(bad, p()).unwrap_err().to_string();
    assert!(!msg.contains("s3cr3t"), "{msg}");
    assert!(msg.contains("string (value not shown)"), "{msg}");
    assert!(msg.contains("passwordCredential object"), "{msg}");
    assert_eq!(
        redact_strings(r#"invalid type: string "a\"b", expected x; string "c""#),
        "invalid type: string (value not shown), expected x; string (value not shown)"
    );
}

#[test]
fn nulls_and_missing_fields_are_tolerated() {
    let json = br#"[{"id":"o1","appId":"a1","displayName":null,"signInAudience":null,
        "passwordCredentials":null,"keyCredentials":null,"federatedIdentityCredentials":null,
        "createdDateTime":null}]"#;
    let app = &parse_applications(json, p()).unwrap()[0];
    assert_eq!(app.display_name, "a1");
    assert!(app.password_credentials.is_empty() && app.key_credentials.is_empty());
    assert_eq!(app.created_date_time, None);

    let json = br#"[{"id":"s1","appId":"a1","displayName":"x","servicePrincipalType":null,
        "alternativeNames":null}]"#;
    let sp = &parse_service_principals(json, p()).unwrap()[0];
    assert_eq!(sp.service_principal_type, ServicePrincipalType::Application);
    assert!(sp.alternative_names.is_empty());
}

#[test]
fn fic_in_arm_shape() {
    let json = br#"[{"id":"/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u1",
        "name":"u1","properties":{"principalId":"p1","clientId":"c1","tenantId":"T1"},
        "federatedIdentityCredentials":[{"id":"/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u1/federatedIdentityCredentials/gh",
          "name":"gh","properties":{"issuer":"https://token.actions.githubusercontent.com",
          "subject":"repo:o/r:ref:refs/heads/main","audiences":["api://AzureADTokenExchange"]}}]}]"#;
    let u = &parse_managed_identities(json, p()).unwrap()[0];
    assert_eq!(u.principal_id, "p1");
    assert_eq!(u.tenant_id.as_deref(), Some("T1"));
    let f = &u.federated_identity_credentials[0];
    assert_eq!(f.id, None);
    assert_eq!(f.name, "gh");
    assert_eq!(f.subject.as_deref(), Some("repo:o/r:ref:refs/heads/main"));
    assert_eq!(f.audiences, ["api://AzureADTokenExchange"]);
}

#[test]
fn flexible_fic_expression_in_both_shapes() {
    for expr in [
        r#""claims['sub'] matches 'repo:o/r:*'""#,
        r#"{"languageVersion":1,"value":"claims['sub'] matches 'repo:o/r:*'"}"#,
    ] {
        let json = format!(
            r#"[{{"appId":"a","federatedIdentityCredentials":[{{"name":"f","issuer":"i",
            "subject":null,"claimsMatchingExpression":{expr}}}]}}]"#
        );
        let app = &parse_applications(json.as_bytes(), p()).unwrap()[0];
        let f = &app.federated_identity_credentials[0];
        assert_eq!(f.matcher(), "claims['sub'] matches 'repo:o/r:*'");
    }
}

#[test]
fn fic_without_issuer_is_malformed() {
    let json = br#"[{"appId":"a","federatedIdentityCredentials":[{"name":"f"}]}]"#;
    let msg = parse_applications(json, p()).unwrap_err().to_string();
    assert!(msg.contains("\"f\" has no issuer"), "{msg}");
}

#[test]
fn identity_of_the_wrong_type_is_malformed() {
    let json = br#"[{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/a",
        "type":"Microsoft.Web/sites","principalId":"p","clientId":"c"}]"#;
    let msg = parse_managed_identities(json, p()).unwrap_err().to_string();
    assert!(msg.contains("not a user-assigned identity"), "{msg}");
    let json = br#"[{"id":"/x","name":"u"}]"#;
    let msg = parse_managed_identities(json, p()).unwrap_err().to_string();
    assert!(msg.contains("has no principalId"), "{msg}");
}

#[test]
fn identity_tags_are_lenient_about_values_not_shape() {
    let ok = br#"[{"id":"/x/u","principalId":"p","clientId":"c",
        "tags":{"a":"1","b":null,"c":2}}]"#;
    let u = &parse_managed_identities(ok, p()).unwrap()[0];
    assert_eq!((u.tags["a"].as_str(), u.tags["b"].as_str()), ("1", ""));
    assert_eq!(u.tags["c"], "2");
    assert_eq!(u.name, "u");
    let bad = br#"[{"id":"/x/u","principalId":"p","clientId":"c","tags":["a"]}]"#;
    let msg = parse_managed_identities(bad, p()).unwrap_err().to_string();
    assert!(msg.contains("tags of user-assigned identity"), "{msg}");
}

#[test]
fn role_assignment_without_scope_is_malformed() {
    let json = br#"[{"id":"/ra","principalId":"p","roleDefinitionId":"/rd"}]"#;
    let msg = parse_role_assignments(json, p()).unwrap_err().to_string();
    assert!(msg.contains("has no scope"), "{msg}");
}
