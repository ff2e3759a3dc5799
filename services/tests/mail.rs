//! Account mail over a real SMTP server on loopback (aiosmtpd) and into the file outbox: every kind
//! of mail arrives with its subject, recipient, and a plain-text and an HTML part.

use services::mail::{MailConfig, Mailer, templates};
use services::testing::{SmtpSink, SmtpTls, TestCertificates};

fn all_kinds(to: &str) -> Vec<templates::Mail> {
    vec![
        templates::verify_email(to, "Ada", "https://imgigo.test/verify?token=abc", 48),
        templates::already_registered(
            to,
            "Ada",
            "https://imgigo.test/login",
            "https://imgigo.test/forgot",
        ),
        templates::password_reset(to, "Ada", "https://imgigo.test/reset?token=abc", 60),
        templates::password_changed(to, "Ada", "https://imgigo.test/forgot"),
        templates::confirm_new_email(to, "Ada", "https://imgigo.test/account/email?token=abc", 24),
        templates::email_changed(to, "Ada", "new@example.org", "https://imgigo.test/forgot"),
        templates::api_key_created(
            to,
            "Ada",
            "laptop",
            "imgigo_AbCdEf",
            "https://imgigo.test/account",
        ),
    ]
}

fn unfold(raw: &str) -> String {
    // Quoted-printable soft line breaks and header folding, enough to search the text.
    raw.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

#[tokio::test]
async fn every_account_mail_goes_through_smtp_with_text_and_html() {
    let sink = SmtpSink::start();
    let mailer = Mailer::from_config(&MailConfig {
        smtp_url: Some(sink.url()),
        from: "imgigo <no-reply@imgigo.test>".into(),
        outbox_dir: std::env::temp_dir(),
        smtp_ca_file: None,
        unsubscribe_mailto: None,
        dkim: None,
    })
    .expect("mailer");
    assert_eq!(mailer.kind(), "smtp");
    let mails = all_kinds("ada@example.com");
    for mail in &mails {
        mailer.send(mail.clone()).await.expect("sent over SMTP");
    }
    for mail in &mails {
        let raw = sink
            .wait_for(|raw| raw.contains(&format!("Subject: {}", mail.subject)))
            .await;
        let text = unfold(&raw);
        assert!(text.contains("To: ada@example.com"), "{raw}");
        assert!(
            text.contains("From: imgigo <no-reply@imgigo.test>"),
            "{raw}"
        );
        assert!(text.contains("multipart/alternative"), "{raw}");
        assert!(text.contains("Content-Type: text/plain"), "{raw}");
        assert!(text.contains("Content-Type: text/html"), "{raw}");
        assert!(text.contains("Hello Ada,"), "{raw}");
    }
    let reset = sink
        .wait_for(|raw| raw.contains("Subject: Choose a new imgigo password"))
        .await;
    assert!(unfold(&reset).contains("https://imgigo.test/reset?token=abc"));
}

#[tokio::test]
async fn without_smtp_mail_lands_in_the_outbox_as_eml_files() {
    let dir = tempfile::tempdir().expect("dir");
    let outbox = dir.path().join("outbox");
    let mailer = Mailer::from_config(&MailConfig {
        smtp_url: None,
        from: "imgigo <no-reply@localhost>".into(),
        outbox_dir: outbox.clone(),
        smtp_ca_file: None,
        unsubscribe_mailto: None,
        dkim: None,
    })
    .expect("mailer");
    assert_eq!(mailer.kind(), "outbox");
    mailer
        .send(templates::verify_email(
            "ada@example.com",
            "Ada",
            "http://127.0.0.1:3000/verify?token=xyz",
            48,
        ))
        .await
        .expect("written");
    let files: Vec<_> = std::fs::read_dir(&outbox)
        .expect("outbox exists")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].extension().and_then(|e| e.to_str()), Some("eml"));
    let raw = std::fs::read_to_string(&files[0]).expect("read");
    assert!(unfold(&raw).contains("http://127.0.0.1:3000/verify?token=xyz"));
}

#[tokio::test]
async fn an_unreachable_smtp_server_is_an_error_not_a_hang() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let mailer = Mailer::from_config(&MailConfig {
        smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
        from: "imgigo <no-reply@imgigo.test>".into(),
        outbox_dir: std::env::temp_dir(),
        smtp_ca_file: None,
        unsubscribe_mailto: None,
        dkim: None,
    })
    .expect("mailer");
    let err = mailer
        .send(templates::password_changed(
            "ada@example.com",
            "Ada",
            "https://x/forgot",
        ))
        .await
        .expect_err("nobody listens");
    assert_eq!(err.kind(), services::ErrorKind::Internal);
}

fn tls_mailer(sink: &SmtpSink, ca_file: Option<&std::path::Path>) -> Mailer {
    Mailer::from_config(&MailConfig {
        smtp_url: Some(sink.url()),
        smtp_ca_file: ca_file.map(std::path::Path::to_path_buf),
        from: "imgigo <no-reply@imgigo.test>".into(),
        outbox_dir: std::env::temp_dir(),
        unsubscribe_mailto: None,
        dkim: None,
    })
    .expect("mailer")
}

/// Submission over STARTTLS (the sink refuses mail before it) and over implicit TLS, to a relay
/// whose certificate chains to a private authority named by `IMGIGO_SMTP_CA_FILE`.
#[tokio::test]
async fn mail_goes_over_starttls_and_implicit_tls_to_a_relay_with_a_private_ca() {
    let certificates = TestCertificates::new();
    for tls in [SmtpTls::StartTls, SmtpTls::Implicit] {
        let sink = SmtpSink::start_tls(tls, &certificates);
        let mail = templates::password_reset(
            "ada@example.com",
            "Ada",
            "https://imgigo.test/reset?token=secret-link",
            60,
        );
        tls_mailer(&sink, Some(&certificates.ca))
            .deliver(&mail, None)
            .await
            .unwrap_or_else(|failure| panic!("{tls:?}: {failure:?}"));
        let raw = sink
            .wait_for(|raw| raw.contains("To: ada@example.com"))
            .await;
        assert!(unfold(&raw).contains("reset?token=secret-link"), "{tls:?}");
    }

    // The STARTTLS sink really insists: a client that never starts TLS is refused.
    let sink = SmtpSink::start_tls(SmtpTls::StartTls, &certificates);
    let plain = Mailer::from_config(&MailConfig {
        smtp_url: Some(format!("smtp://127.0.0.1:{}", sink.port)),
        smtp_ca_file: None,
        from: "imgigo <no-reply@imgigo.test>".into(),
        outbox_dir: std::env::temp_dir(),
        unsubscribe_mailto: None,
        dkim: None,
    })
    .expect("mailer");
    plain
        .deliver(
            &templates::password_changed("ada@example.com", "Ada", "https://x/forgot"),
            None,
        )
        .await
        .expect_err("no mail without STARTTLS");
    assert!(sink.messages().is_empty());
}

/// A relay whose certificate no trusted authority signed, or that cannot speak TLS 1.3, gets no
/// mail: the delivery fails (to be retried), saying it was the TLS handshake.
#[tokio::test]
async fn an_untrusted_certificate_or_a_relay_without_tls_1_3_gets_no_mail() {
    let certificates = TestCertificates::new();
    let mail = templates::password_changed("ada@example.com", "Ada", "https://x/forgot");
    for tls in [SmtpTls::StartTls, SmtpTls::Implicit] {
        let sink = SmtpSink::start_tls(tls, &certificates);
        let failure = tls_mailer(&sink, None)
            .deliver(&mail, None)
            .await
            .expect_err("the public roots do not know the test CA");
        assert!(!failure.permanent, "{tls:?}: {failure:?}");
        assert!(
            failure.reason.contains("certificate is not trusted"),
            "{tls:?}: {failure:?}"
        );
        let other = TestCertificates::new();
        tls_mailer(&sink, Some(&other.ca))
            .deliver(&mail, None)
            .await
            .expect_err("another authority's certificate is not this relay's");
        assert!(sink.messages().is_empty());
    }
    let old = SmtpSink::start_tls(SmtpTls::StartTlsUpTo12, &certificates);
    let failure = tls_mailer(&old, Some(&certificates.ca))
        .deliver(&mail, None)
        .await
        .expect_err("TLS 1.2 is not enough");
    assert!(!failure.permanent, "{failure:?}");
    assert!(
        failure.reason.contains("TLS handshake") && failure.reason.contains("TLS 1.3"),
        "{failure:?}"
    );
    assert!(old.messages().is_empty());
}

/// dkimpy's verdict on the message in argv[1] with the DNS record argv[2] (the maildir keeps bare
/// line feeds; SMTP carried CRLF).
const DKIM_VERIFY: &str = "import sys, dkim; m = open(sys.argv[1], 'rb').read().replace(b'\\r\\n', b'\\n').replace(b'\\n', b'\\r\\n'); r = sys.argv[2].encode(); print(dkim.verify(m, dnsfunc=lambda name, timeout=5: r))";

/// Signs with a fresh RSA key and checks the received mail with dkimpy (the key's DNS record is
/// handed to it directly): a transactional mail and a product update with its one-click headers.
#[tokio::test]
async fn dkim_signatures_verify_and_cover_the_one_click_headers() {
    let dir = tempfile::tempdir().expect("dir");
    let key = dir.path().join("dkim.pem");
    let made = std::process::Command::new("openssl")
        .args(["genrsa", "-traditional", "-out"])
        .arg(&key)
        .arg("2048")
        .output()
        .expect("openssl");
    assert!(made.status.success(), "{made:?}");
    let public = std::process::Command::new("openssl")
        .args(["rsa", "-pubout", "-outform", "DER", "-in"])
        .arg(&key)
        .output()
        .expect("openssl");
    assert!(public.status.success());
    use base64::Engine as _;
    let record = format!(
        "v=DKIM1; k=rsa; p={}",
        base64::engine::general_purpose::STANDARD.encode(&public.stdout)
    );

    let sink = SmtpSink::start();
    let mailer = Mailer::from_config(&MailConfig {
        smtp_url: Some(sink.url()),
        from: "imgigo <no-reply@imgigo.test>".into(),
        outbox_dir: std::env::temp_dir(),
        smtp_ca_file: None,
        unsubscribe_mailto: None,
        dkim: Some(services::mail::DkimSettings {
            domain: "imgigo.test".into(),
            selector: "mail2026".into(),
            key_file: key.clone(),
        }),
    })
    .expect("mailer");
    mailer
        .send(templates::password_changed(
            "ada@example.com",
            "Ada",
            "https://imgigo.test/forgot",
        ))
        .await
        .expect("sent");
    let mut update = templates::password_changed("bob@example.com", "Bob", "https://imgigo.test/");
    update.subject = "News".into();
    update.unsubscribe = Some("https://imgigo.test/mail/unsubscribe?t=1.2.abc".into());
    mailer.send(update).await.expect("sent");

    for (to, signed) in [
        (
            "ada@example.com",
            "from:to:subject:date:message-id:mime-version",
        ),
        ("bob@example.com", "list-unsubscribe:list-unsubscribe-post"),
    ] {
        let raw = sink
            .wait_for(|raw| raw.contains(&format!("To: {to}")))
            .await;
        let header = raw
            .replace("\r\n", "\n")
            .replace("\n ", " ")
            .replace("\n\t", " ");
        let signature = header
            .lines()
            .find(|line| line.starts_with("DKIM-Signature:"))
            .expect("a DKIM-Signature header")
            .to_ascii_lowercase()
            .replace(' ', "");
        assert!(signature.contains("d=imgigo.test;") && signature.contains("s=mail2026;"));
        assert!(signature.contains(signed), "{signature}");
        let file = dir.path().join(format!("{to}.eml"));
        std::fs::write(&file, &raw).expect("write");
        let verified = std::process::Command::new(SmtpSink::python())
            .args(["-c", DKIM_VERIFY])
            .arg(&file)
            .arg(&record)
            .output()
            .expect("python with dkimpy (`make setup`)");
        assert_eq!(
            String::from_utf8_lossy(&verified.stdout).trim(),
            "True",
            "{}",
            String::from_utf8_lossy(&verified.stderr)
        );
        // A changed body no longer verifies: the check can fail.
        std::fs::write(&file, raw.replace("Hello", "Jello")).expect("write");
        let tampered = std::process::Command::new(SmtpSink::python())
            .args(["-c", DKIM_VERIFY])
            .arg(&file)
            .arg(&record)
            .output()
            .expect("python");
        assert_eq!(String::from_utf8_lossy(&tampered.stdout).trim(), "False");
    }
}

#[test]
fn a_dkim_key_that_cannot_be_read_stops_the_start_with_what_to_fix() {
    let dir = tempfile::tempdir().expect("dir");
    let key = dir.path().join("not-a-key.pem");
    std::fs::write(&key, "hello").expect("write");
    for file in [key, dir.path().join("missing.pem")] {
        let err = Mailer::from_config(&MailConfig {
            smtp_url: None,
            from: "imgigo <no-reply@imgigo.test>".into(),
            outbox_dir: std::env::temp_dir(),
            smtp_ca_file: None,
            unsubscribe_mailto: None,
            dkim: Some(services::mail::DkimSettings {
                domain: "imgigo.test".into(),
                selector: "s".into(),
                key_file: file,
            }),
        })
        .expect_err("no key");
        assert!(err.to_string().contains("DKIM key"), "{err}");
    }
}
