//! Certificates for secret → certificate: generate a self-signed RSA-2048 certificate (rcgen)
//! and write its private key (PEM with the certificate, and PKCS#12) as new 0600 files, or read
//! the user's certificate (PEM, PFX or DER) for its public part. What leaves this module for a
//! plan is `CertificateInfo`: the public certificate and where the files are. The private key
//! lives only in `PrivateKey`, which has no `Debug`, `Display` or `Serialize` and is dropped
//! once written.
//!
//! May import `domain`, `store`, rcgen, p12-keystore, x509-parser and the filesystem.

use std::path::{Path, PathBuf};

use sha1::Digest;

use crate::domain::Timestamp;
use crate::domain::migration::{CertificateInfo, add_months};
use crate::store::key_files::{self, KeyFileError};

/// The environment variable holding the PFX passphrase (none when unset).
pub const PFX_PASSWORD_ENV: &str = "CREDWISE_PFX_PASSWORD";

#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("cannot generate the certificate: {0}")]
    Generate(String),
    #[error("--certificate {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
}

/// A generated private key, in the two forms written to disk. Deliberately without `Debug`.
pub struct PrivateKey {
    /// The certificate followed by the PKCS#8 private key, PEM.
    pem: String,
    /// PKCS#12 with the certificate and key.
    pfx: Vec<u8>,
}

/// The PFX passphrase from `CREDWISE_PFX_PASSWORD` (empty: none).
pub fn pfx_password() -> Option<String> {
    std::env::var(PFX_PASSWORD_ENV)
        .ok()
        .filter(|p| !p.is_empty())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The public facts of a DER certificate (not yet placed in files).
fn info_of(der: &[u8], generated: bool) -> Result<CertificateInfo, String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| format!("not an X.509 certificate: {e}"))?;
    match cert.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) if rsa.key_size() >= 2048 => {}
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
            return Err(format!(
                "an RSA key of {} bits; Entra ID needs RSA 2048 or more",
                rsa.key_size()
            ));
        }
        _ => {
            return Err(
                "not an RSA certificate; Entra ID certificate credentials are RSA (2048 bits or more)"
                    .into(),
            );
        }
    }
    let subject = cert.subject().to_string();
    let validity = cert.validity();
    Ok(CertificateInfo {
        der_base64: azure_core::base64::encode(der),
        thumbprint: hex(&sha1::Sha1::digest(der)),
        thumbprint_sha256: hex(&sha2::Sha256::digest(der)),
        subject: if subject.is_empty() {
            "(no subject)".into()
        } else {
            subject
        },
        not_before: validity.not_before.to_datetime(),
        not_after: validity.not_after.to_datetime(),
        generated,
        key_file: None,
        pfx_file: None,
        cert_file: None,
    })
}

/// Generates a self-signed RSA-2048 certificate `CN=common_name`, valid from five minutes
/// before `now` for `months` months.
pub fn generate(
    common_name: &str,
    months: u32,
    now: Timestamp,
    pfx_password: Option<&str>,
) -> Result<(CertificateInfo, PrivateKey), CertificateError> {
    let fail = |e: &dyn std::fmt::Display| CertificateError::Generate(e.to_string());
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).map_err(|e| fail(&e))?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| fail(&e))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    params.not_before = now - time::Duration::minutes(5);
    params.not_after = add_months(now, months);
    let cert = params.self_signed(&key).map_err(|e| fail(&e))?;
    let der: &[u8] = cert.der();
    let info = info_of(der, true).map_err(|e| fail(&e))?;
    let sha1 = sha1::Sha1::digest(der);
    let chain = p12_keystore::PrivateKeyChain::new(
        sha1.to_vec(),
        p12_keystore::PrivateKey::from_der(&key.serialize_der()).map_err(|e| fail(&e))?,
        [p12_keystore::Certificate::from_der(der).map_err(|e| fail(&e))?],
    );
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry(
        common_name,
        p12_keystore::KeyStoreEntry::PrivateKeyChain(chain),
    );
    let pfx = store
        .writer(pfx_password.unwrap_or(""))
        .write()
        .map_err(|e| fail(&e))?;
    let pem = format!("{}{}", cert.pem(), key.serialize_pem());
    Ok((info, PrivateKey { pem, pfx }))
}

/// Writes the key files into `dir` (refusing to overwrite anything) and records their paths
/// in `info`: `<base>.pem` (certificate + private key), `<base>.pfx`, `<base>.crt` (public).
pub fn write_key_files(
    dir: &Path,
    base: &str,
    info: &mut CertificateInfo,
    key: PrivateKey,
) -> Result<(), CertificateError> {
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let cert_pem = key
        .pem
        .split("-----END CERTIFICATE-----")
        .next()
        .map(|c| format!("{c}-----END CERTIFICATE-----\n"))
        .unwrap_or_default();
    let files = vec![
        (format!("{base}.pem"), key.pem.as_bytes()),
        (format!("{base}.pfx"), key.pfx.as_slice()),
        (format!("{base}.crt"), cert_pem.as_bytes()),
    ];
    let paths = key_files::write_new(&dir, &files)?;
    let s = |p: &PathBuf| p.display().to_string();
    info.key_file = paths.first().map(s);
    info.pfx_file = paths.get(1).map(s);
    info.cert_file = paths.get(2).map(s);
    Ok(())
}

/// A file-name base for a generated certificate: the common name and the thumbprint's start.
pub fn file_base(common_name: &str, info: &CertificateInfo) -> String {
    let name: String = common_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_matches('-');
    let name = if name.is_empty() { "certificate" } else { name };
    let short: String = name.chars().take(60).collect();
    format!(
        "credwise-{short}-{}",
        info.thumbprint[..8].to_ascii_lowercase()
    )
}

/// Reads the public certificate of the user's PEM, PFX or DER file. A PEM may also hold the
/// private key: it is not read. A PFX is opened with `pfx_password` (or none).
pub fn read_user_certificate(
    path: &Path,
    pfx_password: Option<&str>,
) -> Result<CertificateInfo, CertificateError> {
    let read_err = |message: String| CertificateError::Read {
        path: path.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| read_err(e.to_string()))?;
    let der: Vec<u8> = if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        x509_parser::pem::Pem::iter_from_buffer(&bytes)
            .filter_map(Result::ok)
            .find(|p| p.label == "CERTIFICATE")
            .map(|p| p.contents)
            .ok_or_else(|| read_err("a PEM file without a CERTIFICATE block".into()))?
    } else if x509_parser::parse_x509_certificate(&bytes).is_ok() {
        bytes
    } else {
        let archive = p12_keystore::Pkcs12Archive::from_pkcs12(&bytes, pfx_password.unwrap_or(""))
            .map_err(|e| {
                read_err(format!(
                    "neither a PEM, a DER certificate nor a PFX it can open ({e}); a protected PFX needs {PFX_PASSWORD_ENV}"
                ))
            })?;
        // The certificate that belongs to the key, else the first one.
        let key_ids: Vec<Vec<u8>> = archive
            .keys
            .iter()
            .filter_map(|k| k.local_key_id.as_ref().map(|id| id.as_ref().to_vec()))
            .collect();
        let leaf = archive
            .certs
            .iter()
            .find(|c| {
                c.local_key_id
                    .as_ref()
                    .is_some_and(|id| key_ids.contains(id))
            })
            .or_else(|| archive.certs.first())
            .ok_or_else(|| read_err("a PFX without a certificate".into()))?;
        leaf.cert.as_der().to_vec()
    };
    info_of(&der, false).map_err(read_err)
}

/// The certificate a secret-to-certificate run uploads, as the CLI and the TUI get it after
/// the user confirmed: the user's file read (`form.certificate`), or a new certificate
/// generated for `display_name` with its key files written to `form.key_out` (refusing to
/// overwrite). The PFX passphrase comes from `CREDWISE_PFX_PASSWORD`.
pub fn prepare(
    form: &crate::domain::migration::CertificateForm,
    display_name: &str,
    now: Timestamp,
) -> Result<CertificateInfo, CertificateError> {
    let password = pfx_password();
    if !form.generates() {
        return read_user_certificate(Path::new(form.certificate.trim()), password.as_deref());
    }
    let cn = form.common_name_for(display_name);
    let (mut info, key) = generate(&cn, form.validity(), now, password.as_deref())?;
    let dir = PathBuf::from(form.key_out.trim());
    write_key_files(&dir, &file_base(&cn, &info), &mut info, key)?;
    Ok(info)
}
