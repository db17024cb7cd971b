//! The endpoints of each Azure cloud credwise can talk to: Microsoft Graph, Azure Resource
//! Manager, the Entra login host and the audience of federated identity credentials, with the
//! token scopes that go with them (reference §1.1, §6.4). One table, so a sovereign cloud is
//! one `--cloud` switch and never a scattered host name.
//!
//! Imports only the domain's `Cloud`.

use crate::domain::Cloud;

/// Everything that differs between clouds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloudEndpoints {
    pub cloud: Cloud,
    /// Graph root, without the version segment.
    pub graph: &'static str,
    /// ARM root.
    pub arm: &'static str,
    /// The Entra authority host (`https://…`), for `az login`-style hints and issuers.
    pub login: &'static str,
    /// The `audiences` value of a federated identity credential in this cloud.
    pub fic_audience: &'static str,
    /// The token scope for Graph.
    pub graph_scope: &'static str,
    /// The token scope for ARM.
    pub arm_scope: &'static str,
}

impl CloudEndpoints {
    pub fn of(cloud: Cloud) -> Self {
        match cloud {
            Cloud::Public => Self {
                cloud,
                graph: "https://graph.microsoft.com",
                arm: "https://management.azure.com",
                login: "https://login.microsoftonline.com",
                fic_audience: "api://AzureADTokenExchange",
                graph_scope: "https://graph.microsoft.com/.default",
                arm_scope: "https://management.azure.com/.default",
            },
            Cloud::Usgov => Self {
                cloud,
                graph: "https://graph.microsoft.us",
                arm: "https://management.usgovcloudapi.net",
                login: "https://login.microsoftonline.us",
                fic_audience: "api://AzureADTokenExchangeUSGov",
                graph_scope: "https://graph.microsoft.us/.default",
                arm_scope: "https://management.usgovcloudapi.net/.default",
            },
            Cloud::China => Self {
                cloud,
                graph: "https://microsoftgraph.chinacloudapi.cn",
                arm: "https://management.chinacloudapi.cn",
                login: "https://login.chinacloudapi.cn",
                fic_audience: "api://AzureADTokenExchangeChina",
                graph_scope: "https://microsoftgraph.chinacloudapi.cn/.default",
                arm_scope: "https://management.chinacloudapi.cn/.default",
            },
        }
    }

    /// The name `az cloud set --name` knows this cloud by, for sign-in hints.
    pub fn az_cloud_name(&self) -> &'static str {
        match self.cloud {
            Cloud::Public => "AzureCloud",
            Cloud::Usgov => "AzureUSGovernment",
            Cloud::China => "AzureChinaCloud",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cloud_has_https_hosts_and_matching_scopes() {
        for cloud in [Cloud::Public, Cloud::Usgov, Cloud::China] {
            let e = CloudEndpoints::of(cloud);
            for host in [e.graph, e.arm, e.login] {
                assert!(host.starts_with("https://"), "{host}");
            }
            assert_eq!(e.graph_scope, format!("{}/.default", e.graph));
            assert_eq!(e.arm_scope, format!("{}/.default", e.arm));
            assert!(e.fic_audience.starts_with("api://AzureADTokenExchange"));
            // The Entra issuer host of the cloud is one the domain recognises.
            let login_host = e.login.trim_start_matches("https://");
            assert!(
                cloud.entra_issuer_hosts().contains(&login_host),
                "{cloud:?}"
            );
        }
        assert_eq!(
            CloudEndpoints::of(Cloud::Usgov).fic_audience,
            "api://AzureADTokenExchangeUSGov"
        );
    }
}
