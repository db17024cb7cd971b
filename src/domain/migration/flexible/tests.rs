//! Unit tests of `flexible`.

use super::*;

#[test]
fn the_documented_examples_parse_and_render_back() {
    for text in [
        "claims['sub'] matches 'repo:contoso/contoso-repo:ref:refs/heads/*'",
        "claims['sub'] matches 'repo:contoso/contoso-repo-*:ref:refs/heads/????'",
        "claims['sub'] eq 'repo:contoso/contoso-repo:ref:refs/heads/main'",
        "claims['sub'] eq 'repo:contoso/contoso-repo:ref:refs/heads/main' and claims['job_workflow_ref'] matches 'foo-org/bar-repo/.github/workflows/*@refs/heads/main'",
    ] {
        let e = validate(GITHUB_ISSUER, text).unwrap();
        assert_eq!(e.render(), text);
    }
}

#[test]
fn grammar_errors_say_what_is_wrong() {
    for (text, want) in [
        ("", "required"),
        (" claims['sub'] eq 'x'", "whitespace"),
        ("claim['sub'] eq 'x'", "expected claims['<claim>']"),
        ("claims['sub']  eq 'x'", "expected the operator"),
        ("claims['sub'] contains 'x'", "expected the operator"),
        ("claims['sub'] eq x", "single quotes"),
        ("claims['sub'] eq 'x", "closing quote"),
        ("claims['sub'] eq ''", "empty"),
        ("claims['sub'] eq 'a*'", "use matches"),
        ("claims['sub'] eq 'a' or claims['sub'] eq 'b'", "\" and \""),
        ("claims['s-b'] eq 'a'", "not a claim name"),
    ] {
        let e = parse(text).unwrap_err();
        assert!(e.contains(want), "{text:?}: {e}");
    }
}

#[test]
fn issuers_and_claims_are_checked() {
    let gitlab = "claims['sub'] matches 'project_path:group/project:ref_type:branch:ref:*'";
    assert!(validate("https://gitlab.com", gitlab).is_ok());
    assert!(validate("https://gitlab.example.ca", gitlab).is_ok());
    assert!(
        validate(
            "https://app.eu.terraform.io",
            "claims['sub'] matches 'organization:o:*'"
        )
        .is_ok()
    );
    let e = validate(
        "https://gitlab.com",
        "claims['job_workflow_ref'] eq 'x' and claims['sub'] eq 'y'",
    )
    .unwrap_err();
    assert!(e.contains("cannot be matched"), "{e}");
    let e = validate(
        "https://oidc.prod-aks.azure.com/x/",
        "claims['sub'] matches 'system:serviceaccount:ns:*'",
    )
    .unwrap_err();
    assert!(e.contains("has no flexible federated credentials"), "{e}");
    let e = validate(GITHUB_ISSUER, "claims['job_workflow_ref'] matches 'o/r/*'").unwrap_err();
    assert!(e.contains("needs a claims['sub'] clause"), "{e}");
}

fn classic(name: &str, subject: &str) -> FederatedIdentityCredential {
    FederatedIdentityCredential {
        id: None,
        name: name.into(),
        issuer: GITHUB_ISSUER.into(),
        subject: Some(subject.into()),
        claims_matching_expression: None,
        audiences: vec!["api://AzureADTokenExchange".into()],
        description: None,
    }
}

#[test]
fn classic_fics_of_one_repository_and_kind_are_merged_by_their_common_prefix() {
    let fics = [
        classic("r1", "repo:o/r:ref:refs/heads/release/1.0"),
        classic("r2", "repo:o/r:ref:refs/heads/release/2.0"),
        classic("env", "repo:o/r:environment:prod"),
        classic("other", "repo:o/other:ref:refs/heads/main"),
        classic("tag1", "repo:o/r:ref:refs/tags/v1"),
    ];
    let c = merge_candidates(&fics);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].fics.len(), 2);
    assert_eq!(
        c[0].replacement.claims_matching_expression.as_deref(),
        Some("claims['sub'] matches 'repo:o/r:ref:refs/heads/release/*'")
    );
    assert_eq!(c[0].replacement.name, "github-o-r-branches");
    validate(GITHUB_ISSUER, c[0].replacement.matcher()).unwrap();
}
