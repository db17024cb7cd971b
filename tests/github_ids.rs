//! The GitHub client (`backend::github`) against the loopback stand-in: a repository's and
//! its owner's ids, names matched case-insensitively, GitHub's headers, the token sent over
//! https only (never in the clear), a missing or private repository named in the error, and
//! the ids of every repository an immutable-subject plan needs, looked up and used.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::migration::ctx;
use credwise::backend::Error;
use credwise::backend::github::{GitHub, GitHubConfig, GitHubToken};
use credwise::backend::live::RetrySettings;
use credwise::domain::migration::github_immutable::{ImmutableSubjectForm, KnownIds};
use credwise::domain::{Application, Directory, FederatedIdentityCredential, TenantSnapshot};
use credwise_test_kit::github::{GitHubStandIn, Repo};

async fn stand_in() -> GitHubStandIn {
    GitHubStandIn::start(vec![
        Repo {
            owner: "Contoso".into(),
            owner_id: 5544123,
            name: "payments-api".into(),
            id: 821093847,
            private: false,
        },
        Repo {
            owner: "contoso".into(),
            owner_id: 5544123,
            name: "secret-sauce".into(),
            id: 9,
            private: true,
        },
    ])
    .await
}

fn client(url: &str, token: Option<&str>) -> GitHub {
    GitHub::new(
        &GitHubConfig {
            api_url: url.into(),
            token: token.map(|t| GitHubToken::new(t.into())),
        },
        None,
        RetrySettings::default(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_repository_gives_its_ids_and_the_client_sends_githubs_headers() {
    let gh = stand_in().await;
    let c = client(&gh.url(), None);
    let r = c.repository("contoso", "Payments-API").await.unwrap();
    assert_eq!(
        (r.ids.owner_id.as_str(), r.ids.repo_id.as_str()),
        ("5544123", "821093847")
    );
    assert_eq!(r.full_name, "Contoso/payments-api");
    let seen = &gh.requests()[0];
    assert_eq!(seen.path, "/repos/contoso/Payments-API");
    let header = |n: &str| {
        seen.headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("accept"), Some("application/vnd.github+json"));
    assert_eq!(header("x-github-api-version"), Some("2022-11-28"));
    assert!(header("user-agent").is_some());
}

#[tokio::test]
async fn a_missing_or_private_repository_is_named_and_no_token_goes_over_plain_http() {
    let gh = stand_in().await;
    // On loopback http the token is not sent, so the private repository is not found.
    let c = client(&gh.url(), Some("ghp_do_not_send"));
    let e = c.repository("contoso", "secret-sauce").await.unwrap_err();
    assert!(matches!(e, Error::NotFound(_)), "{e:?}");
    assert!(e.to_string().contains("contoso/secret-sauce"), "{e}");
    assert!(
        gh.requests()
            .iter()
            .all(|r| r.headers.iter().all(|(k, _)| k != "authorization"))
    );
    assert!(!format!("{c:?}").contains("ghp_do_not_send"));
    let e = client(&gh.url(), None)
        .repository("contoso", "nope")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("set GITHUB_TOKEN"), "{e}");
}

#[tokio::test]
async fn an_immutable_subject_plan_uses_the_ids_github_gave() {
    let gh = stand_in().await;
    let mut s = TenantSnapshot::empty("t", common::NOW);
    s.applications.push(Application {
        id: "0b000000-0000-4000-8000-000000000001".into(),
        app_id: "0a000000-0000-4000-8000-000000000001".into(),
        display_name: "payments".into(),
        sign_in_audience: None,
        publisher_domain: None,
        created_date_time: None,
        password_credentials: vec![],
        key_credentials: vec![],
        federated_identity_credentials: vec![FederatedIdentityCredential {
            id: None,
            name: "payments-api-main".into(),
            issuer: "https://token.actions.githubusercontent.com".into(),
            subject: Some("repo:contoso/payments-api:ref:refs/heads/main".into()),
            claims_matching_expression: None,
            audiences: vec!["api://AzureADTokenExchange".into()],
            description: None,
        }],
        odata_type: None,
    });
    let dir = Directory::new(s);
    let form = ImmutableSubjectForm {
        identity: "payments".into(),
        ..Default::default()
    };
    let missing = form.missing_ids(&dir, &KnownIds::new()).unwrap();
    let found = client(&gh.url(), None).lookup(&missing).await;
    assert!(found.failed.is_empty(), "{:?}", found.failed);
    assert!(
        found.renamed.is_empty(),
        "only the case differs: {:?}",
        found.renamed
    );
    let plan = form.build_plan(&ctx(&dir), &found.ids).unwrap();
    // The example of entra-docs' immutable-subjects article, made by credwise.
    assert!(
        plan.to_text()
            .contains("repo:contoso@5544123/payments-api@821093847:ref:refs/heads/main"),
        "{}",
        plan.to_text()
    );
}

#[tokio::test]
async fn over_https_the_token_is_sent_and_reads_a_private_repository() {
    let gh = stand_in().await;
    let c = GitHub::new(
        &GitHubConfig {
            api_url: "https://api.github.com".into(),
            token: Some(GitHubToken::new("ghp_test_token".into())),
        },
        Some(common::loopback::transport(&gh.url())),
        RetrySettings::default(),
    )
    .unwrap();
    let r = c.repository("contoso", "secret-sauce").await.unwrap();
    assert_eq!(r.ids.repo_id, "9");
    let seen = &gh.requests()[0];
    assert!(
        seen.headers
            .iter()
            .any(|(k, v)| k == "authorization" && v == "Bearer ghp_test_token")
    );
}
