//! Credentials as Graph and ARM describe them: client secrets (`passwordCredentials`),
//! certificates (`keyCredentials`) and federated identity credentials.
//!
//! No type here has a field that could hold a secret value, a private key or a token: a
//! secret's `secretText` exists only in the `addPassword` response and is dropped at the wire
//! boundary, and a certificate's public `key` blob is not kept either (the audit needs only its
//! metadata).

use super::shared_str::SharedStr;
use serde::{Deserialize, Serialize};

use super::Timestamp;

/// The three credential types, with the names used on the CLI and on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialType {
    Secret,
    Certificate,
    Federated,
}

impl CredentialType {
    pub const ALL: [CredentialType; 3] = [Self::Secret, Self::Certificate, Self::Federated];

    /// The CLI and JSON name (`secret`, `certificate`, `federated`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secret => "secret",
            Self::Certificate => "certificate",
            Self::Federated => "federated",
        }
    }

    /// The short label used in narrow table columns.
    pub fn short(self) -> &'static str {
        match self {
            Self::Secret => "sec",
            Self::Certificate => "cert",
            Self::Federated => "fic",
        }
    }
}

impl std::fmt::Display for CredentialType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A client secret's metadata (`passwordCredential`). The value itself is never available.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordCredential {
    pub key_id: SharedStr,
    /// Older secrets have none (`az ad app list` shows `null`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The first three characters of the secret, as Graph returns them; not a secret itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_date_time: Option<Timestamp>,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub end_date_time: Option<Timestamp>,
}

/// A certificate's metadata (`keyCredential`), without the public key blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyCredential {
    pub key_id: SharedStr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Graph's `customKeyIdentifier`: by default the SHA-1 thumbprint, base64-encoded in JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_key_identifier: Option<String>,
    /// `AsymmetricX509Cert`, `X509CertAndPassword`, `Symmetric`…
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub key_type: Option<SharedStr>,
    /// `Verify`, `Sign`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<SharedStr>,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_date_time: Option<Timestamp>,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub end_date_time: Option<Timestamp>,
}

impl KeyCredential {
    /// The thumbprint as the portal shows it (upper-case hex), decoded from
    /// `customKeyIdentifier`, which Graph sends base64-encoded and `az` sometimes as hex.
    pub fn thumbprint(&self) -> Option<String> {
        let raw = self.custom_key_identifier.as_deref()?.trim();
        if raw.is_empty() {
            return None;
        }
        let is_hex = raw.len() % 2 == 0 && raw.bytes().all(|b| b.is_ascii_hexdigit());
        if is_hex && (raw.len() == 40 || raw.len() == 64) {
            return Some(raw.to_ascii_uppercase());
        }
        match decode_base64(raw) {
            Some(bytes) if bytes.len() == 20 || bytes.len() == 32 => {
                Some(bytes.iter().map(|b| format!("{b:02X}")).collect())
            }
            // Not a thumbprint (a custom identifier): show it as it came.
            _ => Some(raw.to_string()),
        }
    }
}

/// Standard base64 (Graph's Edm.Binary), with or without padding, and its URL-safe
/// alphabet; surrounding blanks are ignored. `None` when `s` is not base64. The one decoder:
/// thumbprints here, a certificate's DER in the live backend.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        })
    }
    let trimmed = s.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in trimmed.bytes() {
        acc = (acc << 6) | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// A federated identity credential on an application or a user-assigned managed identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FederatedIdentityCredential {
    /// Graph's id; ARM FICs are keyed by `name` alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// 3–120 characters, URL-friendly, immutable; the FIC's alternate key.
    pub name: String,
    pub issuer: String,
    /// Absent on flexible FICs, which carry `claimsMatchingExpression` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The flexible-FIC expression (beta/preview), e.g.
    /// `claims['sub'] matches 'repo:contoso/api:ref:refs/heads/*'`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims_matching_expression: Option<String>,
    #[serde(default)]
    pub audiences: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl FederatedIdentityCredential {
    /// What the FIC matches: its subject, or its claims expression.
    pub fn matcher(&self) -> &str {
        self.subject
            .as_deref()
            .or(self.claims_matching_expression.as_deref())
            .unwrap_or("")
    }
}

/// The credentials one object holds (an application, a service principal, or a user-assigned
/// identity's federated credentials): what a backend reads when a migration must know what
/// the identity can still sign in with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectCredentials {
    pub passwords: Vec<PasswordCredential>,
    pub keys: Vec<KeyCredential>,
    pub federated: Vec<FederatedIdentityCredential>,
}

impl ObjectCredentials {
    /// The client secret with key id `key_id` (Graph's GUIDs, in any case).
    pub fn secret(&self, key_id: &str) -> Option<&PasswordCredential> {
        self.passwords
            .iter()
            .find(|p| p.key_id.eq_ignore_ascii_case(key_id))
    }

    /// The certificate with key id `key_id` (in any case).
    pub fn certificate(&self, key_id: &str) -> Option<&KeyCredential> {
        self.keys
            .iter()
            .find(|k| k.key_id.eq_ignore_ascii_case(key_id))
    }

    /// The federated credential named `name` (names are unique per object).
    pub fn federated_named(&self, name: &str) -> Option<&FederatedIdentityCredential> {
        self.federated.iter().find(|f| f.name == name)
    }
}

/// A borrowed view of any credential, for uniform tables and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialRef<'a> {
    Secret(&'a PasswordCredential),
    Certificate(&'a KeyCredential),
    Federated(&'a FederatedIdentityCredential),
}

impl<'a> CredentialRef<'a> {
    pub fn credential_type(&self) -> CredentialType {
        match self {
            Self::Secret(_) => CredentialType::Secret,
            Self::Certificate(_) => CredentialType::Certificate,
            Self::Federated(_) => CredentialType::Federated,
        }
    }

    /// The credential's id: `keyId` for secrets and certificates, `name` for FICs.
    pub fn id(&self) -> &'a str {
        match self {
            Self::Secret(c) => &c.key_id,
            Self::Certificate(c) => &c.key_id,
            Self::Federated(c) => &c.name,
        }
    }

    pub fn display_name(&self) -> Option<&'a str> {
        match self {
            Self::Secret(c) => c.display_name.as_deref(),
            Self::Certificate(c) => c.display_name.as_deref(),
            Self::Federated(c) => Some(&c.name),
        }
    }

    pub fn start(&self) -> Option<super::Timestamp> {
        match self {
            Self::Secret(c) => c.start_date_time,
            Self::Certificate(c) => c.start_date_time,
            Self::Federated(_) => None,
        }
    }

    /// FICs never expire: they hold no secret.
    pub fn end(&self) -> Option<super::Timestamp> {
        match self {
            Self::Secret(c) => c.end_date_time,
            Self::Certificate(c) => c.end_date_time,
            Self::Federated(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(cki: &str) -> KeyCredential {
        KeyCredential {
            key_id: "k".into(),
            display_name: None,
            custom_key_identifier: Some(cki.into()),
            key_type: None,
            usage: None,
            start_date_time: None,
            end_date_time: None,
        }
    }

    #[test]
    fn thumbprint_from_base64_sha1() {
        // 20 bytes 0x00..0x13 in base64.
        assert_eq!(
            cert("AAECAwQFBgcICQoLDA0ODxAREhM=").thumbprint().as_deref(),
            Some("000102030405060708090A0B0C0D0E0F10111213")
        );
    }

    #[test]
    fn base64_is_decoded_in_both_alphabets_padded_or_not() {
        // "hello?>" holds 0x3f and 0x3e, so its encodings differ between the alphabets.
        let want = b"hello?>".to_vec();
        assert_eq!(decode_base64("aGVsbG8/Pg==").as_ref(), Some(&want));
        assert_eq!(decode_base64(" aGVsbG8/Pg\n").as_ref(), Some(&want));
        assert_eq!(decode_base64("aGVsbG8_Pg").as_ref(), Some(&want));
        assert_eq!(decode_base64("aGVs bG8="), None);
        assert_eq!(decode_base64("my-cert!"), None);
    }

    #[test]
    fn thumbprint_from_hex_is_upper_cased() {
        let hex = "52ed9b5038a47b9e2e2190715cc238359d4f8f73";
        assert_eq!(cert(hex).thumbprint(), Some(hex.to_ascii_uppercase()));
    }

    #[test]
    fn custom_identifier_that_is_not_a_thumbprint_is_kept() {
        assert_eq!(cert("my-cert!").thumbprint().as_deref(), Some("my-cert!"));
    }

    #[test]
    fn fic_matcher_prefers_subject() {
        let mut f = FederatedIdentityCredential {
            id: None,
            name: "n".into(),
            issuer: "i".into(),
            subject: None,
            claims_matching_expression: Some("claims['sub'] matches 'x*'".into()),
            audiences: vec![],
            description: None,
        };
        assert_eq!(f.matcher(), "claims['sub'] matches 'x*'");
        f.subject = Some("repo:a/b:pull_request".into());
        assert_eq!(f.matcher(), "repo:a/b:pull_request");
    }
}
