//! The seed passages the findings cite: each rule's reason, quoted from `docs/seeds/`.

/// A seed passage: the file under `docs/seeds/` and a verbatim substring of it.
#[derive(Clone, Copy)]
pub(super) struct Cite {
    pub(super) seed: &'static str,
    pub(super) section: &'static str,
}

pub(super) const SEED_000: &str = "000_551eab9194109a8d.txt";
pub(super) const SEED_001: &str = "001_2945f96ca3742079.txt";
pub(super) const SEED_002: &str = "002_266b9969444d8f64.txt";
pub(super) const SEED_003: &str = "003_a9cdbd4cfc1da392.txt";
pub(super) const SEED_004: &str = "004_fe3a017d48f9b0bd.txt";

pub(super) const CITE_OUTAGES: Cite = Cite {
    seed: SEED_004,
    section: "Manual handling of secrets and certificates are a known source of security issues and outages.",
};
pub(super) const CITE_NO_ROTATION: Cite = Cite {
    seed: SEED_003,
    section: "No auto-rotation",
};
pub(super) const CITE_CERT_STRONGER: Cite = Cite {
    seed: SEED_000,
    section: "Certificate-based client credentials are more secure than secret keys.",
};
pub(super) const CITE_FEDERATION: Cite = Cite {
    seed: SEED_001,
    section: "Workload identity federation allows an external app to access Microsoft Entra protected resources without managing secrets.",
};
pub(super) const CITE_ACROSS_TENANTS: Cite = Cite {
    seed: SEED_001,
    section: "Using a managed identity as a federated identity credential allows your Azure hosted workload to access Microsoft Entra protected resources across tenants without managing secrets.",
};
pub(super) const CITE_SP_CERTIFICATES: Cite = Cite {
    seed: SEED_002,
    section: "Unlike client secrets, client certificates cannot accidentally be embedded in code.",
};
pub(super) const CITE_FIC_LIMIT: Cite = Cite {
    seed: SEED_004,
    section: "There's a limit of 20 FICs when using managed identities as FIC on an Entra ID App.",
};
pub(super) const CITE_FIC_PROVIDERS: Cite = Cite {
    seed: SEED_003,
    section: "For federation with other Identity Providers (e.g. GitHub) or federation with Azure Managed Identity",
};
pub(super) const CITE_MI_FIC: Cite = Cite {
    seed: SEED_004,
    section: "Use managed identity as a Federated Identity Credential (FIC) on an Entra ID app",
};
pub(super) const CITE_SP_PER_TENANT: Cite = Cite {
    seed: SEED_002,
    section: "A service principal is created in (local to) each tenant where the application is used",
};
pub(super) const CITE_NOT_FOR_PRODUCTION: Cite = Cite {
    seed: SEED_003,
    section: "Not for production",
};
pub(super) const CITE_EXPOSED: Cite = Cite {
    seed: SEED_001,
    section: "If exposed, these credentials could be used to gain unauthorized access to sensitive information",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_sections_are_not_empty() {
        for c in [
            CITE_OUTAGES,
            CITE_NO_ROTATION,
            CITE_CERT_STRONGER,
            CITE_FEDERATION,
            CITE_ACROSS_TENANTS,
            CITE_SP_CERTIFICATES,
            CITE_FIC_LIMIT,
            CITE_FIC_PROVIDERS,
            CITE_MI_FIC,
            CITE_SP_PER_TENANT,
            CITE_NOT_FOR_PRODUCTION,
            CITE_EXPOSED,
        ] {
            assert!(c.seed.ends_with(".txt") && !c.section.is_empty());
        }
    }
}
