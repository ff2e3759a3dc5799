//! The account mails. Each is a short plain-text part and the same words as simple HTML (names and
//! addresses escaped). Links are absolute, built from `IMGIGO_PUBLIC_URL`.

use html_escape::{encode_double_quoted_attribute, encode_text};

/// One mail, before it becomes a MIME message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    /// What kind of mail this is, for logs, the outbox and tests (never the address).
    pub kind: std::borrow::Cow<'static, str>,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The one-click unsubscribe URL of a product update (`List-Unsubscribe`); transactional
    /// mail has none and never carries the header.
    pub unsubscribe: Option<String>,
}

/// Lines of a mail: paragraphs, with at most one link each.
enum Line<'a> {
    Text(String),
    Link { label: &'a str, url: &'a str },
}

fn compose(kind: &'static str, to: &str, subject: &str, name: &str, lines: &[Line<'_>]) -> Mail {
    let mut text = format!("Hello {name},\n\n");
    let mut html = format!(
        "<!DOCTYPE html><html><body style=\"font-family:sans-serif;line-height:1.5\"><p>Hello {},</p>",
        encode_text(name)
    );
    for line in lines {
        match line {
            Line::Text(sentence) => {
                text.push_str(sentence);
                text.push_str("\n\n");
                html.push_str(&format!("<p>{}</p>", encode_text(sentence)));
            }
            Line::Link { label, url } => {
                text.push_str(&format!("{label}:\n{url}\n\n"));
                html.push_str(&format!(
                    "<p><a href=\"{}\">{}</a></p>",
                    encode_double_quoted_attribute(url),
                    encode_text(label)
                ));
            }
        }
    }
    text.push_str("— imgigo\n");
    html.push_str("<p>— imgigo</p></body></html>");
    Mail {
        kind: kind.into(),
        to: to.to_string(),
        subject: subject.to_string(),
        text,
        html,
        unsubscribe: None,
    }
}

pub fn verify_email(to: &str, name: &str, link: &str, hours: i64) -> Mail {
    compose(
        "verify_email",
        to,
        "Confirm your email address for imgigo",
        name,
        &[
            Line::Text(
                "Thanks for creating an imgigo account. Please confirm that this address is yours:"
                    .into(),
            ),
            Line::Link {
                label: "Confirm my email address",
                url: link,
            },
            Line::Text(format!(
                "The link works once and for {hours} hours. If you did not sign up, ignore this mail: an account that is never confirmed is deleted after 7 days."
            )),
        ],
    )
}

/// Sent instead of a second account when someone registers with an address that has one.
pub fn already_registered(to: &str, name: &str, login: &str, forgot: &str) -> Mail {
    compose(
        "already_registered",
        to,
        "You already have an imgigo account",
        name,
        &[
            Line::Text("Someone (probably you) tried to create an imgigo account with this address, which already has one. No new account was made.".into()),
            Line::Link { label: "Log in", url: login },
            Line::Link { label: "Forgot your password? Choose a new one", url: forgot },
            Line::Text("If this wasn't you, you can ignore this mail.".into()),
        ],
    )
}

pub fn password_reset(to: &str, name: &str, link: &str, minutes: i64) -> Mail {
    compose(
        "password_reset",
        to,
        "Choose a new imgigo password",
        name,
        &[
            Line::Text(
                "We received a request to reset the password of your imgigo account.".into(),
            ),
            Line::Link {
                label: "Choose a new password",
                url: link,
            },
            Line::Text(format!(
                "The link works once and for {minutes} minutes. If you did not ask for it, ignore this mail: your password stays as it is."
            )),
        ],
    )
}

pub fn password_changed(to: &str, name: &str, forgot: &str) -> Mail {
    compose(
        "password_changed",
        to,
        "Your imgigo password was changed",
        name,
        &[
            Line::Text("The password of your imgigo account was just changed, and every other session was signed out.".into()),
            Line::Text("If you did not do this, choose a new password at once:".into()),
            Line::Link { label: "Reset my password", url: forgot },
        ],
    )
}

pub fn confirm_new_email(to: &str, name: &str, link: &str, hours: i64) -> Mail {
    compose(
        "confirm_new_email",
        to,
        "Confirm your new email address for imgigo",
        name,
        &[
            Line::Text(
                "You asked to use this address for your imgigo account. Please confirm it:".into(),
            ),
            Line::Link {
                label: "Use this address",
                url: link,
            },
            Line::Text(format!(
                "The link works once and for {hours} hours. Until then your account keeps its old address."
            )),
        ],
    )
}

/// Sent to the old address once the new one is confirmed.
pub fn email_changed(to: &str, name: &str, new_email: &str, forgot: &str) -> Mail {
    compose(
        "email_changed",
        to,
        "Your imgigo email address was changed",
        name,
        &[
            Line::Text(format!(
                "Your imgigo account now uses {} instead of this address.",
                mask_email(new_email)
            )),
            Line::Text(
                "If you did not do this, reset your password and write to privacy@imgigo.com:"
                    .into(),
            ),
            Line::Link {
                label: "Reset my password",
                url: forgot,
            },
        ],
    )
}

pub fn api_key_created(to: &str, name: &str, key_name: &str, prefix: &str, account: &str) -> Mail {
    compose(
        "api_key_created",
        to,
        "A new imgigo API key was created",
        name,
        &[
            Line::Text(format!(
                "A new API key \"{key_name}\" (starting {prefix}) was created on your imgigo account."
            )),
            Line::Text("If you did not create it, revoke it and change your password:".into()),
            Line::Link {
                label: "Your account and API keys",
                url: account,
            },
        ],
    )
}

/// The reference and deadline of a privacy request.
pub fn request_received(to: &str, id: i64, kind: &str, due: &str) -> Mail {
    compose(
        "request_received",
        to,
        &format!("Your privacy request #{id} was received"),
        "there",
        &[
            Line::Text(format!(
                "We received your privacy request #{id} ({kind}). We will answer by {due} at the latest (within 30 days), by mail to this address."
            )),
            Line::Text(
                "Most rights are also buttons on your account page, and work at once.".into(),
            ),
        ],
    )
}

/// Staff's answer to a privacy request.
pub fn request_answered(to: &str, id: i64, response: &str, closed: bool) -> Mail {
    compose(
        "request_answered",
        to,
        &format!("An answer to your privacy request #{id}"),
        "there",
        &[
            Line::Text(response.to_string()),
            Line::Text(if closed {
                "This request is now closed. Reply with a new request if anything is left.".into()
            } else {
                "The request stays open; we will write again.".into()
            }),
        ],
    )
}

/// Sent after an account is deleted, to the address it had.
pub fn account_deleted(to: &str, name: &str) -> Mail {
    compose(
        "account_deleted",
        to,
        "Your imgigo account was deleted",
        name,
        &[
            Line::Text("Your imgigo account and everything stored with it were deleted just now, at your request: your profile, consent records, sessions, API keys, the results made with your API keys, your privacy requests, the record of staff access and any mail to you not yet sent. Nothing of the account remains with us; this mail leaves our outbox once it is delivered.".into()),
            Line::Text("You can still use imgigo without an account. If you did not ask for this, write to privacy@imgigo.com.".into()),
        ],
    )
}

/// What a receipt says about one payment.
pub struct Receipt<'a> {
    /// What was bought ("100 credits").
    pub item: &'a str,
    /// The credits it granted ("100 credits", "1 credit").
    pub credits: &'a str,
    /// What Stripe charged ("EUR 9.00"), when its event said.
    pub amount: Option<&'a str>,
    /// When, in UTC ("2026-12-05 10:12 UTC").
    pub date: &'a str,
    /// Stripe's reference for the payment (the checkout session's id).
    pub reference: &'a str,
    /// The account's credits after it ("12.5 credits").
    pub balance: &'a str,
    /// Stripe's page for the invoice, where there is one (plans).
    pub invoice_url: Option<&'a str>,
}

/// A receipt for a paid credit pack.
pub fn receipt(to: &str, name: &str, receipt: &Receipt<'_>, account: &str) -> Mail {
    let mut lines = vec![
        Line::Text(format!(
            "Thank you for your purchase: {} added to your imgigo account.",
            receipt.credits
        )),
        Line::Text(format!("What: {}", receipt.item)),
    ];
    if let Some(amount) = receipt.amount {
        lines.push(Line::Text(format!("Amount paid: {amount}")));
    }
    lines.extend([
        Line::Text(format!("Date: {}", receipt.date)),
        Line::Text(format!("Reference: {}", receipt.reference)),
    ]);
    if let Some(url) = receipt.invoice_url {
        lines.push(Line::Link {
            label: "Stripe's invoice and receipt",
            url,
        });
    }
    lines.extend([
        Line::Text(format!(
            "Your balance is now {}. The payment was taken by Stripe; imgigo never saw your card.",
            receipt.balance
        )),
        Line::Link {
            label: "Your credits and their history",
            url: account,
        },
    ]);
    compose(
        "receipt",
        to,
        &format!("Your imgigo receipt: {}", receipt.item),
        name,
        &lines,
    )
}

/// A plan's monthly payment failed: what to do so the plan goes on.
pub fn plan_payment_failed(
    to: &str,
    name: &str,
    plan: &str,
    invoice_url: Option<&str>,
    account: &str,
) -> Mail {
    let mut lines = vec![Line::Text(format!(
        "Stripe could not take this month's payment for your imgigo plan \"{plan}\". Stripe will try again over the next days; until it succeeds, no new plan credits are added (credits you have stay)."
    ))];
    if let Some(url) = invoice_url {
        lines.push(Line::Link {
            label: "Pay the invoice at Stripe",
            url,
        });
    }
    lines.push(Line::Text(
        "To use another card, open \"Manage your plan\" on your account page:".into(),
    ));
    lines.push(Line::Link {
        label: "Your account",
        url: account,
    });
    compose(
        "plan_payment_failed",
        to,
        &format!("The payment for your imgigo plan \"{plan}\" failed"),
        name,
        &lines,
    )
}

/// A plan ended (cancelled in Stripe's portal, or unpaid).
/// The staff's daily digest of privacy requests due within 7 days or overdue (`lines`: one per
/// request, without the requester's address or message).
pub fn privacy_digest(to: &str, name: &str, lines: &[String], overdue: usize, staff: &str) -> Mail {
    let mut body = vec![Line::Text(format!(
        "{} privacy request{} due within 7 days or overdue ({overdue} overdue). The policy promises an answer within 30 days.",
        lines.len(),
        if lines.len() == 1 { " is" } else { "s are" },
    ))];
    body.extend(lines.iter().map(|line| Line::Text(line.clone())));
    body.push(Line::Link {
        label: "Open the staff page",
        url: staff,
    });
    compose(
        "privacy_digest",
        to,
        &format!("Privacy requests due: {} ({overdue} overdue)", lines.len()),
        name,
        &body,
    )
}

pub fn plan_cancelled(to: &str, name: &str, plan: &str) -> Mail {
    compose(
        "plan_cancelled",
        to,
        &format!("Your imgigo plan \"{plan}\" has ended"),
        name,
        &[
            Line::Text(format!(
                "Your plan \"{plan}\" has ended and nothing more will be charged for it. The credits on your account stay there."
            )),
            Line::Text("You can start a plan again on the pricing page at any time.".into()),
        ],
    )
}

/// `a•••@example.com`: enough for the owner to recognise, not enough to harvest.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_carry_the_link_and_escape_names() {
        let mail = verify_email(
            "a@example.com",
            "<b>Ada</b>",
            "https://x.test/verify?token=a&b",
            24,
        );
        assert!(mail.text.contains("Hello <b>Ada</b>,"));
        assert!(mail.text.contains("https://x.test/verify?token=a&b"));
        assert!(mail.html.contains("Hello &lt;b&gt;Ada&lt;/b&gt;,"));
        assert!(
            mail.html
                .contains("href=\"https://x.test/verify?token=a&amp;b\"")
        );
        assert_eq!(mail.kind, "verify_email");
    }

    #[test]
    fn the_old_address_sees_the_new_one_masked() {
        let mail = email_changed(
            "old@example.com",
            "Ada",
            "new.person@example.org",
            "https://x/forgot",
        );
        assert!(mail.text.contains("n•••@example.org"));
        assert!(!mail.text.contains("new.person"));
    }
}
