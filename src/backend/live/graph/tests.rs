//! Unit tests of `graph`.

use super::*;
use crate::backend::live::error::from_response;
use crate::backend::live::retry::headers;

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_beta_list_of_fics_reads_classic_and_flexible_ones() {
    let page = page::decode::<WireAppFics, AppFics>(
        &fixture("graph-beta-application-list-flexible-fic-composed.json"),
        "value",
    )
    .unwrap();
    assert!(page.broken.is_none() && page.rejected.is_empty());
    let [app, none] = &page.items[..] else {
        panic!("{}", page.items.len())
    };
    assert!(none.fics.is_empty() && none.rejected.is_empty());
    let classic = &app.fics[0];
    assert_eq!(
        classic.subject.as_deref(),
        Some("a7d388c3-5e3f-4959-ac7d-786b3383006a")
    );
    assert!(classic.claims_matching_expression.is_none());
    let flexible = &app.fics[1];
    assert_eq!(flexible.name, "FlexFic1");
    assert!(flexible.subject.is_none());
    assert_eq!(
        flexible.claims_matching_expression.as_deref(),
        Some("claims['sub'] matches 'repo:contoso/contoso-org:ref:refs/heads/*'")
    );
}

#[test]
fn one_fic_that_does_not_fit_costs_only_itself() {
    let body = br#"{"value":[{"id":"app-1","federatedIdentityCredentials":[
        {"id":"f1","name":"good","issuer":"https://i","subject":"s","audiences":["a"]},
        {"id":"f2","name":"no-issuer","subject":"s","audiences":["a"]}]}]}"#;
    let page = page::decode::<WireAppFics, AppFics>(body, "value").unwrap();
    let app = &page.items[0];
    assert_eq!(app.fics.len(), 1);
    assert_eq!(app.rejected.len(), 1);
    assert_eq!(
        app.rejected[0].object,
        "federated credential f2 (\"no-issuer\") of application app-1"
    );
    assert!(
        app.rejected[0].why.contains("has no issuer"),
        "{:?}",
        app.rejected
    );
}

#[test]
fn the_observed_v1_answers_are_in_stream_errors_naming_the_fic() {
    for (name, id, fic) in [
        (
            "graph-v1-fic-list-flexible-instream-error.txt",
            "UUID",
            "FlexFic1",
        ),
        (
            "graph-v1-fic-list-flexible-instream-error-2.txt",
            "<credential id>",
            "debug_v2",
        ),
    ] {
        let body = fixture(name);
        let page = page::decode::<WireFic, FederatedIdentityCredential>(&body, "value").unwrap();
        assert!(page.items.is_empty() && page.next_link.is_none(), "{name}");
        let e = page.broken.unwrap();
        assert_eq!(e.code, "InternalServerError");
        assert!(e.message.contains("subject[Nullable=False]"), "{name}");
        assert_eq!(e.object_id.as_deref(), Some(id));
        assert_eq!(e.object_name.as_deref(), Some(fic));
    }
}

#[test]
fn expired_page_tokens_are_recognised_in_every_reported_form() {
    let graph = |status: u16, code: &str, message: &str| {
        let body = serde_json::json!({"error": {"code": code, "message": message}}).to_string();
        from_response(
            "Graph",
            Need::GraphRead,
            "GET /v1.0/x",
            status,
            &headers(&[]),
            body.as_bytes(),
        )
    };
    // The directory's code; the exception the paging docs name; the reporting API's body
    // with an empty code (msgraph-sdk-powershell#451).
    for e in [
        graph(400, "Directory_ExpiredPageToken", "whatever"),
        graph(
            400,
            "DirectoryPageTokenNotFoundException",
            "The directory page token was not found.",
        ),
        graph(
            400,
            "",
            "Token not found: token is either invalid or expired",
        ),
        graph(
            404,
            "",
            "Token not found: token is either invalid or expired",
        ),
    ] {
        assert!(expired_page_token(&e), "{e:?}");
    }
    for e in [
        graph(400, "Request_BadRequest", "Invalid filter clause"),
        graph(
            401,
            "InvalidAuthenticationToken",
            "Lifetime validation failed, the token is expired.",
        ),
        Error::Throttled {
            retry_after_secs: 1,
        },
    ] {
        assert!(!expired_page_token(&e), "{e:?}");
    }
}

#[test]
fn requests_have_the_published_shapes() {
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let published =
        |name: &str| serde_json::from_slice::<serde_json::Value>(&fixture(name)).unwrap();
    // `$batch`: each request an id, a method and a relative url.
    let batch = published("graph-batch-request.json");
    let item = &batch["requests"][0];
    for k in ["id", "method", "url"] {
        assert!(item.get(k).is_some(), "{k}");
    }
    assert!(item["url"].as_str().unwrap().starts_with('/'));
    // removePassword: `{"keyId": …}`, as the catalogue's `remove_password` sends it.
    use crate::domain::calls;
    use crate::domain::change::Target;
    let app = Target::Application("a".into());
    let sent = calls::remove_password(&app, "k").unwrap().write;
    assert_eq!(
        keys(&published("graph-removepassword-request.json")),
        keys(&sent.body.unwrap().json().unwrap())
    );
    // A flexible FIC as GitLab's docs create it through beta: what the catalogue sends,
    // through beta, the expression in the same shape.
    let flexible = published("graph-beta-fic-flexible-create-request.json");
    let parsed: Checked<FederatedIdentityCredential, WireFic> =
        serde_json::from_value(flexible.clone()).unwrap();
    assert!(parsed.0.subject.is_none());
    let add = calls::add_federated_credential(&app, &parsed.0).unwrap();
    assert_eq!(add.api, calls::Api::GraphBeta);
    let body = add.body.unwrap().json().unwrap();
    assert_eq!(
        body["claimsMatchingExpression"],
        flexible["claimsMatchingExpression"]
    );
    assert!(body.get("subject").is_none());
}
