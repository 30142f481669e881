/** The PKI module: CA, certificate and CRL generation (PEM in, PEM out). See README.md. */
export {
  CA_VALIDITY_DAYS_DEFAULT, CERT_VALIDITY_DAYS_DEFAULT, createCa, createSelfSignedCert, issueCert,
  type CertUsage, type CertificateAuthority, type CreateCaOptions, type IssueCertOptions, type IssuedCertificate,
} from './certs.js';
export { createCrl, normaliseSerialHex, revokedSerials } from './crl.js';
export { readCertificate, type CertificateInfo } from './info.js';
export { KEY_TYPE_DEFAULT, type KeyType } from './keys.js';
export { ensureSelfSignedFiles, type CertKeyFiles } from './self-signed-files.js';
export { resolveAutoTls, type AutoTlsResult } from './auto-tls.js';
