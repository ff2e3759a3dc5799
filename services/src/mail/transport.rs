//! Where mail goes: SMTP (`IMGIGO_SMTP_URL`), the file outbox, or (tests) memory.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::Mail;
use crate::Error;

/// The outbox folder inside the data folder.
pub const OUTBOX_DIR: &str = "outbox";

/// How mail is sent, from the configuration.
#[derive(Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// `smtp://user:pass@host:587?tls=required`, `smtps://…:465`, or `smtp://127.0.0.1:1025` for a
    /// local relay; `None` writes `.eml` files to the outbox instead.
    pub smtp_url: Option<String>,
    /// The sender, such as `imgigo <no-reply@example.com>`.
    pub from: String,
    pub outbox_dir: PathBuf,
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SMTP URL may carry a password: never print it.
        f.debug_struct("MailConfig")
            .field("smtp", &self.smtp_url.as_ref().map(|_| "…"))
            .field("from", &self.from)
            .field("outbox_dir", &self.outbox_dir)
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
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|_| {
                "IMGIGO_SMTP_URL is not a valid smtp:// or smtps:// URL".to_string()
            })?;
        }
        Ok(())
    }
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(AsyncFileTransport<Tokio1Executor>, PathBuf),
    Memory(Arc<Mutex<Vec<Mail>>>),
}

pub struct Mailer {
    transport: Transport,
    from: Mailbox,
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
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|_| Error::Internal("IMGIGO_SMTP_URL is not usable".into()))?
                    .timeout(Some(std::time::Duration::from_secs(20)))
                    .build(),
            ),
            None => Transport::Outbox(
                AsyncFileTransport::new(&config.outbox_dir),
                config.outbox_dir.clone(),
            ),
        };
        Ok(Self { transport, from })
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

    /// Sends one mail now.
    pub async fn send(&self, mail: Mail) -> Result<(), Error> {
        let message = self.message(&mail)?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(|_| ())
                .map_err(|err| Error::Internal(format!("SMTP delivery failed: {err}"))),
            Transport::Outbox(outbox, dir) => {
                ensure_dir(dir)?;
                outbox
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|err| Error::Internal(format!("cannot write to the outbox: {err}")))
            }
            Transport::Memory(sent) => {
                sent.lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push(mail);
                Ok(())
            }
        }
    }

    /// Sends on a task of its own: the caller's answer does not wait for (or reveal) delivery.
    /// Failures are logged with the mail's kind only, never the address.
    pub fn send_in_background(self: &Arc<Self>, mail: Mail) {
        let mailer = self.clone();
        tokio::spawn(async move {
            let kind = mail.kind;
            match mailer.send(mail).await {
                Ok(()) => tracing::info!(kind, transport = mailer.kind(), "mail sent"),
                Err(err) => tracing::warn!(kind, error = %err, "mail not sent"),
            }
        });
    }

    fn message(&self, mail: &Mail) -> Result<Message, Error> {
        let to = mail
            .to
            .parse::<Mailbox>()
            .map_err(|_| Error::Internal("a mail's recipient is not an address".into()))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|err| Error::Internal(format!("cannot build a mail: {err}")))
    }
}

fn ensure_dir(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|err| {
        Error::Internal(format!("cannot create the outbox {}: {err}", dir.display()))
    })
}
