#!/usr/bin/env python3
"""Generate credwise's embedded demo tenant, ``assets/demo-tenant.json``.

The demo tenant is a fictional company, *Fabrikam Logistics* (fabrikam-logistics.example), with
about a hundred workload identities of every kind credwise knows: app registrations and their
service principals, third-party (multi-tenant) service principals, a Legacy principal, an
unknown-type principal, user-assigned managed identities (with their ManagedIdentity service
principals and federated credentials) and system-assigned managed identities (with the Azure
resources that host them), plus Azure role assignments. It is built to show every feature of
credwise on one data set: expired / expiring / long-lived / never-expiring secrets, secrets with
no name, certificates, GitHub Actions / Kubernetes / GitLab / Terraform Cloud / Google / Azure
DevOps federated credentials (including the immutable GitHub subject form and a flexible
``claimsMatchingExpression`` FIC), a managed identity used as a federated credential, an app
close to the limit of 20 FICs, a multi-tenant app holding secrets, a deployment slot, and
display names with unicode and long names. For the audit it also holds one example of each
finding: FICs with a ``:pull-request`` subject, a trailing-slash GitHub issuer, GitHub's default
audience and an unknown subject form, a duplicate FIC, a FIC trusting a system-assigned
identity, two Microsoft first-party principals with certificates of their own, and an App Proxy
application with its auto-rotated secrets (both noise the audit hides by default).

Output format: a credwise snapshot file, version 1 (see ``src/store/snapshot_file.rs`` and
the serde derives in ``src/domain/``). Keys are written in the order serde serializes them and
optional fields that serde skips are omitted, so ``credwise snapshot save --demo`` reproduces
the same shape.

Dates: every timestamp is written relative to the fixed anchor ``capturedAt =
2026-01-01T09:00:00Z``. At load time credwise shifts all timestamps by whole days so that the
anchor becomes today; "expires in 5 days" therefore stays true whenever the demo runs. "Never"
expiring secrets end in the year 2299.

Ids are deterministic (UUIDv5 from names), so running this script again produces a
byte-identical file. The JSON it writes is committed to the repository and embedded into the
credwise binary (``include_bytes!``); ``tests/demo_tenant.rs`` checks that it still covers
everything listed above. After changing this script, run it and commit both files:

    python3 tools/gen_demo_tenant.py            # writes assets/demo-tenant.json
    python3 tools/gen_demo_tenant.py --check    # exits 1 if the committed file is stale

Python 3 standard library only.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import pathlib
import sys
import uuid

# --------------------------------------------------------------------------------------------
# Fixed inputs
# --------------------------------------------------------------------------------------------

ANCHOR = dt.datetime(2026, 1, 1, 9, 0, 0, tzinfo=dt.timezone.utc)
DOMAIN = "fabrikam-logistics.example"
NS = uuid.uuid5(uuid.NAMESPACE_DNS, DOMAIN)


def gid(*parts: str) -> str:
    """A deterministic GUID from a path of names (UUIDv5 bits, stamped as version 4 so it
    looks like the random GUIDs Entra and Azure hand out)."""
    return str(uuid.UUID(bytes=uuid.uuid5(NS, "/".join(parts)).bytes, version=4))


TENANT_ID = gid("tenant")
TENANT_NAME = "Fabrikam Logistics"
ENTRA_ISSUER = f"https://login.microsoftonline.com/{TENANT_ID}/v2.0"
TOKEN_EXCHANGE = "api://AzureADTokenExchange"
GITHUB = "https://token.actions.githubusercontent.com"

SUB_PROD = gid("subscription", "fabrikam-prod")
SUB_NONPROD = gid("subscription", "fabrikam-nonprod")
SUB_PLATFORM = gid("subscription", "fabrikam-platform")

# Foreign tenants that own the third-party multi-tenant apps.
FOREIGN = {
    "northwind": gid("foreign-tenant", "northwind-monitoring.example"),
    "contoso": gid("foreign-tenant", "contoso-freight.example"),
    "tailwind": gid("foreign-tenant", "tailwind-hr.example"),
    "litware": gid("foreign-tenant", "litware-expense.example"),
    "adatum": gid("foreign-tenant", "adatum-backup.example"),
}

# The tenant Microsoft's first-party applications are registered in.
MICROSOFT_SERVICES = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"

# Built-in Azure role definition ids.
ROLES = {
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "Key Vault Crypto User": "12338af0-0e69-4776-bea7-57ae8d297424",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "AcrPush": "8311e382-0749-4cb8-b61a-304f252e45ec",
    "Azure Service Bus Data Sender": "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39",
    "Azure Service Bus Data Receiver": "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0",
    "Monitoring Reader": "43d0d8ad-25c7-4714-9337-8ba259a9fe05",
    "Website Contributor": "de139f84-1756-47ae-9be6-808fbbe84772",
    "Virtual Machine Contributor": "9980e02c-c2be-4d73-94e8-173b1dc7cf3c",
}


def arm(sub: str, rg: str, rtype: str = "", name: str = "") -> str:
    """An ARM id: subscription, resource group, and optionally a resource."""
    base = f"/subscriptions/{sub}/resourceGroups/{rg}"
    return f"{base}/providers/{rtype}/{name}" if rtype else base


def sub_scope(sub: str) -> str:
    return f"/subscriptions/{sub}"


# Scopes that are not managed-identity hosts (so they are not in `resources`).
KV_PAYROLL = arm(SUB_PROD, "rg-payroll-prod", "Microsoft.KeyVault/vaults", "kv-payroll-prod")
KV_ORDERS = arm(SUB_PROD, "rg-orders-prod", "Microsoft.KeyVault/vaults", "kv-orders-prod")
KV_PLATFORM = arm(SUB_PLATFORM, "rg-platform-shared", "Microsoft.KeyVault/vaults", "kv-fabrikam-platform")
ST_PAYROLL = arm(SUB_PROD, "rg-payroll-prod", "Microsoft.Storage/storageAccounts", "stpayrollprod")
ST_LAKE = arm(SUB_PROD, "rg-data-prod", "Microsoft.Storage/storageAccounts", "stfabrikamdatalake")
ST_FTP = arm(SUB_PROD, "rg-legacy-prod", "Microsoft.Storage/storageAccounts", "stftpdropprod")
ST_INVOICES = arm(SUB_PROD, "rg-invoices-prod", "Microsoft.Storage/storageAccounts", "stinvoicesprod")
ACR = arm(SUB_PLATFORM, "rg-platform-shared", "Microsoft.ContainerRegistry/registries", "acrfabrikamprod")
SB_ORDERS = arm(SUB_PROD, "rg-orders-prod", "Microsoft.ServiceBus/namespaces", "sb-fabrikam-orders")
SB_SHIPMENTS = arm(SUB_PROD, "rg-shipments-prod", "Microsoft.ServiceBus/namespaces", "sb-fabrikam-shipments")

# --------------------------------------------------------------------------------------------
# Time helpers: offsets in days from the anchor date, with a deterministic time of day.
# --------------------------------------------------------------------------------------------


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def time_of_day(key: str) -> dt.timedelta:
    h = _digest("tod/" + key)
    return dt.timedelta(hours=7 + h[0] % 11, minutes=h[1] % 60, seconds=h[2] % 60)


def fmt(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def day(offset_or_date, key: str) -> dt.datetime:
    """A day given as an offset from the anchor date (int) or as "YYYY-MM-DD", at a time of
    day derived from `key`."""
    if isinstance(offset_or_date, int):
        base = dt.datetime(ANCHOR.year, ANCHOR.month, ANCHOR.day, tzinfo=dt.timezone.utc)
        base += dt.timedelta(days=offset_or_date)
    else:
        y, m, d = (int(p) for p in offset_or_date.split("-"))
        base = dt.datetime(y, m, d, tzinfo=dt.timezone.utc)
    return base + time_of_day(key)


NEVER = "2299-12-31T00:00:00Z"

HINT_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~._-"


def hint_for(key: str) -> str:
    """Graph's `hint`: the first three characters of the (here imaginary) secret."""
    h = _digest("hint/" + key)
    return "".join(HINT_ALPHABET[b % len(HINT_ALPHABET)] for b in h[:3])


def thumbprint_b64(key: str) -> str:
    """A deterministic 20-byte SHA-1-sized thumbprint, base64 as Graph sends it."""
    return base64.b64encode(hashlib.sha1(("cert/" + key).encode("utf-8")).digest()).decode("ascii")


# --------------------------------------------------------------------------------------------
# Credential builders. Each returns a function of the owner's name, so ids depend on the owner.
# --------------------------------------------------------------------------------------------


def secret(display, end, life=365, start=None, hint=True, key=None):
    """A client secret. `end` is a day offset, a "YYYY-MM-DD" date or "never"; the start is
    `end - life` days unless `start` is given. `display=None` omits displayName (older secrets),
    `hint=False` omits the hint."""

    def build(owner: str) -> dict:
        k = f"secret/{owner}/{key or display}"
        if end == "never":
            start_t = day(start if start is not None else -1500, k)
            end_s = NEVER
        else:
            end_t = day(end, k)
            start_t = day(start, k) if start is not None else end_t - dt.timedelta(days=life)
            end_s = fmt(end_t)
        out = {"keyId": gid(k)}
        if display is not None:
            out["displayName"] = display
        if hint:
            out["hint"] = hint_for(k)
        out["startDateTime"] = fmt(start_t)
        out["endDateTime"] = end_s
        return out

    return build


def cert(subject_cn, end, life=365, start=None, usage="Verify"):
    """A certificate (public part only): keyCredential with a SHA-1 thumbprint."""

    def build(owner: str) -> dict:
        k = f"cert/{owner}/{subject_cn}/{usage}"
        end_t = day(end, k)
        start_t = day(start, k) if start is not None else end_t - dt.timedelta(days=life)
        return {
            "keyId": gid(k),
            "displayName": f"CN={subject_cn}",
            "customKeyIdentifier": thumbprint_b64(f"{owner}/{subject_cn}/{end}"),
            "type": "AsymmetricX509Cert",
            "usage": usage,
            "startDateTime": fmt(start_t),
            "endDateTime": fmt(end_t),
        }

    return build


def fic(name, issuer, subject=None, expression=None, description=None, audiences=None):
    """A federated identity credential. App FICs get a Graph `id`; UAMI FICs (ARM) do not."""

    def build(owner: str, with_id: bool) -> dict:
        out = {}
        if with_id:
            out["id"] = gid("fic", owner, name)
        out["name"] = name
        out["issuer"] = issuer
        if subject is not None:
            out["subject"] = subject
        if expression is not None:
            out["claimsMatchingExpression"] = expression
        out["audiences"] = list(audiences or [TOKEN_EXCHANGE])
        if description is not None:
            out["description"] = description
        return out

    return build


def github(name, subject, description=None):
    return fic(name, GITHUB, subject, description=description)


def aks_issuer(cluster: str, region: str) -> str:
    return f"https://{region}.oic.prod-aks.azure.com/{TENANT_ID}/{gid('aks-oidc', cluster)}/"


AKS_SHIPMENTS = aks_issuer("aks-shipments-prod", "westeurope")
AKS_PLATFORM = aks_issuer("aks-platform-prod", "northeurope")


def k8s(name, issuer, namespace, service_account, description=None):
    return fic(
        name,
        issuer,
        f"system:serviceaccount:{namespace}:{service_account}",
        description=description,
    )


# --------------------------------------------------------------------------------------------
# The tenant
# --------------------------------------------------------------------------------------------

applications: list[dict] = []
service_principals: list[dict] = []
user_assigned: list[dict] = []
resources: list[dict] = []
role_assignments: list[dict] = []

# principal ids by a short name, for role assignments and MI-as-FIC subjects; system-assigned
# identities are keyed "mi:<display name>" (orders-web is both an app and a web app's identity)
PRINCIPAL: dict[str, str] = {}


def sp_record(
    name,
    app_id,
    sp_id,
    sp_type="Application",
    alternative_names=(),
    enabled=True,
    owner_org=TENANT_ID,
    secrets=(),
    certs=(),
    tags=(),
):
    out = {
        "id": sp_id,
        "appId": app_id,
        "displayName": name,
        "servicePrincipalType": sp_type,
        "alternativeNames": list(alternative_names),
        "accountEnabled": enabled,
    }
    if owner_org is not None:
        out["appOwnerOrganizationId"] = owner_org
    out["passwordCredentials"] = [s(f"sp/{name}") for s in secrets]
    out["keyCredentials"] = [c(f"sp/{name}") for c in certs]
    if tags:  # serde skips an empty `tags`
        out["tags"] = list(tags)
    return out


def app(
    name,
    *,
    audience="AzureADMyOrg",
    created=-700,
    secrets=(),
    certs=(),
    fics=(),
    sp=True,
    sp_enabled=True,
    sp_secrets=(),
    sp_tags=(),
):
    """An app registration and (unless sp=False) its service principal in this tenant."""
    app_id = gid("app", name, "appId")
    record = {
        "id": gid("app", name, "object"),
        "appId": app_id,
        "displayName": name,
        "signInAudience": audience,
        "publisherDomain": DOMAIN,
        "createdDateTime": fmt(day(created, "created/" + name)),
        "passwordCredentials": [s(name) for s in secrets],
        "keyCredentials": [c(name) for c in certs],
        "federatedIdentityCredentials": [f(name, True) for f in fics],
    }
    applications.append(record)
    if sp:
        sp_id = gid("sp", name)
        PRINCIPAL[name] = sp_id
        service_principals.append(
            sp_record(
                name, app_id, sp_id, enabled=sp_enabled, secrets=sp_secrets, tags=sp_tags
            )
        )
    return record


def third_party_sp(name, owner, secrets=(), certs=()):
    sp_id = gid("sp", name)
    PRINCIPAL[name] = sp_id
    service_principals.append(
        sp_record(
            name,
            gid("foreign-app", owner, name),
            sp_id,
            owner_org=FOREIGN[owner],
            secrets=secrets,
            certs=certs,
        )
    )


def first_party_sp(name, app_id, certs=()):
    """A Microsoft first-party application's principal (Microsoft Graph, Exchange Online…):
    in every tenant, owned by Microsoft's services tenant, not the tenant's to manage."""
    sp_id = gid("sp", name)
    PRINCIPAL[name] = sp_id
    service_principals.append(
        sp_record(name, app_id, sp_id, owner_org=MICROSOFT_SERVICES, certs=certs)
    )


def uami(name, sub, rg, location="westeurope", fics=(), tags=None):
    """A user-assigned managed identity and its ManagedIdentity service principal."""
    rid = arm(sub, rg, "Microsoft.ManagedIdentity/userAssignedIdentities", name)
    principal = gid("uami-principal", name)
    client = gid("uami-client", name)
    PRINCIPAL[name] = principal
    record = {
        "id": rid,
        "name": name,
        "location": location,
        "principalId": principal,
        "clientId": client,
        "tenantId": TENANT_ID,
    }
    if tags:
        record["tags"] = dict(sorted(tags.items()))
    record["federatedIdentityCredentials"] = [f(name, False) for f in fics]
    user_assigned.append(record)
    service_principals.append(
        sp_record(
            name,
            client,
            principal,
            sp_type="ManagedIdentity",
            alternative_names=["isExplicit=True", rid],
            owner_org=None,
        )
    )
    return rid


def resource(rid, name, rtype, location="westeurope", system=False, uamis=(), sp_name=None):
    """An Azure resource with an identity block; with system=True also the system-assigned
    managed identity's service principal (display name = resource name)."""
    kinds = []
    if system:
        kinds.append("SystemAssigned")
    if uamis:
        kinds.append("UserAssigned")
    identity = {"type": ", ".join(kinds)}
    if system:
        principal = gid("sami-principal", rid)
        identity["principalId"] = principal
        display = sp_name or name
        PRINCIPAL["mi:" + display] = principal
        service_principals.append(
            sp_record(
                display,
                gid("sami-client", rid),
                principal,
                sp_type="ManagedIdentity",
                alternative_names=["isExplicit=False", rid],
                owner_org=None,
            )
        )
    identity["userAssignedIdentities"] = list(uamis)
    resources.append(
        {"id": rid, "name": name, "type": rtype, "location": location, "identity": identity}
    )


def grant(principal_name, role, scope):
    principal = PRINCIPAL[principal_name]
    sub = scope.split("/")[2]
    role_assignments.append(
        {
            "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/"
            + gid("ra", principal, role, scope),
            "principalId": principal,
            "principalType": "ServicePrincipal",
            "roleDefinitionId": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{ROLES[role]}",
            "roleDefinitionName": role,
            "scope": scope,
        }
    )


# ---- User-assigned managed identities ------------------------------------------------------

ID_ORDERS = uami(
    "id-orders-shared", SUB_PROD, "rg-orders-prod", tags={"owner": "orders-team", "env": "prod"}
)
ID_KV_READER = uami(
    "id-keyvault-reader", SUB_PLATFORM, "rg-platform-shared", tags={"owner": "platform-team"}
)
ID_INVOICES_LOGIC = uami("id-invoices-logic", SUB_PROD, "rg-invoices-prod")
ID_SHIPMENTS = uami(
    "id-shipments-workload",
    SUB_PROD,
    "rg-shipments-prod",
    tags={"owner": "shipments-team", "env": "prod", "workload": "aks"},
    fics=[
        k8s("aks-shipments-api", AKS_SHIPMENTS, "shipments", "shipments-api"),
        k8s(
            "aks-shipments-worker",
            AKS_SHIPMENTS,
            "shipments",
            "shipments-worker",
            description="Background worker that books carrier slots",
        ),
    ],
)
ID_AKS_KUBELET = uami(
    "aks-shipments-prod-agentpool",
    SUB_PROD,
    "MC_rg-shipments-prod_aks-shipments-prod_westeurope",
)
ID_PAYROLL = uami("id-payroll-batch", SUB_PROD, "rg-payroll-prod", tags={"owner": "payroll-team"})
ID_EDI = uami(
    "id-edi-connector",
    SUB_PROD,
    "rg-integration-prod",
    tags={"owner": "integration-team", "env": "prod"},
)
ID_DATA = uami("id-data-lake-ingest", SUB_PROD, "rg-data-prod", tags={"owner": "data-team"})
ID_GH_RUNNERS = uami(
    "id-github-platform-deploy",
    SUB_PLATFORM,
    "rg-platform-shared",
    fics=[
        github("platform-tools-main", "repo:fabrikam/platform-tools:ref:refs/heads/main"),
        github(
            "platform-tools-production",
            "repo:fabrikam/platform-tools:environment:production",
            description="Deploys shared platform components",
        ),
    ],
)
ID_TERRAFORM = uami(
    "id-terraform-platform",
    SUB_PLATFORM,
    "rg-platform-shared",
    fics=[
        fic(
            "tfc-platform-prod-plan",
            "https://app.terraform.io",
            "organization:fabrikam:project:platform:workspace:platform-prod:run_phase:plan",
        ),
        fic(
            "tfc-platform-prod-apply",
            "https://app.terraform.io",
            "organization:fabrikam:project:platform:workspace:platform-prod:run_phase:apply",
        ),
    ],
)
ID_TEMP = uami(
    "id-migration-temp",
    SUB_NONPROD,
    "rg-orders-dev",
    tags={"created-by": "jdoe", "delete-after": "2025-06-30"},
)

# ---- Azure resources and system-assigned managed identities --------------------------------

ORDERS_WEB = arm(SUB_PROD, "rg-orders-prod", "Microsoft.Web/sites", "orders-web")
resource(ORDERS_WEB, "orders-web", "Microsoft.Web/sites", system=True, uamis=[ID_ORDERS])
resource(
    ORDERS_WEB + "/slots/staging",
    "orders-web/staging",
    "Microsoft.Web/sites/slots",
    system=True,
    sp_name="orders-web/slots/staging",
)
resource(
    arm(SUB_PROD, "rg-orders-prod", "Microsoft.Web/sites", "func-order-events"),
    "func-order-events",
    "Microsoft.Web/sites",
    system=True,
    uamis=[ID_ORDERS],
)
resource(
    arm(SUB_PROD, "rg-orders-prod", "Microsoft.Compute/virtualMachines", "vm-orders-batch-01"),
    "vm-orders-batch-01",
    "Microsoft.Compute/virtualMachines",
    system=True,
    uamis=[ID_ORDERS],
)
resource(
    arm(SUB_PROD, "rg-orders-prod", "Microsoft.App/containerApps", "ca-orders-api"),
    "ca-orders-api",
    "Microsoft.App/containerApps",
    uamis=[ID_ORDERS, ID_KV_READER],
)
resource(
    arm(SUB_PROD, "rg-orders-prod", "Microsoft.Sql/servers", "sql-fabrikam-orders"),
    "sql-fabrikam-orders",
    "Microsoft.Sql/servers",
    system=True,
)
resource(
    arm(SUB_PROD, "rg-invoices-prod", "Microsoft.Web/sites", "func-invoices"),
    "func-invoices",
    "Microsoft.Web/sites",
    system=True,
)
resource(
    arm(SUB_PROD, "rg-invoices-prod", "Microsoft.Logic/workflows", "logic-invoice-approvals"),
    "logic-invoice-approvals",
    "Microsoft.Logic/workflows",
    system=True,
)
resource(
    arm(SUB_PROD, "rg-invoices-prod", "Microsoft.Logic/workflows", "logic-invoice-ingest"),
    "logic-invoice-ingest",
    "Microsoft.Logic/workflows",
    uamis=[ID_INVOICES_LOGIC],
)
resource(
    arm(SUB_PROD, "rg-shipments-prod", "Microsoft.ContainerService/managedClusters", "aks-shipments-prod"),
    "aks-shipments-prod",
    "Microsoft.ContainerService/managedClusters",
    system=True,
)
resource(
    arm(
        SUB_PROD,
        "MC_rg-shipments-prod_aks-shipments-prod_westeurope",
        "Microsoft.Compute/virtualMachineScaleSets",
        "aks-nodepool1-31415926-vmss",
    ),
    "aks-nodepool1-31415926-vmss",
    "Microsoft.Compute/virtualMachineScaleSets",
    uamis=[ID_AKS_KUBELET],
)
resource(
    arm(SUB_PROD, "rg-legacy-prod", "Microsoft.Compute/virtualMachines", "vm-ftp-bridge-01"),
    "vm-ftp-bridge-01",
    "Microsoft.Compute/virtualMachines",
    system=True,
)
resource(
    arm(SUB_PROD, "rg-payroll-prod", "Microsoft.Web/sites", "app-payroll-api"),
    "app-payroll-api",
    "Microsoft.Web/sites",
    system=True,
    uamis=[ID_PAYROLL],
)
resource(
    arm(SUB_PROD, "rg-payroll-prod", "Microsoft.Compute/virtualMachines", "vm-payroll-batch-01"),
    "vm-payroll-batch-01",
    "Microsoft.Compute/virtualMachines",
    uamis=[ID_PAYROLL],
)
resource(
    arm(SUB_PROD, "rg-integration-prod", "Microsoft.ApiManagement/service", "apim-fabrikam-prod"),
    "apim-fabrikam-prod",
    "Microsoft.ApiManagement/service",
    system=True,
)
resource(
    arm(SUB_PROD, "rg-integration-prod", "Microsoft.Web/sites", "edi-connector-web"),
    "edi-connector-web",
    "Microsoft.Web/sites",
    uamis=[ID_EDI],
)
resource(
    arm(SUB_PROD, "rg-data-prod", "Microsoft.DataFactory/factories", "adf-fabrikam-ingest"),
    "adf-fabrikam-ingest",
    "Microsoft.DataFactory/factories",
    system=True,
    uamis=[ID_DATA],
)
resource(
    arm(SUB_PROD, "rg-data-prod", "Microsoft.Web/sites", "func-lake-ingest"),
    "func-lake-ingest",
    "Microsoft.Web/sites",
    uamis=[ID_DATA],
)
resource(
    arm(SUB_PLATFORM, "rg-platform-shared", "Microsoft.Automation/automationAccounts", "aa-fabrikam-runbooks"),
    "aa-fabrikam-runbooks",
    "Microsoft.Automation/automationAccounts",
    system=True,
    uamis=[ID_KV_READER],
)
resource(
    arm(SUB_PLATFORM, "rg-platform-aks", "Microsoft.ContainerService/managedClusters", "aks-platform-prod"),
    "aks-platform-prod",
    "Microsoft.ContainerService/managedClusters",
    location="northeurope",
    system=True,
)
resource(
    arm(SUB_NONPROD, "rg-orders-dev", "Microsoft.Web/sites", "orders-web-dev"),
    "orders-web-dev",
    "Microsoft.Web/sites",
    system=True,
)
resource(
    arm(SUB_NONPROD, "rg-devbox", "Microsoft.Compute/virtualMachines", "vm-jumpbox-01"),
    "vm-jumpbox-01",
    "Microsoft.Compute/virtualMachines",
    location="northeurope",
    system=True,
)

# ---- App registrations (and their service principals) --------------------------------------

app(
    "payroll-api",
    created=-1210,
    secrets=[secret("payroll-prod-2025", 5, life=180)],
    fics=[
        github(
            "payroll-production",
            "repo:fabrikam/payroll:environment:production",
            description="GitHub Actions deployments to the production environment",
        )
    ],
)
app(
    "orders-web",
    created=-1460,
    secrets=[secret("orders-web-prod", 210, life=365)],
    certs=[cert("orders-web.fabrikam-logistics.example", 300, life=730)],
)
app(
    "invoice-worker",
    created=-1000,
    secrets=[
        secret("invoice-worker-2024", -3, life=365),
        secret("invoice-worker-2025", 362, life=365),
    ],
)
app(
    "github-deploy-infra",
    created=-520,
    secrets=[secret("bootstrap-do-not-use", -120, life=90)],
    fics=[
        github(
            "infra-main",
            "repo:fabrikam/infra:ref:refs/heads/main",
            description="Terraform apply from the main branch",
        ),
        fic(
            "infra-any-branch",
            GITHUB,
            expression="claims['sub'] matches 'repo:fabrikam/infra:ref:refs/heads/*'",
            description="Flexible FIC: plan on every branch",
        ),
    ],
)
app(
    "web-frontend-ci",
    created=-400,
    fics=[
        github("web-pull-requests", "repo:fabrikam/web:pull_request"),
        github("web-main", "repo:fabrikam/web:ref:refs/heads/main"),
    ],
)
app(
    "driver-app-release",
    created=-300,
    fics=[github("driver-app-v1-2-0", "repo:fabrikam/driver-app:ref:refs/tags/v1.2.0")],
)
app(
    "payments-api",
    created=-640,
    certs=[cert("payments-api.fabrikam-logistics.example", 420, life=730)],
    fics=[
        github(
            "payments-api-main",
            "repo:fabrikam@5544123/payments-api@821093847:ref:refs/heads/main",
            description="Immutable owner/repository ids (GitHub's new subject format)",
        )
    ],
)
app(
    "aks-shipments",
    created=-880,
    secrets=[secret("shipments-api-k8s-secret", 140, life=365)],
    fics=[k8s("aks-shipments-prod-api", AKS_SHIPMENTS, "shipments", "shipments-api")],
)
PLATFORM_NAMESPACES = [
    "analytics", "billing", "cert-manager", "customs", "external-dns", "fleet",
    "ingress-nginx", "invoices", "keda", "monitoring", "notifications", "orders",
    "payroll", "pricing", "returns", "routing", "tracking", "warehouse", "yard",
]  # fmt: skip
app(
    "aks-platform-workloads",
    created=-450,
    fics=[
        k8s(f"aks-platform-prod-{ns}", AKS_PLATFORM, ns, "workload-identity-sa")
        for ns in PLATFORM_NAMESPACES
    ],
)
app(
    "customs-edi-connector",
    audience="AzureADMultipleOrgs",
    created=-560,
    fics=[
        fic(
            "mi-id-edi-connector",
            ENTRA_ISSUER,
            PRINCIPAL["id-edi-connector"],
            description="Managed identity id-edi-connector as a federated credential",
        )
    ],
)
app(
    "carrier-portal-connector",
    audience="AzureADMultipleOrgs",
    created=-900,
    secrets=[
        secret("carrier-portal-2025", 19, life=365),
        secret("carrier-portal-2026", 340, life=365),
    ],
)
app(
    "legacy-ftp-bridge",
    created=-2400,
    secrets=[
        secret(None, -430, life=730, hint=False, key="initial"),
        secret("ftp-bridge-forever", "never", start=-1500),
    ],
)
app(
    "gitlab-analytics-ci",
    created=-350,
    fics=[
        fic(
            "gitlab-analytics-main",
            "https://gitlab.com",
            "project_path:fabrikam-group/analytics:ref_type:branch:ref:main",
        )
    ],
)
app(
    "terraform-cloud-landing-zones",
    created=-610,
    fics=[
        fic(
            "tfc-lz-prod-plan",
            "https://app.terraform.io",
            "organization:fabrikam:project:landing-zones:workspace:lz-prod:run_phase:plan",
        ),
        fic(
            "tfc-lz-prod-apply",
            "https://app.terraform.io",
            "organization:fabrikam:project:landing-zones:workspace:lz-prod:run_phase:apply",
        ),
    ],
)
app(
    "gcp-bigquery-export",
    created=-280,
    fics=[
        fic(
            "gcp-bq-exporter-sa",
            "https://accounts.google.com",
            "113374589223017726458",
            description="Google service account bq-exporter@fabrikam-analytics.iam.gserviceaccount.com",
        )
    ],
)
app(
    "ado-service-connection-prod",
    created=-330,
    fics=[
        fic(
            "ado-logistics-platform-arm-prod",
            f"https://vstoken.dev.azure.com/{gid('ado-org', 'fabrikam')}",
            "sc://fabrikam/logistics-platform/arm-prod",
            description="Azure DevOps service connection",
        )
    ],
)
app(
    "hr-onboarding-sync",
    created=-1100,
    secrets=[secret("hr-sync-24-months", "2027-03-01", start="2025-03-01")],
)
app(
    "fleet-telemetry-api",
    created=-990,
    certs=[
        cert("fleet-telemetry-2025", 40, life=365),
        cert("fleet-telemetry-2026", 360, life=365),
    ],
)
app(
    "customs-declarations-signer",
    created=-760,
    certs=[cert("customs-signer.fabrikam-logistics.example", 18, life=365)],
)
app(
    "edi-as2-gateway",
    created=-1300,
    certs=[cert("as2.fabrikam-logistics.example", -12, life=730)],
)
app(
    "pricing-engine",
    created=-510,
    certs=[cert("pricing-engine", 250, life=365)],
)
app("sharepoint-archive-bot", created=-700, secrets=[secret("archive-bot", 12, life=180)])
app("teams-shift-notifier", created=-380, secrets=[secret("teams-notifier", 27, life=365)])
app(
    "servicenow-incident-bridge",
    created=-820,
    secrets=[secret("snow-bridge-prod", 2, life=365)],
)
app(
    "backup-reporting",
    created=-670,
    secrets=[secret("backup-reporting", 95, life=365)],
    sp_secrets=[secret("sp-reporting-key", 45, life=180)],
)
app("café-menu-sync", created=-220, secrets=[secret("menu-sync", 150, life=365)])
app(
    "fabrikam-logistics-european-warehouse-management-system-integration-prod",
    created=-1050,
    secrets=[secret("wms-eu-integration", 700, life=1095)],
)
app("grafana-azure-monitor", created=-590, secrets=[secret("grafana", 260, life=365)])
app(
    "powerbi-embedded-reports",
    created=-720,
    secrets=[secret("powerbi-embed", 80, life=365)],
    certs=[cert("powerbi-embedded.fabrikam-logistics.example", 500, life=730)],
)
app(
    "carrier-rates-scraper",
    created=-940,
    secrets=[secret("rates-scraper", -60, life=365)],
    sp_enabled=False,
)
app("mobile-driver-app", created=-800)
app(
    "warehouse-scanner-sync",
    created=-1400,
    secrets=[
        secret(None, 400, life=730, key="initial"),
        secret("scanner-2025", 230, life=365),
    ],
)
app(
    "sap-erp-connector",
    created=-1700,
    secrets=[
        secret("sap-2023", -200, life=365),
        secret("sap-2024", 170, life=365),
        secret("sap-2025-24m", 520, life=730),
    ],
    sp_secrets=[secret(None, 300, life=365, key="sp-initial")],
)
app(
    "routing-optimizer",
    created=-460,
    secrets=[secret("routing-prod", 55, life=180)],
    fics=[github("routing-main", "repo:fabrikam/routing:ref:refs/heads/main")],
)
app(
    "tracking-api",
    created=-420,
    fics=[
        github("tracking-main", "repo:fabrikam/tracking:ref:refs/heads/main"),
        github("tracking-staging", "repo:fabrikam/tracking:environment:staging"),
    ],
)
app("customer-notifications", created=-600, secrets=[secret("notifications-prod", 6, life=365)])
# FICs with the mistakes Entra accepts at creation and that only fail at token exchange.
app(
    "mobile-api-ci",
    created=-240,
    fics=[
        github("mobile-api-pull-requests", "repo:fabrikam/mobile-api:pull-request"),
        fic(
            "mobile-api-main",
            GITHUB + "/",
            "repo:fabrikam/mobile-api:ref:refs/heads/main",
            description="Issuer copied from prose with a trailing slash",
        ),
        fic(
            "mobile-api-release",
            GITHUB,
            "repo:fabrikam/mobile-api:ref:refs/tags/release",
            description="Audience left at GitHub's default",
            audiences=["https://github.com/fabrikam"],
        ),
        github("mobile-api-nightly", "repo:fabrikam/mobile-api:ref:nightly"),
    ],
)
# The same trust added twice under two names.
app(
    "returns-portal-deploy",
    created=-310,
    fics=[
        github("returns-portal-production", "repo:fabrikam/returns-portal:environment:production"),
        github("returns-portal-prod-deploy", "repo:fabrikam/returns-portal:environment:production"),
    ],
)
# A managed identity as FIC that cannot work: the subject is a system-assigned identity.
app(
    "invoice-archive-exporter",
    created=-200,
    fics=[
        fic(
            "mi-func-invoices",
            ENTRA_ISSUER,
            PRINCIPAL["mi:func-invoices"],
            description="System-assigned identity of func-invoices",
        )
    ],
)
# An Application Proxy app: its secrets are created and rotated by App Proxy itself.
app(
    "intranet-app-proxy",
    created=-900,
    secrets=[
        secret(None, -25, life=365, key="app-proxy-1"),
        secret(None, 340, life=365, key="app-proxy-2"),
    ],
    sp_tags=["WindowsAzureActiveDirectoryOnPremApp", "WindowsAzureActiveDirectoryIntegratedApp"],
)
# App registrations without a service principal in this tenant.
app("payroll-api-sandbox", created=-150, secrets=[secret("sandbox", 70, life=90)], sp=False)
app("old-intranet-poc", created=-2100, sp=False)
app(
    "test-app-do-not-delete",
    created=-1800,
    secrets=[secret(None, -610, life=365, hint=False, key="initial")],
    sp=False,
)

# ---- Service principals with no app registration here ---------------------------------------

third_party_sp("Northwind Cloud Monitoring", "northwind")
third_party_sp("Contoso Freight Rates", "contoso")
third_party_sp(
    "Tailwind HR Cloud",
    "tailwind",
    # A SAML SSO gallery app: the SP holds its own signing certificate and its password.
    secrets=[secret(None, 640, life=1095, key="saml-signing")],
    certs=[
        cert("Microsoft Azure Federated SSO Certificate", 640, life=1095, usage="Sign"),
        cert("Microsoft Azure Federated SSO Certificate", 640, life=1095, usage="Verify"),
    ],
)
third_party_sp("Litware Expense Sync", "litware")
# Microsoft's own applications: their credentials are Microsoft's to manage.
first_party_sp(
    "Microsoft Graph",
    "00000003-0000-0000-c000-000000000000",
    certs=[cert("graph.microsoft.com", -40, life=365)],
)
first_party_sp(
    "Office 365 Exchange Online",
    "00000002-0000-0ff1-ce00-000000000000",
    certs=[cert("outlook.office365.com", 4, life=365)],
)
third_party_sp("Adatum Backup as a Service", "adatum")

# A Legacy principal (created with the MSOnline module long ago) with its own secrets.
PRINCIPAL["FabrikamBatchScheduler"] = gid("sp", "FabrikamBatchScheduler")
service_principals.append(
    sp_record(
        "FabrikamBatchScheduler",
        gid("legacy", "FabrikamBatchScheduler", "appId"),
        PRINCIPAL["FabrikamBatchScheduler"],
        sp_type="Legacy",
        owner_org=None,
        secrets=[
            secret(None, -900, life=365, hint=False, key="2022"),
            secret(None, 120, life=730, hint=False, key="2024"),
        ],
    )
)
# A principal type this build does not know: it must be kept as it came.
PRINCIPAL["procurement-assistant-agent"] = gid("sp", "procurement-assistant-agent")
service_principals.append(
    sp_record(
        "procurement-assistant-agent",
        gid("agent", "procurement-assistant-agent", "appId"),
        PRINCIPAL["procurement-assistant-agent"],
        sp_type="AgentIdentity",
    )
)

# ---- Role assignments ------------------------------------------------------------------------

grant("github-deploy-infra", "Owner", sub_scope(SUB_PROD))  # the risky one
grant("terraform-cloud-landing-zones", "Contributor", sub_scope(SUB_PLATFORM))
grant("terraform-cloud-landing-zones", "User Access Administrator", sub_scope(SUB_PLATFORM))
grant("id-terraform-platform", "Contributor", arm(SUB_PLATFORM, "rg-platform-shared"))
grant("id-github-platform-deploy", "Contributor", arm(SUB_PLATFORM, "rg-platform-aks"))
grant("id-github-platform-deploy", "AcrPush", ACR)
grant("payroll-api", "Key Vault Secrets User", KV_PAYROLL)
grant("payroll-api", "Storage Blob Data Contributor", ST_PAYROLL)
grant("mi:app-payroll-api", "Key Vault Secrets User", KV_PAYROLL)
grant("id-payroll-batch", "Storage Blob Data Contributor", ST_PAYROLL)
grant("orders-web", "Reader", arm(SUB_PROD, "rg-orders-prod"))
grant("orders-web", "Azure Service Bus Data Sender", SB_ORDERS)
grant("orders-web", "Key Vault Secrets User", KV_ORDERS)
grant("id-orders-shared", "Key Vault Secrets User", KV_ORDERS)
grant("mi:orders-web", "Storage Blob Data Reader", ST_LAKE)
grant("id-orders-shared", "Azure Service Bus Data Sender", SB_ORDERS)
grant("id-orders-shared", "AcrPull", ACR)
grant("mi:orders-web/slots/staging", "Key Vault Secrets User", KV_ORDERS)
grant("mi:func-order-events", "Azure Service Bus Data Receiver", SB_ORDERS)
grant("mi:vm-orders-batch-01", "Storage Blob Data Reader", ST_LAKE)
grant("invoice-worker", "Storage Queue Data Contributor", ST_INVOICES)
grant("invoice-worker", "Azure Service Bus Data Receiver", SB_ORDERS)
grant("mi:func-invoices", "Storage Blob Data Contributor", ST_INVOICES)
grant("mi:logic-invoice-approvals", "Storage Blob Data Reader", ST_INVOICES)
grant("id-invoices-logic", "Storage Queue Data Contributor", ST_INVOICES)
grant("aks-shipments", "Azure Service Bus Data Sender", SB_SHIPMENTS)
grant("id-shipments-workload", "Azure Service Bus Data Sender", SB_SHIPMENTS)
grant("id-shipments-workload", "Azure Service Bus Data Receiver", SB_SHIPMENTS)
grant("aks-shipments-prod-agentpool", "AcrPull", ACR)
grant("mi:aks-shipments-prod", "Contributor", arm(SUB_PROD, "MC_rg-shipments-prod_aks-shipments-prod_westeurope"))
grant("aks-platform-workloads", "Key Vault Secrets User", KV_PLATFORM)
grant("mi:aks-platform-prod", "Reader", arm(SUB_PLATFORM, "rg-platform-aks"))
grant("legacy-ftp-bridge", "Contributor", arm(SUB_PROD, "rg-legacy-prod"))
grant("legacy-ftp-bridge", "Storage Blob Data Contributor", ST_FTP)
grant("mi:vm-ftp-bridge-01", "Reader", arm(SUB_PROD, "rg-legacy-prod"))
grant("id-data-lake-ingest", "Storage Blob Data Contributor", ST_LAKE)
grant("mi:adf-fabrikam-ingest", "Storage Blob Data Contributor", ST_LAKE)
grant("gcp-bigquery-export", "Storage Blob Data Reader", ST_LAKE)
grant("gitlab-analytics-ci", "Storage Blob Data Contributor", ST_LAKE)
grant("ado-service-connection-prod", "Contributor", arm(SUB_PROD, "rg-orders-prod"))
grant("web-frontend-ci", "Website Contributor", ORDERS_WEB)
grant("web-frontend-ci", "Contributor", arm(SUB_NONPROD, "rg-orders-dev"))
grant("driver-app-release", "AcrPush", ACR)
grant("tracking-api", "AcrPush", ACR)
grant("payments-api", "Key Vault Secrets User", KV_ORDERS)
grant("id-keyvault-reader", "Key Vault Secrets User", KV_PLATFORM)
grant("mi:aa-fabrikam-runbooks", "Virtual Machine Contributor", sub_scope(SUB_NONPROD))
grant("grafana-azure-monitor", "Monitoring Reader", sub_scope(SUB_PROD))
grant("grafana-azure-monitor", "Monitoring Reader", sub_scope(SUB_PLATFORM))
grant("Northwind Cloud Monitoring", "Monitoring Reader", sub_scope(SUB_PROD))
grant("Adatum Backup as a Service", "Reader", sub_scope(SUB_PROD))
grant("FabrikamBatchScheduler", "Contributor", arm(SUB_PROD, "rg-orders-prod"))
grant("sap-erp-connector", "Azure Service Bus Data Sender", SB_ORDERS)
grant("backup-reporting", "Reader", sub_scope(SUB_PROD))
grant("id-edi-connector", "Key Vault Secrets User", KV_ORDERS)
grant("customs-declarations-signer", "Key Vault Crypto User", KV_ORDERS)
grant("mi:orders-web-dev", "Reader", arm(SUB_NONPROD, "rg-orders-dev"))
grant("mi:vm-jumpbox-01", "Reader", sub_scope(SUB_NONPROD))
grant("id-migration-temp", "Contributor", arm(SUB_NONPROD, "rg-orders-dev"))
grant("mi:apim-fabrikam-prod", "Key Vault Secrets User", KV_ORDERS)
grant("mi:sql-fabrikam-orders", "Key Vault Crypto User", KV_ORDERS)
grant("carrier-rates-scraper", "Reader", arm(SUB_NONPROD, "rg-orders-dev"))
grant("routing-optimizer", "Key Vault Secrets Officer", KV_ORDERS)

# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def snapshot() -> dict:
    return {
        "format": "credwise-snapshot",
        "version": 1,
        "tenantId": TENANT_ID,
        "tenantDisplayName": TENANT_NAME,
        "capturedAt": fmt(ANCHOR),
        "source": "demo",
        "cloud": "public",
        "applications": applications,
        "servicePrincipals": service_principals,
        "userAssignedIdentities": user_assigned,
        "resources": resources,
        "roleAssignments": role_assignments,
    }


def render() -> str:
    return json.dumps(snapshot(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    out = pathlib.Path(__file__).resolve().parent.parent / "assets" / "demo-tenant.json"
    text = render()
    if "--check" in argv:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            print(f"{out} is stale: run python3 tools/gen_demo_tenant.py", file=sys.stderr)
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    n_sp = len(service_principals)
    print(
        f"wrote {out}: {len(applications)} apps, {n_sp} service principals, "
        f"{len(user_assigned)} user-assigned MIs, {len(resources)} resources, "
        f"{len(role_assignments)} role assignments"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
