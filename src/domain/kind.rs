//! The four kinds of workload identity credwise lists, named as on the CLI (`--kind`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityKind {
    Application,
    ServicePrincipal,
    UserAssignedManagedIdentity,
    SystemAssignedManagedIdentity,
}

impl IdentityKind {
    pub const ALL: [IdentityKind; 4] = [
        Self::Application,
        Self::ServicePrincipal,
        Self::UserAssignedManagedIdentity,
        Self::SystemAssignedManagedIdentity,
    ];

    /// The CLI and JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Application => "application",
            Self::ServicePrincipal => "service-principal",
            Self::UserAssignedManagedIdentity => "user-assigned-managed-identity",
            Self::SystemAssignedManagedIdentity => "system-assigned-managed-identity",
        }
    }

    /// The plural heading used in the navigation pane.
    pub fn title(self) -> &'static str {
        match self {
            Self::Application => "App registrations",
            Self::ServicePrincipal => "Service principals",
            Self::UserAssignedManagedIdentity => "User-assigned MIs",
            Self::SystemAssignedManagedIdentity => "System-assigned MIs",
        }
    }

    /// The short tag used in list rows.
    pub fn short(self) -> &'static str {
        match self {
            Self::Application => "app",
            Self::ServicePrincipal => "sp",
            Self::UserAssignedManagedIdentity => "uami",
            Self::SystemAssignedManagedIdentity => "sami",
        }
    }

    /// Parses the CLI name and the short aliases (`app`, `sp`, `uami`, `sami`, plurals).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        Some(match s.as_str() {
            "application" | "applications" | "app" | "apps" => Self::Application,
            "service-principal" | "service-principals" | "sp" | "sps" => Self::ServicePrincipal,
            "user-assigned-managed-identity" | "uami" | "uamis" | "user-assigned" => {
                Self::UserAssignedManagedIdentity
            }
            "system-assigned-managed-identity" | "sami" | "samis" | "system-assigned" => {
                Self::SystemAssignedManagedIdentity
            }
            _ => return None,
        })
    }
}

impl std::fmt::Display for IdentityKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in IdentityKind::ALL {
            assert_eq!(IdentityKind::parse(k.as_str()), Some(k));
            assert_eq!(IdentityKind::parse(k.short()), Some(k));
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
        }
        assert_eq!(IdentityKind::parse("nope"), None);
    }
}
