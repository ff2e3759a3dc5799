//! Account mail over a real SMTP server on loopback (aiosmtpd) and into the file outbox: every kind
//! of mail arrives with its subject, recipient, and a plain-text and an HTML part.

use services::mail::{MailConfig, Mailer, templates};
use services::testing::SmtpSink;

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
        unsubscribe_mailto: None,
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
        unsubscribe_mailto: None,
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
        unsubscribe_mailto: None,
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
