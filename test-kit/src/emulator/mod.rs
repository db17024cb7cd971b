//! An in-process Microsoft Graph + Azure Resource Manager emulator over real loopback HTTP,
//! serving a `TenantSnapshot` with Graph's and ARM's semantics (paging with opaque tokens,
//! `$select`/`$expand`/`$count`/`$filter` rules, `$batch`, throttling, error shapes) plus fault
//! injection. Integration tests and benches use it as `credwise_test_kit::emulator`, and the
//! kit's `examples/emulator.rs` serves it to a real `credwise`. It depends on the `credwise`
//! library and its own crates only (not on `tests/common`).
//!
//! Layout: `wire` (request/response values, encodings, error bodies), `state` (the tenant and
//! its indexes), `graph` + `graph_json` + `batch` (Graph v1.0/beta), `arm` (ARM and Resource
//! Graph), `throttle` (token buckets), `faults` (the fault queue). This file holds the public
//! API and the HTTP pipeline every request goes through: log → bearer check → per-identity FIC
//! write flag → latency → faults → throttling → route → common headers.
//!
//! ## What it models, and the public source of each behaviour
//!
//! The emulator is only worth what it copies from the real services. Sources: the Graph API
//! reference in microsoftgraph/microsoft-graph-docs-contrib (`api-reference/…`,
//! `concepts/…`), the ARM specifications (Azure/azure-rest-api-specs), the Azure CLI's source
//! (Azure/azure-cli), and public threads where users report what the service did. Where a
//! document and an observed behaviour disagree, the observed one is modelled. Behaviours the
//! client relies on that no public source confirms say **unconfirmed**. Source keys (A-msi,
//! A-authz, A-subs, A-arg, D-armthr, D-argthr, E-cons, E-uami) are those of the project's
//! Graph/ARM reference (`graph-arm-api.md` §0); other sources are named in full.
//!
//! | behaviour | source |
//! | --- | --- |
//! | Graph: list pages of 100 by default, `$top` 1–999, a `$top` outside that is 400 | v1.0/api/application-list.md, serviceprincipal-list.md ("default and maximum page sizes are 100 and 999") |
//! | Graph: `@odata.nextLink` is absolute, keeps the query, carries an opaque `$skiptoken`; a token edited or of another list is 400 | concepts/paging.md ("include the entire URL… do not extract the $skiptoken"); the 400 is unconfirmed |
//! | Graph: a page may be empty and still have a next link (`Options::empty_pages`) | concepts/paging.md |
//! | Graph: `$count=true` only with `ConsistencyLevel: eventual`, `@odata.count` on the first page only, the header not carried to later pages | concepts/aad-advanced-queries.md, concepts/paging.md |
//! | Graph: `/applications/$count` and `/servicePrincipals/$count` answer plain text | v1.0/api/application-list.md (Example 2) |
//! | Graph: `$expand` with advanced query parameters is 400 | concepts/aad-advanced-queries.md |
//! | Graph: `$expand=federatedIdentityCredentials` on applications only, at most 20 related objects inline | v1.0/resources/application.md (relationship supports `$expand`), Graph known issues (20 objects per `$expand`) |
//! | Graph: a list with `$expand` has pages of at most 100, whatever `$top` says | microsoftgraph/microsoft-graph-docs#21506 ("Max page size with $expand is 100. Confirmed with Dev from code.") and #21516; techcommunity threads 3885391 and 4203190 (exactly 100 per page at `$top=999`) |
//! | Graph: `$select` returns the selected properties and `id`; an unknown property is 400 | concepts/query-parameters.md; the error's wording is unconfirmed |
//! | Graph: `keyCredentials[].key` only on a single object read that `$select`s it, `null` on lists | v1.0/resources/keycredential.md, v1.0/api/application-list.md |
//! | Graph: `servicePrincipals?$filter=servicePrincipalType eq '…'` | the reference's §1.3 (Microsoft's managed-identity articles and `az ad sp list --filter`) |
//! | Graph: FIC lists take `$filter` (eq) on `name` and `subject` | v1.0/api/application-list-federatedidentitycredentials.md |
//! | Graph: objects by id and by the alternate key `(appId='…')` | v1.0/api/application-post-federatedidentitycredentials.md, federatedidentitycredential-upsert.md |
//! | Graph: a FIC is addressed by its id or its name (`GET`, `DELETE …/federatedIdentityCredentials/{name}`; credwise's catalogue reads and deletes by name) | v1.0 and beta api/federatedidentitycredential-get.md, federatedidentitycredential-delete.md ("You can address the federated identity credential with either its id or name") |
//! | Graph: FIC properties in the order id, name, issuer, subject, description, audiences (beta: then `claimsMatchingExpression`) | the published FIC examples (application-list-federatedidentitycredentials.md, application-post-federatedidentitycredentials.md), beta/resources/federatedidentitycredential.md |
//! | Graph: v1.0 cannot serialise a flexible FIC: the list answers 200 with the JSON cut off right after the FIC's `issuer` and `{"error":{"code":"InternalServerError","message":"The property 'subject[Nullable=False]' of type 'Edm.String' has a null value, which is not allowed.",…}}` appended | observed: Azure/azure-workload-identity#373 (comment of 2024-12-06), microsoftgraph/msgraph-sdk-python#1359 (open, "Service issue"); Azure/azure-cli#32816 (`list` fails) |
//! | Graph: the same breakage on the app list with `$expand`, the single FIC, the single app with `$expand` and a `$batch` item (the batch response is cut where the item breaks) | modelled on the list: unconfirmed |
//! | Graph: beta writes `claimsMatchingExpression` `{"value","languageVersion":1}` and `subject: null`; flexible FICs are created only through beta | beta/resources/federatedidentitycredential.md, entra-docs workload-identities-flexible-federated-identity-credentials.md |
//! | Graph: FIC create 201, upsert `PATCH …(name='…')` with `Prefer: create-if-missing` 201/204, update 204, delete 204 | v1.0/api/application-post-federatedidentitycredentials.md, federatedidentitycredential-upsert.md, federatedidentitycredential-update.md; Azure CLI role module (delete) |
//! | Graph: FIC rules — name 3–120 `[A-Za-z0-9][A-Za-z0-9_-]*`, 600 characters, exactly one audience, (issuer, subject) unique, at most 20 per app | v1.0/resources/federatedidentitycredential.md, entra-docs workload-identity-federation-considerations.md; the error wordings are unconfirmed |
//! | Graph: `addPassword` returns `secretText` once, `hint` its first three characters, default lifetime two years; `removePassword` 204 | v1.0/api/application-addpassword.md, v1.0/resources/passwordcredential.md, v1.0/api/application-removepassword.md |
//! | Graph: `PATCH keyCredentials` replaces the collection; `customKeyIdentifier` defaults to the thumbprint | concepts/applications-how-to-add-certificate.md; Azure CLI role module (`_reset_credential`) |
//! | Graph: a new certificate's `endDateTime` after its notAfter is 400 `KeyCredentialsInvalidEndDate` "Key credential end date is invalid." (its exact validity is accepted) | observed: microsoft/b2c-to-meeid-migration-tool#10 and #18; Azure/azure-cli#11146; the Azure CLI keeps both dates one second inside (`_validate_app_dates`) |
//! | Graph: `addKey`/`removeKey` without an existing valid certificate fail (proof of possession) | v1.0/api/application-addkey.md |
//! | Graph: managed identities' principals cannot be modified | v1.0/resources/serviceprincipal.md |
//! | Graph: `$batch` — at most 20 requests, unique ids, relative URLs, `Content-Type` with a body, `dependsOn` and 424, each item through the same pipeline, responses in any order | concepts/json-batching.md |
//! | Graph: ResourceUnit token bucket (S tier 3,500 per 10 s; list of applications 2 RU, `$select` −1, `$expand` +1), a write quota, 429 with a decimal `Retry-After`, `x-ms-throttle-limit-percentage` above 80 % | concepts/throttling.md, concepts/throttling-limits.md |
//! | Graph: application lists that `$select` `keyCredentials` are capped at 150 requests per minute per tenant | v1.0/api/application-list.md ("a throttling limit of 150 requests per minute for every tenant") |
//! | Graph: error bodies `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}` in that order, ids echoed in the headers | concepts/errors.md; the order as observed in #373 |
//! | Graph: a `$skiptoken` that expired is 400 `Directory_ExpiredPageToken` "Token not found: token is either invalid or expired" (`Options::skip_token_lifetime`, `Emulator::expire_next_skip_tokens`) | the status: Microsoft support's "Directory_ExpiredPageToken error when working with users API"; the code: learn.microsoft.com/answers/questions/2337800, microsoftgraph/msgraph-sdk-java#368; the message: microsoftgraph/msgraph-sdk-powershell#451; concepts/paging.md names `DirectoryPageTokenNotFoundException` |
//! | Graph: agent identities — `@odata.type` `#microsoft.graph.agentIdentity`, `servicePrincipalType` `ServiceIdentity`, no `appId` (written `null`); blueprints `#microsoft.graph.agentIdentityBlueprint(Principal)` | v1.0/resources/agentidentity.md, v1.0/api/agentidentity-list.md, agentidentity-post.md, beta/resources/agentidentityblueprint.md |
//! | Graph: `/organization` lists the tenant | v1.0/api/organization-list.md |
//! | Graph: responses carry `request-id`, `client-request-id` and `x-ms-resource-unit` | concepts/errors.md, concepts/throttling.md |
//! | ARM: every request needs `api-version`, else 400 `MissingApiVersionParameter` ("The api-version query parameter (?api-version=) is required for all requests.") | ARM's answer as quoted in public code and troubleshooting notes on GitHub (the code and message); the parameter is `required` in every ARM spec (`ApiVersionParameter`) |
//! | ARM: error bodies `{"error":{"code","message"}}` (`target`, `details`, `additionalInfo` optional) | common-types `ErrorResponse`; `CloudError` in A-msi |
//! | ARM: a request for a subscription of another tenant answers 401 `InvalidAuthenticationTokenTenant`; an unknown subscription 404 `SubscriptionNotFound` | ARM "Troubleshoot common Azure deployment errors" (MicrosoftDocs/azure-docs `articles/azure-resource-manager/troubleshooting/common-deployment-errors.md`); the message text is **unconfirmed** |
//! | ARM throttling: token buckets per subscription (and tenant) and kind — reads 250 (+25/s), writes 200 (+10/s), deletes 200 (+10/s); over them 429 `SubscriptionRequestsThrottled`/`TenantRequestsThrottled` with a whole-second `Retry-After`; every answer carries `x-ms-ratelimit-remaining-{subscription,tenant}-{reads,writes,deletes}` | D-armthr |
//! | ARM: each subscription's buckets are its own (a 429 from one says nothing of another's); a read is counted when it arrives, so an answer's `x-ms-ratelimit-remaining-subscription-reads` counts the requests that arrived before it, not those still on their way | D-armthr ("limits apply per subscription, per service principal, per operation type", the headers); the moment a request is counted is **unconfirmed** |
//! | Resource Graph: a query covers only the subscriptions its request names (rows a test hands in too, by their `subscriptionId`) | A-arg (`QueryRequest.subscriptions`: "Azure subscriptions against which to execute the query") |
//! | UAMI FICs are read one identity at a time (`GET …/userAssignedIdentities/{name}/federatedIdentityCredentials`, pages by `nextLink`); Resource Graph serves no FIC rows | A-msi (`FederatedIdentityCredentials_List`, the only collection operation over them, under one identity); the SDKs' `FederatedIdentityCredentialsOperations.list` (`@azure/arm-msi`) and `Get-AzFederatedIdentityCredential` take one identity; that no Resource Graph table holds them is **unconfirmed** (no public source lists the type among its tables) |
//! | ARM lists page by `nextLink` holding an opaque `$skiptoken`; a bad token is a 400 | `x-ms-pageable` and the list examples (their `nextLink`s carry `$skiptoken`) in A-msi, A-subs, A-authz; the error code `InvalidSkipToken` is **unconfirmed** |
//! | Subscriptions: the token sees those of every tenant it may (one foreign one is served), each with `tenantId`, `managedByTenants`, `subscriptionPolicies` | A-subs (`GetSubscriptions.json`); Azure Lighthouse `managedByTenants` |
//! | UAMI: list per subscription or resource group, get, create (201 with Azure-chosen `principalId`/`clientId`; 200 and tags replaced when it exists; `location` required; another location for an existing name is refused), PATCH tags, delete (200, or 204 when it does not exist); `isolationScope` from 2024-11-30 on | A-msi (`IdentityCreate.json`, `IdentityDelete.json`, `UserAssignedIdentityProperties`); the error codes `LocationRequired`, `InvalidResourceLocation` are **unconfirmed** |
//! | UAMI names: 3–128 letters, digits, `-`, `_`, starting with a letter or digit | ARM "Naming rules and restrictions for Azure resources" (MicrosoftDocs/azure-docs `articles/azure-resource-manager/management/resource-name-rules.md`, Microsoft.ManagedIdentity); the 400 `InvalidResourceName` message is **unconfirmed** |
//! | Creating a UAMI creates its service principal (type `ManagedIdentity`, `appId` = `clientId`, `alternativeNames` `isExplicit=True` and the ARM id); deleting it deletes the service principal and leaves its role assignments behind | managed identities overview (a user-assigned identity is a standalone Azure resource for which Azure creates a service principal in Microsoft Entra ID, whose lifecycle is managed separately from the resources that use it); `alternativeNames` (`isExplicit=True` and the ARM id) as read by public inventory and cleanup code; orphaned assignments ("Identity not found") in the Azure RBAC troubleshooting page |
//! | UAMI FICs: name `^[a-zA-Z0-9]{1}[a-zA-Z0-9-_]{2,119}$`; exactly one audience; issuer required; issuer and subject unique per identity; at most 20; a missing identity is 404 "The parent user-assigned identity doesn't exist."; concurrent writes to one identity 409; create 201, replace 200, delete 200 or 204 | A-msi (pattern, responses); E-cons (limits and the documented messages, the 409 on concurrent writes) |
//! | UAMI FIC schemas by api-version: 2023-01-31 and 2024-11-30 require `subject` and know no `claimsMatchingExpression`; 2025-01-31-preview has both, `subject` optional, "Either 'subject' or 'claimsMatchingExpression' must be defined, but not both", the expression `{languageVersion, value}` with both required; classic and flexible FICs live under the same `federatedIdentityCredentials` path | A-msi `stable/2024-11-30/ManagedIdentity.json` and `preview/2025-01-31-preview/ManagedIdentity.json` (`FederatedIdentityCredentialProperties`, `ClaimsMatchingExpression`), the preview's `FederatedIdentityCredentialList.json` / `FlexibleFederatedIdentityCredentialGet.json` examples (ids under `federatedIdentityCredentials`); `az identity federated-credential` list/show/create/delete at 2025-01-31-preview on that path (Azure/azure-cli#31436, aaz `_list.py` … `_delete.py`) |
//! | A flexible UAMI FIC read at a stable version comes back with neither `subject` nor `claimsMatchingExpression`; a stable `PUT` with only an expression is a 400 (subject required) | **unconfirmed**: not documented. Best-sourced guess: ARM projects a resource onto the version's schema (per-version `identity` shapes in Azure/azure-sdk-for-net#27044) |
//! | The TypeSpec's separate `flexibleFederatedIdentityCredentials` path is not served | **unconfirmed** whether it is live; `az` never calls it and the examples' ids do not use it |
//! | System-assigned identity of a resource: `GET {scope}/providers/Microsoft.ManagedIdentity/identities/default` | A-msi (`SystemAssignedIdentityGet.json`) |
//! | Role assignments: list at any scope with no filter, `atScope()` (at or above) or `principalId eq '{id}'` (at, above or below); another filter is a 400 | A-authz (`RoleAssignmentFilterParameter`); the 400 code `UnsupportedQuery` is **unconfirmed** |
//! | Role assignments: names are GUIDs (`InvalidRoleAssignmentId` otherwise); `PUT` 201; one assignment per principal, role and scope whatever its condition: another name answers 409 `RoleAssignmentExists` naming the existing one by its GUID without dashes; the same name again edits `condition`, `conditionVersion`, `description` (200), and any other change is `RoleAssignmentUpdateNotPermitted`; a principal the directory does not know is 400 `PrincipalNotFound` unless the request gives its `principalType`; delete 200 with the assignment, or 204 | A-authz (name "any valid GUID", responses, `RoleAssignments_Delete.json`); Azure RBAC conditions FAQ ("with and without a condition … same tuple … No"); Azure RBAC conditions REST docs (only condition, version and description are editable); Azure RBAC troubleshooting page (MicrosoftDocs/azure-docs `articles/role-based-access-control/troubleshooting.md`: the `PrincipalNotFound` message and `principalType` as its workaround, `RoleAssignmentUpdateNotPermitted` for a reused name — shown there inside a deployment's BadRequest, so its 409 status here is **unconfirmed**); the dash-less id as quoted from real `RoleAssignmentExists` answers in public CI logs |
//! | Role assignments keep `condition`, `conditionVersion`, `description`, `delegatedManagedIdentityResourceId`, and show `createdOn`, `updatedOn`, `createdBy`, `updatedBy` (null when unset) at 2022-04-01 | A-authz `RoleAssignmentProperties`; a real 2022-04-01 answer in Azure CLI's recording `role/tests/latest/recordings/test_role_assignment_create_update.yaml` (fixture `arm-role-assignment-create-condition-2022-04-01.json`) |
//! | Conditions: a condition without a version gets 2.0; any other version is 400 "The given role assignment condition is invalid."; more than 8 KB of condition or 2 KB of description is a 400; an empty condition is none | Azure RBAC conditions REST docs (default 2.0; "set both to empty or null" to delete); Azure RBAC conditions troubleshooting and MicrosoftDocs/azure-docs#119449 (version 1.0 → that message); conditions FAQ (8 KB, 2 KB). The error *codes* (`InvalidRoleAssignmentCondition`, `InvalidRoleAssignmentDescription`) and the length messages are **unconfirmed** |
//! | Role assignment properties by api-version: `condition`/`conditionVersion` from 2020-03-01-preview, `description` from 2020-04-01-preview, `delegatedManagedIdentityResourceId` from 2019-04-01-preview; older versions show none of them, and a `PUT` there with a condition stores the assignment without it | Azure RBAC conditions REST docs and prerequisites (versions); Azure Lighthouse "Deploy a policy that can be remediated" (2019-04-01-preview); what ARM does with a condition sent at an older version is **unconfirmed** (modelled as ignored, the dangerous case, which credwise's read-back of the `PUT` answer guards against) |
//! | Role definitions: `GET …/roleDefinitions/{guid}` gives `properties.roleName`; an unknown one is 404 `RoleDefinitionDoesNotExist` | A-authz (`GetRoleDefinitionById.json`); the 404 code as seen in public scripts is **unconfirmed** by a Microsoft source |
//! | Resource Graph: `POST /providers/Microsoft.ResourceGraph/resources` with `subscriptions`, `query`, `options.$top` (1–1000), `$skip`, `$skipToken`, `resultFormat: objectArray`; answers `totalRecords`, `count`, `resultTruncated`, `facets`, `$skipToken`, `data`; `type` lower-cased; the next page repeats the query with the token | A-arg (`ResourcesFirstPageQuery.json`, `ResourcesNextPageQuery.json`) |
//! | Resource Graph quota: 15 queries per 5 s per user; `x-ms-user-quota-remaining` and `x-ms-user-quota-resets-after` (`hh:mm:ss`) on every answer; 429 over it | D-argthr |
//! | Resource Graph rows are dynamic: rows handed in by a test (`Emulator::add_resource_graph_row`) are served as they are, so an `identity` may be a string, an array or null; `userAssignedIdentities` values may be `null` or `{}`; identity types come lower-cased or without the space, or as `NotSpecified` | Kusto `dynamic` columns (Resource Graph docs); `userAssignedIdentities` values `{}`/null (pulumi/pulumi-azure-native#350, Azure/acr#442); empty `principalId` with `type: None` (Azure/azure-sdk-for-net#31693); `NotSpecified` (Azure/azure-powershell#21876). An `identity` that is a string or an array is **unconfirmed** |
//! | Sign-ins: beta `/reports/appCredentialSignInActivities` lists each secret and certificate with its last sign-in (`keyId`, `keyType` `clientSecret`/`certificate`, `keyUsage`, `appId`, `appObjectId`, `servicePrincipalObjectId`, `resourceId`, `credentialOrigin` `application`/`servicePrincipal`, `expirationDateTime`, `signInActivity {lastSignInDateTime, lastSignInRequestId}`); `$top`, `$filter=keyId eq '…'` or `appId eq '…'`; beta only | beta/api/reportroot-list-appcredentialsigninactivities.md, beta/resources/appcredentialsigninactivity.md; fixture `graph-beta-appcredentialsigninactivities-list-response.json`. Which credentials it lists (here: those with a sign-in) and its page size (here 100) are **unconfirmed** |
//! | Sign-ins: beta `/reports/servicePrincipalSignInActivities` lists each service principal with `delegatedClient…`, `delegatedResource…`, `applicationAuthenticationClient…`, `applicationAuthenticationResource…` and `lastSignInActivity`; `$top`, `$filter=appId eq '…'`; service principal sign-ins show as app-only client sign-ins | beta/api/reportroot-list-serviceprincipalsigninactivities.md, beta/resources/serviceprincipalsigninactivity.md; fixture `graph-beta-serviceprincipalsigninactivities-list-response.json`; which principals it lists and its page size are **unconfirmed** |
//! | Sign-ins: `/auditLogs/signIns` newest first, pages of at most 1,000 (`$top`), `$skiptoken` links; `$filter` on `createdDateTime ge/le` and, in beta, `signInEventTypes/any(t: t eq 'servicePrincipal')`; without an event type it lists interactive user sign-ins only (none here) | beta/api/signin-list.md ("maximum and default page size is 1,000", "descending order based on createdDateTime", "the user sign-ins"); entra-docs howto-analyze-activity-logs-with-microsoft-graph (the service principal filter, beta); the 400 for another filter (and for the event type in v1.0) is **unconfirmed** |
//! | Sign-ins: each entry carries `servicePrincipalId`, `servicePrincipalCredentialKeyId`, `servicePrincipalCredentialThumbprint`, `federatedCredentialId`, `clientCredentialType`, `signInEventTypes`, `status.errorCode` (0 for success; an expired secret 7000222) | beta/resources/signin.md; the error code from the Entra error code reference (AADSTS7000222); a managed identity's FIC named by its name in `federatedCredentialId` (ARM FICs have no GUID) is **unconfirmed** |
//! | Sign-ins: a tenant without Entra ID P1/P2 gets 403 `Authentication_RequestFromNonPremiumTenantOrB2CTenant` "Neither tenant is B2C or tenant doesn't have premium license" (`Access::NoLicence`) | entra-docs howto-analyze-activity-logs-with-microsoft-graph ("Common errors"), concept-usage-insights-report (P1 or P2 for the reports); observed: microsoftgraph/microsoft-graph-docs-contrib#3033 and #3808, turbot/steampipe-plugin-azuread#98, MicrosoftDocs/azure-docs#77948 |
//! | Sign-ins: without AuditLog.Read.All (Directory.Read.All alone included) 403 `Authentication_MSGraphPermissionMissing` "Calling principal does not have required MSGraph permissions AuditLog.Read.All" (`Access::NoPermission`); a delegated user without a reports role 403 `Authentication_RequestFromUnsupportedUserRole` (`Access::NoRole`) | observed: microsoftgraph/microsoft-graph-docs-contrib#8997 (on servicePrincipalSignInActivities, where the page lists Directory.Read.All: the observation wins), #3196, microsoft-graph-explorer-v4#2731; the role's code: AzureAD/MSIdentityTools `Get-MsIdAzureUsers.ps1`, its message from entra-docs ("User isn't in the allowed roles"; the exact wording is **unconfirmed**) |
//! | Sign-ins: the reports and the log share one limit of five requests per 10 s per app and tenant, counted whatever the answer; over it 429 `TooManyRequests` with a decimal `Retry-After` | concepts/throttling-limits.md with includes/throttling-entra-logs-reports.md ("Five requests per 10 seconds", naming `signIn` and `auditLogRoot`; the two sign-in activity reports under the same limit is **unconfirmed**); counting while throttled: concepts/throttling.md |
//! | fault `Close`: the connection closes after the request and before any answer (no status line), on ARM as on Graph | users of `az` report `('Connection aborted.', RemoteDisconnected('Remote end closed connection without response'))` from `management.azure.com`: Azure/azure-cli#28305 (`GET /tenants`), #21375 (after sign-in), #22054 (`az postgres server update`) |
//!
//! Unconfirmed (Graph) — modelled, but no public source confirms it; the client must not rely
//! on more than the rule:
//! - v1.0 breaking off at a flexible FIC on a single FIC read, a single app with `$expand` and
//!   a `$batch` item (reported for lists only);
//! - that `Directory_ExpiredPageToken` comes with the "Token not found" message, and how long a
//!   page token lives (minutes, by a Microsoft support wiki; the emulator's tokens live for
//!   ever unless told otherwise);
//! - `KeyCredentialsInvalidStartDate` for a start before notBefore (only the end date's error
//!   is reported; the Azure CLI keeps both inside);
//! - an agent identity's `appId` written as `null` in lists (the documented examples omit it);
//! - the `@odata.context` of a list with `$select` and `$expand`;
//! - the wording of 400s for bad query options and FIC validation, and of 401s;
//! - `servicePrincipalType eq` as a filter that needs no advanced query.
#![allow(dead_code)]

mod arm;
mod batch;
pub mod cost;
mod delta;
mod faults;
mod filter;
mod graph;
mod graph_json;
mod state;
mod throttle;
mod usage;
mod wire;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State as AxumState};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use credwise::domain::TenantSnapshot;

// Not every user of the module needs every name.
#[allow(unused_imports)]
pub use cost::CostModel;
#[allow(unused_imports)]
pub use faults::{Fault, FaultAction, Matcher};
#[allow(unused_imports)]
pub use state::{FOREIGN_SUBSCRIPTION, FOREIGN_TENANT};
#[allow(unused_imports)]
pub use throttle::{MsiRates, ThrottleBudget, Tier};
#[allow(unused_imports)]
pub use usage::{Access, SignIn, SignInOptions};
#[allow(unused_imports)]
pub use wire::{arm_error, graph_error};

use faults::Faults;
use graph_json::Version;
use state::State;
use throttle::{Throttles, Verdict};
use wire::{Req, Resp, Rng, SkipTokens};

/// How the emulator behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Added to every HTTP request (not to each `$batch` item).
    pub latency: Duration,
    /// `None`: never throttle.
    pub throttle: Option<ThrottleBudget>,
    /// `Some(token)`: 401 unless `Authorization: Bearer <token>`.
    pub require_bearer: Option<String>,
    /// Graph's largest `$top` (999); the default page size is 100.
    pub max_page: usize,
    /// ARM list page size.
    pub arm_page: usize,
    /// Graph collection reads answer an empty page (with a nextLink) before every page after
    /// the first, as Graph may; clients must keep following the link.
    pub empty_pages: bool,
    /// Graph list `$skiptoken`s older than this are refused as expired (400
    /// `Directory_ExpiredPageToken`): Graph keeps page tokens for minutes. `None`: never.
    pub skip_token_lifetime: Option<Duration>,
    /// Latency that grows with what a page returns (`cost`); `None`: only `latency`.
    pub cost: Option<CostModel>,
    /// Whether `$filter` string comparisons are case-sensitive (undocumented; `filter`).
    pub case_sensitive_filters: bool,
    /// How long a delta link stays valid: seven days for directory objects
    /// (concepts/delta-query-overview.md, "Token duration").
    pub delta_token_lifetime: Duration,
    /// The sign-in reports and log: who may read them, their pages, their throttling.
    pub sign_ins: SignInOptions,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            throttle: None,
            require_bearer: None,
            max_page: 999,
            arm_page: 100,
            empty_pages: false,
            skip_token_lifetime: None,
            cost: None,
            case_sensitive_filters: false,
            delta_token_lifetime: Duration::from_secs(7 * 24 * 3600),
            sign_ins: SignInOptions::default(),
        }
    }
}

impl Options {
    /// The cost model and the S-tier budgets (`cost::realistic`), everything else default.
    pub fn realistic() -> Self {
        let (cost, budget) = cost::realistic();
        Self {
            cost: Some(cost),
            throttle: Some(budget),
            ..Self::default()
        }
    }
}

/// Graph's default page size.
pub const GRAPH_DEFAULT_PAGE: usize = 100;

/// One request as the emulator saw it.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    pub method: String,
    /// As sent (still percent-encoded); for `$batch` items, the version prefix plus the item's
    /// relative URL.
    pub path_and_query: String,
    /// Every header, `authorization` included (tests check where a token went).
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// 0 while the request is still being answered.
    pub status: u16,
    /// When it arrived.
    pub at: Instant,
    /// When its answer was ready to go (`None` while it is still being answered): with `at`,
    /// how many requests were in flight at once, per subscription or in all.
    pub finished: Option<Instant>,
}

impl LoggedRequest {
    /// The ARM subscription its path names, lower-cased (`None` for tenant-level calls and
    /// Graph).
    pub fn subscription(&self) -> Option<String> {
        let mut segs = self
            .path_and_query
            .split(['/', '?'])
            .filter(|s| !s.is_empty());
        segs.next()
            .filter(|s| s.eq_ignore_ascii_case("subscriptions"))
            .and(segs.next())
            .map(str::to_ascii_lowercase)
    }
}

/// The most requests of `requests` that were being answered at one moment (each from its
/// arrival to its answer; one still unanswered counts to the end).
pub fn peak_in_flight<'a>(requests: impl IntoIterator<Item = &'a LoggedRequest>) -> usize {
    let mut edges: Vec<(Instant, i32)> = Vec::new();
    for r in requests {
        edges.push((r.at, 1));
        if let Some(f) = r.finished {
            edges.push((f, -1));
        }
    }
    // An answer at the instant another arrives frees its place first.
    edges.sort();
    let (mut now, mut peak) = (0i32, 0i32);
    for (_, d) in edges {
        now += d;
        peak = peak.max(now);
    }
    peak.max(0) as usize
}

/// A running emulator; the server stops when it is dropped.
pub struct Emulator {
    inner: Arc<Inner>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Emulator {
    pub async fn start(snapshot: TenantSnapshot) -> Emulator {
        Self::start_with(snapshot, Options::default()).await
    }

    pub async fn start_with(snapshot: TenantSnapshot, options: Options) -> Emulator {
        Self::start_on(snapshot, options, 0).await
    }

    /// On a given loopback port (0: any free port).
    pub async fn start_on(snapshot: TenantSnapshot, options: Options, port: u16) -> Emulator {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind a loopback port for the emulator");
        let addr = listener.local_addr().expect("the emulator's address");
        let inner = Arc::new(Inner {
            base: format!("http://{addr}"),
            throttles: options
                .throttle
                .clone()
                .map(|b| Mutex::new(Throttles::new(b))),
            options,
            sign_ins: Mutex::new(usage::SignIns::from_snapshot(&snapshot)),
            state: RwLock::new(State::new(snapshot)),
            faults: Mutex::new(Faults::default()),
            log: Mutex::new(Vec::new()),
            batch_log: Mutex::new(Vec::new()),
            tokens: SkipTokens::new(),
            rng: Mutex::new(Rng::seeded()),
            fic_writes: Mutex::new(HashSet::new()),
            expire_skip_tokens: AtomicUsize::new(0),
            delta: delta::DeltaStore::default(),
        });
        let app = Router::new().fallback(handle).with_state(inner.clone());
        let server = tokio::spawn(async move {
            // The server runs until the emulator is dropped (which aborts this task).
            let _ = axum::serve(listener, app).await;
        });
        Emulator {
            inner,
            addr,
            server,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.inner.base.clone()
    }

    /// Graph v1.0 (`/beta` next to it).
    pub fn graph_url(&self) -> String {
        format!("{}/v1.0", self.inner.base)
    }

    pub fn graph_beta_url(&self) -> String {
        format!("{}/beta", self.inner.base)
    }

    /// ARM paths are at the root: `/subscriptions`, `/providers/…`.
    pub fn arm_url(&self) -> String {
        self.inner.base.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    pub fn inject(&self, fault: Fault) {
        lock(&self.inner.faults).push(fault);
    }

    /// The next `n` Graph list requests that carry a `$skiptoken` are answered as if it had
    /// expired (400 `Directory_ExpiredPageToken`), whatever its age.
    pub fn expire_next_skip_tokens(&self, n: usize) {
        self.inner.expire_skip_tokens.store(n, Ordering::SeqCst);
    }

    pub fn clear_faults(&self) {
        lock(&self.inner.faults).clear();
    }

    /// Every HTTP request so far, in order of arrival.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.inner.log).clone()
    }

    /// Every `$batch` item so far (they are not in `requests()`, which holds the `$batch` POST).
    pub fn batch_items(&self) -> Vec<LoggedRequest> {
        lock(&self.inner.batch_log).clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.inner.log).clear();
        lock(&self.inner.batch_log).clear();
    }

    /// The tenant now, after mutations.
    pub fn snapshot(&self) -> TenantSnapshot {
        self.inner.read().snap.clone()
    }

    /// Every `secretText` handed out by `addPassword`.
    pub fn secret_texts(&self) -> Vec<String> {
        self.inner.read().secrets.clone()
    }

    /// The base64 DER the emulator holds for a key credential (uploaded, or the placeholder of
    /// one that came with the snapshot).
    pub fn key_credential_key(&self, key_id: &str) -> String {
        wire::base64(&self.inner.read().key_der(key_id))
    }

    /// Changes the tenant directly (test setup), keeping the indexes right; its sign-ins are
    /// those of the new snapshot's usage facts.
    pub fn replace_snapshot(&self, snapshot: TenantSnapshot) {
        lock(&self.inner.sign_ins).events = usage::SignIns::from_snapshot(&snapshot).events;
        *self.inner.write() = State::new(snapshot);
    }

    /// Changes the tenant in place (test setup: the changes a delta query then reports),
    /// keeping the indexes right and everything else the emulator holds.
    pub fn mutate(&self, change: impl FnOnce(&mut TenantSnapshot)) {
        let mut st = self.inner.write();
        change(&mut st.snap);
        st.reindex();
    }

    /// Forgets every delta link, as a sync reset does: the next delta request that uses one
    /// is answered 410 `syncStateNotFound`.
    pub fn reset_delta_links(&self) {
        self.inner.delta.reset();
    }

    /// Makes every delta link handed out so far `by` older (seven days expire one).
    pub fn age_delta_links(&self, by: Duration) {
        self.inner.delta.age(by);
    }

    /// Adds a service principal sign-in: the reports and the log show it from now on.
    pub fn record_sign_in(&self, sign_in: SignIn) {
        lock(&self.inner.sign_ins).events.push(sign_in);
    }

    /// Every sign-in the emulator holds, in the order they were added.
    pub fn sign_ins(&self) -> Vec<SignIn> {
        lock(&self.inner.sign_ins).events.clone()
    }

    /// Adds a Resource Graph row served as it is on the first page of every query (after the
    /// rows of the snapshot's resources): Resource Graph columns are `dynamic`, so a row's
    /// `identity` may be a string, an array or null.
    pub fn add_resource_graph_row(&self, row: serde_json::Value) {
        self.inner.write().raw_resource_rows.push(row);
    }
}

/// Which API a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    Graph(Version),
    Arm,
}

impl Api {
    fn of(path: &str) -> Self {
        let is = |p: &str| path == p || path.starts_with(&format!("{p}/"));
        if is("/v1.0") {
            Api::Graph(Version::V1)
        } else if is("/beta") {
            Api::Graph(Version::Beta)
        } else {
            Api::Arm
        }
    }
}

/// What the pipeline produced; `truncate` cuts the body in half on the wire, `close` closes
/// the connection before any of it (status line included) is sent.
struct Outcome {
    resp: Resp,
    truncate: bool,
    close: bool,
}

struct Inner {
    options: Options,
    base: String,
    state: RwLock<State>,
    faults: Mutex<Faults>,
    throttles: Option<Mutex<Throttles>>,
    log: Mutex<Vec<LoggedRequest>>,
    batch_log: Mutex<Vec<LoggedRequest>>,
    tokens: SkipTokens,
    rng: Mutex<Rng>,
    /// UAMIs (lower-cased ARM ids) with a FIC write in flight.
    fic_writes: Mutex<HashSet<String>>,
    /// How many of the next Graph list `$skiptoken`s to refuse as expired.
    expire_skip_tokens: AtomicUsize,
    /// Delta links and rounds (`delta`).
    delta: delta::DeltaStore,
    /// The service principal sign-ins behind the reports and the log (`usage`).
    sign_ins: Mutex<usage::SignIns>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Releases a UAMI's FIC write flag when the request ends, however it ends.
struct FicWriteGuard {
    inner: Arc<Inner>,
    key: String,
}

impl Drop for FicWriteGuard {
    fn drop(&mut self) {
        lock(&self.inner.fic_writes).remove(&self.key);
    }
}

impl Inner {
    /// Whether this `$skiptoken` is to be refused as expired (`expire_next_skip_tokens`).
    fn take_expired_token(&self) -> bool {
        self.expire_skip_tokens
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn log_request(&self, req: &Req, path_and_query: &str, batch: bool) -> usize {
        let entry = LoggedRequest {
            method: req.method.clone(),
            path_and_query: path_and_query.to_string(),
            headers: req
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: String::from_utf8_lossy(&req.body).into_owned(),
            status: 0,
            at: Instant::now(),
            finished: None,
        };
        let mut log = lock(if batch { &self.batch_log } else { &self.log });
        log.push(entry);
        log.len() - 1
    }

    fn set_status(&self, index: usize, status: u16, batch: bool) {
        if let Some(e) = lock(if batch { &self.batch_log } else { &self.log }).get_mut(index) {
            e.status = status;
            e.finished = Some(Instant::now());
        }
    }

    /// The whole pipeline of one HTTP request.
    async fn serve(self: &Arc<Self>, req: Req) -> Outcome {
        let api = Api::of(&req.path);
        if let Some(resp) = self.check_bearer(&req, api) {
            return Outcome {
                resp: self.finish(&req, api, resp, 0),
                truncate: false,
                close: false,
            };
        }
        // Two FIC writes on one UAMI at once: the second gets 409 (reference §2.4). The flag is
        // held for the whole request, latency included.
        let _guard = match arm::fic_write_key(&req) {
            Some(key) if api == Api::Arm => {
                if !lock(&self.fic_writes).insert(key.clone()) {
                    let resp = arm::concurrent_fic_write();
                    return Outcome {
                        resp: self.finish(&req, api, resp, 0),
                        truncate: false,
                        close: false,
                    };
                }
                Some(FicWriteGuard {
                    inner: self.clone(),
                    key,
                })
            }
            _ => None,
        };
        if !self.options.latency.is_zero() {
            tokio::time::sleep(self.options.latency).await;
        }
        if let Api::Graph(version) = api
            && graph::is_batch(&req.path, version)
        {
            let fault = lock(&self.faults).take(&req.method, &req.path);
            let mut truncate = false;
            match fault {
                Some(FaultAction::Truncate) => truncate = true,
                Some(FaultAction::Stall(d)) => tokio::time::sleep(d).await,
                Some(FaultAction::Close) => return Outcome::closed(),
                Some(action) => {
                    return Outcome {
                        resp: self.finish(&req, api, fault_response(api, &req, action), 0),
                        truncate: false,
                        close: false,
                    };
                }
                None => {}
            }
            let (resp, items_truncate) = batch::run(self, &req, version).await;
            return Outcome {
                resp: self.finish(&req, api, resp, 0),
                truncate: truncate || items_truncate,
                close: false,
            };
        }
        self.dispatch(&req, api).await
    }

    /// Faults, throttling and the route: shared by HTTP requests and `$batch` items.
    async fn dispatch(&self, req: &Req, api: Api) -> Outcome {
        let fault = lock(&self.faults).take(&req.method, &req.path);
        let mut truncate = false;
        match fault {
            Some(FaultAction::Truncate) => truncate = true,
            Some(FaultAction::Stall(d)) => tokio::time::sleep(d).await,
            // A `$batch` item cannot close the batch's connection by itself: `truncate` cuts
            // the batch response off.
            Some(FaultAction::Close) => {
                return Outcome {
                    truncate: true,
                    ..Outcome::closed()
                };
            }
            Some(action) => {
                return Outcome {
                    resp: self.finish(req, api, fault_response(api, req, action), 0),
                    truncate: false,
                    close: false,
                };
            }
            None => {}
        }
        let (mut resp, ru) = match api {
            Api::Graph(version) => {
                let ru = graph::cost(req, version);
                let key_select = graph::selects_keys_of_application_list(req, version);
                let throttled = self.throttles.as_ref().and_then(|t| {
                    match lock(t).graph(ru, req.method != "GET", key_select) {
                        Verdict::Allowed => None,
                        Verdict::Throttled(wait) => Some(wait),
                    }
                });
                match throttled {
                    Some(wait) => (graph::throttled(wait), ru),
                    None => (graph::route(self, req, version), ru),
                }
            }
            Api::Arm => (arm::serve(self, req), 0),
        };
        // The cost model: a page takes longer the more it returns (`cost`).
        if let Some(cost) = &self.options.cost {
            let wait = match api {
                Api::Graph(_) => cost.graph(resp.objects, req.path.contains("/applications")),
                Api::Arm => cost.arm_request,
            };
            tokio::time::sleep(wait).await;
        }
        resp.objects = 0;
        Outcome {
            resp: self.finish(req, api, resp, ru),
            truncate,
            close: false,
        }
    }

    /// `Some(401)` when a bearer is required and this one is missing or wrong.
    fn check_bearer(&self, req: &Req, api: Api) -> Option<Resp> {
        let want = self.options.require_bearer.as_deref()?;
        let got = req.header("authorization");
        let ok = got
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .is_some_and(|t| t == want);
        if ok {
            return None;
        }
        Some(match api {
            Api::Graph(_) => {
                let message = if got.is_none() {
                    "Access token is empty."
                } else {
                    "Access token validation failure. Invalid audience."
                };
                wire::graph_fail(401, "InvalidAuthenticationToken", message).with_header(
                    "www-authenticate",
                    "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
                )
            }
            Api::Arm => {
                let (code, message) = if got.is_none() {
                    (
                        "AuthenticationFailed",
                        "Authentication failed. The 'Authorization' header is missing.",
                    )
                } else {
                    ("InvalidAuthenticationToken", "The access token is invalid.")
                };
                wire::arm_fail(401, code, message).with_header(
                    "www-authenticate",
                    "Bearer authorization_uri=\"https://login.windows.net/\", error=\"invalid_token\"",
                )
            }
        })
    }

    /// The headers every response of that API carries.
    fn finish(&self, req: &Req, api: Api, mut resp: Resp, ru: u32) -> Resp {
        match api {
            Api::Graph(_) => {
                let request_id = wire::new_guid();
                let client_request_id = req
                    .header("client-request-id")
                    .map(str::to_string)
                    .unwrap_or_else(|| request_id.clone());
                if resp.status >= 400 {
                    stamp_graph_error(&mut resp, &request_id, &client_request_id);
                }
                resp.headers.push(("request-id".into(), request_id));
                resp.headers
                    .push(("client-request-id".into(), client_request_id));
                resp.headers
                    .push(("x-ms-resource-unit".into(), ru.max(1).to_string()));
                if let Some(t) = &self.throttles
                    && let Some(p) = lock(t).graph_limit_percentage()
                {
                    resp.headers
                        .push(("x-ms-throttle-limit-percentage".into(), p));
                }
                resp.headers
                    .push(("cache-control".into(), "no-cache".into()));
            }
            Api::Arm => {
                let request_id = wire::new_guid();
                let correlation = req
                    .header("x-ms-correlation-request-id")
                    .map(str::to_string)
                    .unwrap_or_else(|| request_id.clone());
                resp.headers.push(("x-ms-request-id".into(), request_id));
                resp.headers
                    .push(("x-ms-correlation-request-id".into(), correlation));
            }
        }
        resp
    }
}

/// Puts the response's ids into a Graph error body's `innerError`, so body and headers agree.
fn stamp_graph_error(resp: &mut Resp, request_id: &str, client_request_id: &str) {
    if resp.body.len() > 64 * 1024 {
        return;
    }
    let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&resp.body) else {
        return;
    };
    let Some(inner) = v
        .get_mut("error")
        .and_then(|e| e.get_mut("innerError"))
        .and_then(|i| i.as_object_mut())
    else {
        return;
    };
    inner.insert("request-id".into(), request_id.into());
    if inner.contains_key("client-request-id") {
        inner.insert("client-request-id".into(), client_request_id.into());
    }
    if let Ok(body) = serde_json::to_vec(&v) {
        resp.body = body;
    }
}

/// The answer of a fault that replaces the response.
fn fault_response(api: Api, req: &Req, action: FaultAction) -> Resp {
    match action {
        FaultAction::Status {
            status,
            headers,
            body,
        } => {
            let content_type = match api {
                Api::Graph(_) => wire::GRAPH_JSON,
                Api::Arm => wire::ARM_JSON,
            };
            let mut resp = Resp {
                status,
                headers: vec![("content-type".into(), content_type.into())],
                body: body.into_bytes(),
                objects: 0,
            };
            for (k, v) in headers {
                resp.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&k));
                resp.headers.push((k, v));
            }
            resp
        }
        FaultAction::Throttle { retry_after } => match api {
            Api::Graph(_) => graph::throttled_body().with_header("retry-after", retry_after),
            Api::Arm => arm::throttled(req, &retry_after),
        },
        FaultAction::Unauthorized => match api {
            Api::Graph(_) => wire::graph_fail(
                401,
                "InvalidAuthenticationToken",
                "Lifetime validation failed, the token is expired.",
            ),
            Api::Arm => {
                let now = wire::date(time::OffsetDateTime::now_utc());
                wire::arm_fail(
                    401,
                    "ExpiredAuthenticationToken",
                    &format!(
                        "The access token expiry UTC time '{now}' is earlier than current UTC time '{now}'."
                    ),
                )
            }
        },
        // Handled before the route; never replaces the response.
        FaultAction::Truncate | FaultAction::Stall(_) | FaultAction::Close => Resp::empty(500),
    }
}

async fn handle(AxumState(inner): AxumState<Arc<Inner>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 256 << 20)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let mut req = Req::new(parts.method.as_str(), &path_and_query, parts.headers, body);
    // Links name the host the client called: behind a forwarding transport (the tests'
    // loopback one), the host and scheme it forwarded.
    req.base = match (req.header("x-forwarded-host"), req.header("host")) {
        (Some(host), _) if !host.is_empty() => format!(
            "{}://{host}",
            req.header("x-forwarded-proto").unwrap_or("https")
        ),
        (_, Some(host)) if !host.is_empty() => format!("http://{host}"),
        _ => inner.base.clone(),
    };
    let index = inner.log_request(&req, &path_and_query, false);
    let out = inner.serve(req).await;
    inner.set_status(index, out.resp.status, false);
    into_response(out)
}

impl Outcome {
    /// The connection closes before anything is answered.
    fn closed() -> Self {
        Outcome {
            resp: Resp::empty(500),
            truncate: false,
            close: true,
        }
    }
}

fn into_response(out: Outcome) -> Response {
    if out.close {
        // A body whose first read fails: hyper drops the connection before the status line it
        // holds back has been written, so the client reads no answer at all.
        let stream = futures::stream::once(async {
            Err::<Bytes, std::io::Error>(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "emulator: connection closed before answering",
            ))
        });
        return Response::new(Body::from_stream(stream));
    }
    let Outcome {
        resp,
        truncate,
        close: _,
    } = out;
    let status = StatusCode::from_u16(resp.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let full_len = resp.body.len();
    let body = if truncate {
        // The real headers (with the full Content-Length), half the body, a pause so it is
        // flushed, then an error that makes hyper drop the connection.
        let half = Bytes::from(resp.body[..full_len / 2].to_vec());
        let stream = futures::stream::unfold(0u8, move |step| {
            let half = half.clone();
            async move {
                match step {
                    0 => Some((Ok::<Bytes, std::io::Error>(half), 1)),
                    1 => {
                        tokio::time::sleep(Duration::from_millis(30)).await;
                        Some((
                            Err(std::io::Error::new(
                                std::io::ErrorKind::ConnectionAborted,
                                "emulator: truncated response",
                            )),
                            2,
                        ))
                    }
                    _ => None,
                }
            }
        });
        Body::from_stream(stream)
    } else {
        Body::from(resp.body)
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for (k, v) in &resp.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            headers.append(name, value);
        }
    }
    if truncate && let Ok(v) = HeaderValue::from_str(&full_len.to_string()) {
        headers.insert(axum::http::header::CONTENT_LENGTH, v);
    }
    response
}
