//! Where mail goes: SMTP (`IMGIGO_SMTP_URL`), the file outbox, or (tests) memory.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters, TlsVersion};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::Mail;
use crate::Error;

/// The outbox folder inside the data folder.
pub const OUTBOX_DIR: &str = "outbox";

/// How mail is sent, from the configuration.
#[derive(Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://…:465` (implicit TLS), or
    /// `smtp://127.0.0.1:1025` for a relay on this machine (unencrypted: refused for any other
    /// host); `None` writes `.eml` files to the outbox instead.
    pub smtp_url: Option<String>,
    /// `IMGIGO_SMTP_CA_FILE`: the authorities a private relay's certificate chains to.
    pub smtp_ca_file: Option<PathBuf>,
    /// The sender, such as `imgigo <no-reply@example.com>`.
    pub from: String,
    pub outbox_dir: PathBuf,
    /// `IMGIGO_UNSUBSCRIBE_MAILTO`: offered as `mailto:` in product updates' List-Unsubscribe.
    pub unsubscribe_mailto: Option<String>,
    /// DKIM signing (`IMGIGO_DKIM_*`), when configured.
    pub dkim: Option<DkimSettings>,
}

/// Where the DKIM key is and what it signs as: `d=` domain, `s=` selector, and a file holding an
/// RSA key in PKCS#1 PEM (`openssl genrsa -traditional 2048`) or an Ed25519 seed in base64.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DkimSettings {
    pub domain: String,
    pub selector: String,
    pub key_file: PathBuf,
}

/// The headers a signature covers: the ones a reader sees and the one-click unsubscribe pair,
/// which RFC 8058 wants signed. (Not `Content-Type`: lettre signs before it writes that header.)
const SIGNED_HEADERS: [&str; 8] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
];

impl DkimSettings {
    /// Reads the key; the message says what to fix (never the key).
    fn load(&self) -> Result<DkimConfig, Error> {
        let text = std::fs::read_to_string(&self.key_file).map_err(|err| {
            Error::Setup(format!(
                "cannot read the DKIM key {} (IMGIGO_DKIM_KEY_FILE): {err}",
                self.key_file.display()
            ))
        })?;
        let text = text.trim();
        let algorithm = if text.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
            DkimSigningAlgorithm::Rsa
        } else {
            DkimSigningAlgorithm::Ed25519
        };
        let key = DkimSigningKey::new(text, algorithm).map_err(|_| {
            Error::Setup(format!(
                "the DKIM key {} is neither an RSA key in PKCS#1 PEM (\"BEGIN RSA PRIVATE KEY\"; `openssl genrsa -traditional 2048`) nor a base64 Ed25519 seed",
                self.key_file.display()
            ))
        })?;
        Ok(DkimConfig::new(
            self.selector.clone(),
            self.domain.clone(),
            key,
            SIGNED_HEADERS
                .into_iter()
                .map(HeaderName::new_from_ascii_str)
                .collect(),
            DkimCanonicalization {
                header: DkimCanonicalizationType::Relaxed,
                body: DkimCanonicalizationType::Relaxed,
            },
        ))
    }
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SMTP URL may carry a password: never print it.
        f.debug_struct("MailConfig")
            .field("smtp", &self.smtp_url.as_ref().map(|_| "…"))
            .field("smtp_ca_file", &self.smtp_ca_file)
            .field("from", &self.from)
            .field("outbox_dir", &self.outbox_dir)
            .field("unsubscribe_mailto", &self.unsubscribe_mailto)
            .field("dkim", &self.dkim)
            .finish()
    }
}

impl MailConfig {
    /// Checks the SMTP URL and the sender without connecting; the message says what to fix.
    pub fn validate(&self) -> Result<(), String> {
        self.from
            .parse::<Mailbox>()
            .map_err(|_| "IMGIGO_MAIL_FROM is not a mail address".to_string())?;
        if let Some(url) = &self.smtp_url {
            security(url)?;
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|_| {
                "IMGIGO_SMTP_URL is not a valid smtp:// or smtps:// URL".to_string()
            })?;
            if let Some(path) = &self.smtp_ca_file {
                certificate(path).map_err(|reason| format!("IMGIGO_SMTP_CA_FILE: {reason}"))?;
            }
        }
        if let Some(address) = &self.unsubscribe_mailto {
            address
                .parse::<lettre::Address>()
                .map_err(|_| "IMGIGO_UNSUBSCRIBE_MAILTO is not a mail address".to_string())?;
        }
        Ok(())
    }
}

/// How an SMTP URL connects.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Security {
    /// Unencrypted, to a relay on this machine only.
    Plain,
    /// STARTTLS, required (`smtp://…?tls=required`).
    StartTls(String),
    /// TLS from the first byte (`smtps://…`).
    Implicit(String),
}

/// What `url` asks for; refuses anything that could carry mail (one-time links, receipts)
/// unencrypted across a network: the policy promises TLS 1.3 in transit.
fn security(url: &str) -> Result<Security, String> {
    let parsed = url::Url::parse(url)
        .map_err(|_| "IMGIGO_SMTP_URL is not a valid smtp:// or smtps:// URL".to_string())?;
    let host = match parsed.host() {
        Some(url::Host::Domain(name)) => name.to_string(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => return Err("IMGIGO_SMTP_URL names no host".into()),
    };
    let tls = parsed
        .query_pairs()
        .find(|(key, _)| key == "tls")
        .map(|(_, value)| value.into_owned());
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match (parsed.scheme(), tls.as_deref()) {
        ("smtps", None | Some("required" | "wrapper")) => Ok(Security::Implicit(host)),
        ("smtp", Some("required")) => Ok(Security::StartTls(host)),
        ("smtp", None) if loopback => Ok(Security::Plain),
        ("smtp", None) => Err(format!(
            "IMGIGO_SMTP_URL would send mail unencrypted to {host}: use smtp://…:587?tls=required (STARTTLS) or smtps://…:465 (only a relay on this machine may be reached without TLS)"
        )),
        ("smtp", Some("opportunistic")) => Err(
            "IMGIGO_SMTP_URL: tls=opportunistic would send mail unencrypted whenever the server offers no STARTTLS; use tls=required".into(),
        ),
        _ => Err("IMGIGO_SMTP_URL is not a valid smtp:// or smtps:// URL (tls= may only be required)".into()),
    }
}

/// The certificates in the PEM file at `path`.
fn certificate(path: &Path) -> Result<Certificate, String> {
    let pem =
        std::fs::read(path).map_err(|err| format!("cannot read {} ({err})", path.display()))?;
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(format!("{} holds no PEM certificate", path.display()));
    }
    Certificate::from_pem(&pem)
        .map_err(|_| format!("{} holds no usable PEM certificate", path.display()))
}

/// The SMTP transport for `url`: TLS 1.3 at least, verified against the public web roots or
/// `ca_file`'s authorities, a 20 s timeout, a pool of connections.
fn smtp(url: &str, ca_file: Option<&Path>) -> Result<AsyncSmtpTransport<Tokio1Executor>, Error> {
    let unusable = |reason: String| Error::Setup(reason);
    let security = security(url).map_err(unusable)?;
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|_| unusable("IMGIGO_SMTP_URL is not usable".into()))?
        .timeout(Some(std::time::Duration::from_secs(20)));
    let parameters = |host: String| -> Result<TlsParameters, Error> {
        let mut parameters = TlsParameters::builder(host).set_min_tls_version(TlsVersion::Tlsv13);
        if let Some(path) = ca_file {
            parameters = parameters.add_root_certificate(
                certificate(path)
                    .map_err(|reason| unusable(format!("IMGIGO_SMTP_CA_FILE: {reason}")))?,
            );
        }
        parameters
            .build()
            .map_err(|_| unusable("IMGIGO_SMTP_URL: TLS cannot be set up for this host".into()))
    };
    builder = match security {
        Security::Plain => builder,
        Security::StartTls(host) => builder.tls(Tls::Required(parameters(host)?)),
        Security::Implicit(host) => builder.tls(Tls::Wrapper(parameters(host)?)),
    };
    Ok(builder.build())
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(AsyncFileTransport<Tokio1Executor>, PathBuf),
    Memory(Arc<Mutex<Vec<Mail>>>),
}

pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    unsubscribe_mailto: Option<String>,
    dkim: Option<DkimConfig>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.transport {
            Transport::Smtp(_) => "Mailer(smtp)",
            Transport::Outbox(..) => "Mailer(outbox)",
            Transport::Memory(_) => "Mailer(memory)",
        })
    }
}

impl Mailer {
    pub fn from_config(config: &MailConfig) -> Result<Self, Error> {
        let from = config
            .from
            .parse::<Mailbox>()
            .map_err(|_| Error::Internal("IMGIGO_MAIL_FROM is not a mail address".into()))?;
        let transport = match &config.smtp_url {
            Some(url) => Transport::Smtp(smtp(url, config.smtp_ca_file.as_deref())?),
            None => Transport::Outbox(
                AsyncFileTransport::new(&config.outbox_dir),
                config.outbox_dir.clone(),
            ),
        };
        let dkim = config.dkim.as_ref().map(DkimSettings::load).transpose()?;
        Ok(Self {
            transport,
            from,
            unsubscribe_mailto: config.unsubscribe_mailto.clone(),
            dkim,
        })
    }

    /// A mailer that keeps what it sends, for tests to read.
    pub fn memory(from: &str) -> (Self, Arc<Mutex<Vec<Mail>>>) {
        let sent = Arc::new(Mutex::new(Vec::new()));
        let from = from.parse::<Mailbox>().unwrap_or_else(|_| {
            Mailbox::new(
                None,
                "imgigo@localhost"
                    .parse()
                    .unwrap_or_else(|_| unreachable!()),
            )
        });
        (
            Self {
                transport: Transport::Memory(sent.clone()),
                from,
                unsubscribe_mailto: None,
                dkim: None,
            },
            sent,
        )
    }

    pub fn kind(&self) -> &'static str {
        match self.transport {
            Transport::Smtp(_) => "smtp",
            Transport::Outbox(..) => "outbox",
            Transport::Memory(_) => "memory",
        }
    }

    /// Sends one mail now (tests and tools; the application queues mail in the outbox, whose
    /// sender calls [`Mailer::deliver`]).
    pub async fn send(&self, mail: Mail) -> Result<(), Error> {
        self.deliver(&mail, None)
            .await
            .map_err(|failure| Error::Internal(failure.reason))
    }

    /// Delivers one mail under `message_id` (the same for every attempt of one outbox row, so a
    /// receiver can tell a repeat). The failure says whether trying again can help, in words
    /// that never hold the address or the content (an SMTP reply may quote the address).
    pub async fn deliver(&self, mail: &Mail, message_id: Option<String>) -> Result<(), Failure> {
        let message = self.message(mail, message_id).map_err(|err| Failure {
            permanent: true,
            reason: err.to_string(),
        })?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(|_| ())
                .map_err(|err| Failure::of_smtp(&err)),
            Transport::Outbox(outbox, dir) => {
                ensure_dir(dir).map_err(|err| Failure {
                    permanent: false,
                    reason: err.to_string(),
                })?;
                outbox.send(message).await.map(|_| ()).map_err(|_| Failure {
                    permanent: false,
                    reason: "cannot write to the file outbox".into(),
                })
            }
            Transport::Memory(sent) => {
                sent.lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push(mail.clone());
                Ok(())
            }
        }
    }

    fn message(&self, mail: &Mail, message_id: Option<String>) -> Result<Message, Error> {
        let to = mail
            .to
            .parse::<Mailbox>()
            .map_err(|_| Error::Internal("a mail's recipient is not an address".into()))?;
        let mut builder = Message::builder()
            .message_id(message_id)
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject);
        // RFC 2369 and RFC 8058 (one click), on product updates only.
        if let Some(url) = &mail.unsubscribe {
            let mut value = format!("<{url}>");
            if let Some(address) = &self.unsubscribe_mailto {
                value.push_str(&format!(", <mailto:{address}?subject=unsubscribe>"));
            }
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    value,
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_string(),
                ));
        }
        let mut message = builder
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|err| Error::Internal(format!("cannot build a mail: {err}")))?;
        if let Some(dkim) = &self.dkim {
            message.sign(dkim);
        }
        Ok(message)
    }
}

/// Why a delivery failed: whether trying again can help, and a reason for the admin page and the
/// logs (no address, no content).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub permanent: bool,
    pub reason: String,
}

impl Failure {
    fn of_smtp(err: &lettre::transport::smtp::Error) -> Self {
        let code = err
            .status()
            .map(|code| format!(" ({code})"))
            .unwrap_or_default();
        let (permanent, reason) = if err.is_permanent() {
            (
                true,
                format!("the SMTP server refused the mail for good{code}"),
            )
        } else if err.is_transient() {
            (
                false,
                format!("the SMTP server asked to try again later{code}"),
            )
        } else if err.is_timeout() {
            (false, "the SMTP server did not answer in time".to_string())
        } else if let Some(reason) = tls_trouble(err) {
            (false, reason)
        } else if err.is_tls() {
            (
                false,
                "the TLS handshake with the SMTP server failed".to_string(),
            )
        } else {
            (false, "cannot reach the SMTP server".to_string())
        };
        Self { permanent, reason }
    }
}

/// What went wrong in a TLS handshake, when the error (or one it wraps) says: lettre reports a
/// refused certificate as a connection error.
fn tls_trouble(err: &lettre::transport::smtp::Error) -> Option<String> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = next {
        let inner = current
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        if let Some(tls) = inner.unwrap_or(current).downcast_ref::<rustls::Error>() {
            return Some(match tls {
                rustls::Error::InvalidCertificate(_) => "the TLS handshake with the SMTP server failed: its certificate is not trusted (unknown authority, another name, or expired; a private relay's authority goes in IMGIGO_SMTP_CA_FILE)".into(),
                rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion)
                | rustls::Error::PeerIncompatible(_) => "the TLS handshake with the SMTP server failed: it does not offer TLS 1.3".into(),
                _ => "the TLS handshake with the SMTP server failed".into(),
            });
        }
        // A server that will not go as high as TLS 1.3 often just hangs up (tokio-rustls: "tls
        // handshake eof").
        if inner.is_some_and(|inner| inner.to_string().contains("tls handshake")) {
            return Some(
                "the TLS handshake with the SMTP server failed: it hung up (it may not offer TLS 1.3)"
                    .into(),
            );
        }
        next = inner
            .and_then(std::error::Error::source)
            .or_else(|| current.source());
    }
    None
}

impl Mailer {
    /// The sender's domain (for Message-IDs).
    pub fn domain(&self) -> &str {
        self.from.email.domain()
    }
}

/// How long an undelivered `.eml` may stay in the file outbox: whoever reads the outbox by hand
/// has had a week; after that the mail (and the address in it) goes.
pub const OUTBOX_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 60 * 60);

impl Mailer {
    /// Deletes outbox files last written more than [`OUTBOX_MAX_AGE`] before `now`; returns how
    /// many. Mailers that keep no files delete nothing.
    pub async fn purge_outbox(&self, now: std::time::SystemTime) -> Result<u64, Error> {
        let Some(dir) = self.outbox_dir() else {
            return Ok(0);
        };
        let Some(before) = now.checked_sub(OUTBOX_MAX_AGE) else {
            return Ok(0);
        };
        blocking(move || purge_older_than(&dir, before)).await
    }

    /// Deletes the outbox files addressed to `email` (an erased account's mail must not outlive
    /// it); returns how many.
    pub async fn purge_outbox_to(&self, email: &str) -> Result<u64, Error> {
        let Some(dir) = self.outbox_dir() else {
            return Ok(0);
        };
        let email = email.to_string();
        blocking(move || purge_addressed_to(&dir, &email)).await
    }

    fn outbox_dir(&self) -> Option<PathBuf> {
        match &self.transport {
            Transport::Outbox(_, dir) => Some(dir.clone()),
            _ => None,
        }
    }
}

async fn blocking(job: impl FnOnce() -> Result<u64, Error> + Send + 'static) -> Result<u64, Error> {
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|err| Error::Internal(format!("outbox purge failed: {err}")))?
}

/// The outbox's `.eml` files (none when the folder does not exist yet).
fn outbox_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(outbox_error(dir, err)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|err| outbox_error(dir, err))?.path();
        if path.extension().is_some_and(|ext| ext == "eml") && path.is_file() {
            files.push(path);
        }
    }
    Ok(files)
}

/// Removes a mail file and the envelope lettre may have written beside it.
fn remove_mail(path: &Path) -> Result<(), Error> {
    std::fs::remove_file(path).map_err(|err| outbox_error(path, err))?;
    match std::fs::remove_file(path.with_extension("json")) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(outbox_error(path, err)),
        _ => Ok(()),
    }
}

fn outbox_error(path: &Path, err: std::io::Error) -> Error {
    Error::Internal(format!("outbox {}: {err}", path.display()))
}

fn purge_older_than(dir: &Path, before: std::time::SystemTime) -> Result<u64, Error> {
    let mut removed = 0;
    for path in outbox_files(dir)? {
        let modified = std::fs::metadata(&path)
            .and_then(|meta| meta.modified())
            .map_err(|err| outbox_error(&path, err))?;
        if modified < before {
            remove_mail(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

fn purge_addressed_to(dir: &Path, email: &str) -> Result<u64, Error> {
    let mut removed = 0;
    for path in outbox_files(dir)? {
        let bytes = std::fs::read(&path).map_err(|err| outbox_error(&path, err))?;
        if recipients(&String::from_utf8_lossy(&bytes))
            .iter()
            .any(|to| to.eq_ignore_ascii_case(email.trim()))
        {
            remove_mail(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// The addresses in a message's `To:` header (unfolded; `Name <a@b>` or bare `a@b`).
fn recipients(message: &str) -> Vec<String> {
    let mut header: Option<String> = None;
    for line in message.lines() {
        if line.is_empty() {
            break;
        }
        match &mut header {
            // A folded header continues on lines that start with white space.
            Some(value) if line.starts_with([' ', '\t']) => value.push_str(line),
            Some(_) => break,
            None => {
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("to")
                {
                    header = Some(value.to_string());
                }
            }
        }
    }
    // Commas inside a quoted display name do not separate addresses.
    let (mut parts, mut current, mut quoted) = (Vec::new(), String::new(), false);
    for c in header.unwrap_or_default().chars() {
        match c {
            ',' if !quoted => parts.push(std::mem::take(&mut current)),
            _ => {
                quoted ^= c == '"';
                current.push(c);
            }
        }
    }
    parts.push(current);
    parts
        .iter()
        .map(|part| {
            let part = part.trim();
            match (part.rfind('<'), part.rfind('>')) {
                (Some(open), Some(close)) if open < close => part[open + 1..close].trim(),
                _ => part,
            }
            .to_string()
        })
        .filter(|address| !address.is_empty())
        .collect()
}

fn ensure_dir(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|err| {
        Error::Internal(format!("cannot create the outbox {}: {err}", dir.display()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_come_from_the_to_header_only() {
        let message = "From: imgigo <no-reply@imgigo.test>\r\nTo: \"Ada, L.\"\r\n <Ada@Example.com>, bob@example.com\r\nSubject: To: eve@example.com\r\n\r\nTo: mallory@example.com\r\n";
        assert_eq!(recipients(message), ["Ada@Example.com", "bob@example.com"]);
        assert!(recipients("Subject: hi\r\n\r\nTo: eve@example.com").is_empty());
    }
}
