//! A throw-away certificate authority and server certificate for TLS test servers (rcgen).

use crate::{DbError, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

/// The PEM files of a test PKI.
#[derive(Debug, Clone)]
pub(crate) struct TlsFiles {
    /// The CA certificate (what clients trust).
    pub(crate) ca: PathBuf,
    /// The server certificate, signed by the CA.
    pub(crate) cert: PathBuf,
    /// The server's private key (mode 0600, owned by the server's user).
    pub(crate) key: PathBuf,
}

fn cert_error(e: rcgen::Error) -> DbError {
    DbError::invalid("test certificate", e.to_string())
}

/// Writes a fresh CA and a server certificate for `names` (DNS names or IP addresses) into
/// `dir`; with `owner`, the files are given to that uid/gid (PostgreSQL refuses a key it
/// does not own, or one readable by others).
pub(crate) fn write_test_pki(
    dir: &Path,
    names: &[&str],
    owner: Option<(u32, u32)>,
) -> Result<TlsFiles> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(cert_error)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "mcp-ops throw-away test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().map_err(cert_error)?;
    let ca_cert = ca_params.self_signed(&ca_key).map_err(cert_error)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let owned: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(owned).map_err(cert_error)?;
    if let Some(first) = names.first() {
        params.distinguished_name.push(DnType::CommonName, *first);
    }
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate().map_err(cert_error)?;
    let cert = params.signed_by(&key, &issuer).map_err(cert_error)?;

    std::fs::create_dir_all(dir).map_err(DbError::io("creating the TLS directory"))?;
    let files = TlsFiles {
        ca: dir.join("ca.crt"),
        cert: dir.join("server.crt"),
        key: dir.join("server.key"),
    };
    write(&files.ca, &ca_cert.pem(), 0o644, owner)?;
    write(&files.cert, &cert.pem(), 0o644, owner)?;
    write(&files.key, &key.serialize_pem(), 0o600, owner)?;
    Ok(files)
}

fn write(path: &Path, text: &str, mode: u32, owner: Option<(u32, u32)>) -> Result<()> {
    let context = || format!("writing {}", path.display());
    std::fs::write(path, text).map_err(DbError::io(context()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(DbError::io(context()))?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(DbError::io(context()))?;
    }
    Ok(())
}
