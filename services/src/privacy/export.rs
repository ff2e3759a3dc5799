//! "Download my data" (access and portability): one JSON document with every row about the person,
//! keyed by the table it comes from. Secrets stay out (password hash, token and key digests,
//! session contents); everything else is there.
//!
//! Schema `imgigo-export/1`:
//! `{"schema", "exported_at", "users": {id, name, email, role, created_at, updated_at,
//!   email_verified_at, sessions_revoked_at, restricted_at}, "consents": [{purpose, granted,
//!   policy_version, method, created_at}], "sessions": [{created_at, expires_at, browser}],
//!   "account_tokens": [{purpose, created_at, expires_at, new_email}], "api_keys": [{name, prefix,
//!   created_at, last_used_at, revoked_at}], "privacy_requests": [{id, kind, message, status,
//!   response, created_at, due_at, closed_at}], "account_results": [{result_id, created_at,
//!   expires_at}], "audit_log": [{staff_role, action, created_at}], "credit_accounts": [{free,
//!   free_month, subscription, payg, updated_at}], "credit_ledger": [{kind, bucket, amount,
//!   balance_after, source, source_ref, note, paid_minor, currency, created_at}], "billing_subscriptions": [{id,
//!   customer_id, checkout_id, plan, status, created_at, updated_at}], "mail_outbox": [{kind,
//!   status, attempts, created_at, next_attempt_at, last_error}]}` (credits in hundredths;
//!   Stripe's ids, never card data; the outbox's metadata only: a waiting mail's body is sealed
//!   and holds nothing the rest of the export does not, apart from one-time links).
//! A new table that holds personal data must be added here (a test enumerates the schema).

use chrono::{DateTime, Utc};
use entity::consents::{Method, Purpose};
use entity::{account_results, account_tokens, api_keys, audit_log, consents, privacy_requests};
use entity::{billing_subscriptions, credit_accounts, credit_ledger, mail_outbox, sessions, users};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use crate::{AppState, Error};

pub const SCHEMA: &str = "imgigo-export/1";

/// The whole document; each field is named for the table its rows come from.
#[derive(Clone, Debug, Serialize)]
pub struct Export {
    pub schema: &'static str,
    pub exported_at: DateTime<Utc>,
    pub users: User,
    pub consents: Vec<Consent>,
    pub sessions: Vec<Session>,
    pub account_tokens: Vec<AccountToken>,
    pub api_keys: Vec<ApiKey>,
    pub account_results: Vec<AccountResult>,
    pub privacy_requests: Vec<PrivacyRequest>,
    pub audit_log: Vec<AuditEntry>,
    pub credit_accounts: Vec<CreditAccount>,
    pub credit_ledger: Vec<CreditEntry>,
    pub billing_subscriptions: Vec<Subscription>,
    pub mail_outbox: Vec<OutboxMail>,
}

/// A mail to the person still in the outbox (waiting, or delivered within the last hour): what
/// kind, and how its delivery goes. Never its content.
#[derive(Clone, Debug, Serialize)]
pub struct OutboxMail {
    pub kind: String,
    pub status: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
}

impl From<mail_outbox::Model> for OutboxMail {
    fn from(m: mail_outbox::Model) -> Self {
        Self {
            kind: m.kind,
            status: m.status,
            attempts: m.attempts,
            created_at: m.created_at,
            next_attempt_at: m.next_attempt_at,
            last_error: m.last_error,
        }
    }
}

/// A monthly plan started through Stripe: Stripe's ids and the state.
#[derive(Clone, Debug, Serialize)]
pub struct Subscription {
    pub id: String,
    pub customer_id: String,
    pub checkout_id: String,
    pub plan: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<billing_subscriptions::Model> for Subscription {
    fn from(s: billing_subscriptions::Model) -> Self {
        Self {
            id: s.id,
            customer_id: s.customer_id,
            checkout_id: s.checkout_id,
            plan: s.plan,
            status: s.status,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// The account's credits, in hundredths.
#[derive(Clone, Debug, Serialize)]
pub struct CreditAccount {
    pub free: i64,
    pub free_month: String,
    pub subscription: i64,
    pub payg: i64,
    pub updated_at: DateTime<Utc>,
}

/// A change to the credits, in hundredths.
#[derive(Clone, Debug, Serialize)]
pub struct CreditEntry {
    pub kind: String,
    pub bucket: String,
    pub amount: i64,
    pub balance_after: i64,
    pub source: String,
    pub source_ref: Option<String>,
    pub note: Option<String>,
    /// What Stripe charged for a bought grant (smallest unit) and its currency.
    pub paid_minor: Option<i64>,
    pub currency: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<credit_accounts::Model> for CreditAccount {
    fn from(a: credit_accounts::Model) -> Self {
        Self {
            free: a.free,
            free_month: a.free_month,
            subscription: a.subscription,
            payg: a.payg,
            updated_at: a.updated_at,
        }
    }
}

impl From<credit_ledger::Model> for CreditEntry {
    fn from(e: credit_ledger::Model) -> Self {
        Self {
            kind: e.kind,
            bucket: e.bucket,
            amount: e.amount,
            balance_after: e.balance_after,
            source: e.source,
            source_ref: e.source_ref,
            note: e.note,
            paid_minor: e.paid_minor,
            currency: e.currency,
            created_at: e.created_at,
        }
    }
}

/// The account row, without the password hash.
#[derive(Clone, Debug, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub sessions_revoked_at: Option<DateTime<Utc>>,
    pub restricted_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Consent {
    pub purpose: Purpose,
    pub granted: bool,
    pub policy_version: String,
    pub method: Method,
    pub created_at: DateTime<Utc>,
}

/// A session, without its id (a working cookie) or contents.
#[derive(Clone, Debug, Serialize)]
pub struct Session {
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub browser: Option<String>,
}

/// A mailed link, without its token digest.
#[derive(Clone, Debug, Serialize)]
pub struct AccountToken {
    pub purpose: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub new_email: Option<String>,
}

/// An API key's metadata, without its digest.
#[derive(Clone, Debug, Serialize)]
pub struct ApiKey {
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AccountResult {
    pub result_id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PrivacyRequest {
    pub id: i64,
    pub kind: &'static str,
    pub message: String,
    pub status: &'static str,
    pub response: Option<String>,
    pub created_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AuditEntry {
    pub staff_role: String,
    pub action: String,
    pub created_at: DateTime<Utc>,
}

impl From<&users::Model> for User {
    fn from(user: &users::Model) -> Self {
        Self {
            id: user.id,
            name: user.name.clone(),
            email: user.email.clone(),
            role: user.role.as_str(),
            created_at: user.created_at,
            updated_at: user.updated_at,
            email_verified_at: user.email_verified_at,
            sessions_revoked_at: user.sessions_revoked_at,
            restricted_at: user.restricted_at,
        }
    }
}

impl From<consents::Model> for Consent {
    fn from(c: consents::Model) -> Self {
        Self {
            purpose: c.purpose,
            granted: c.granted,
            policy_version: c.policy_version,
            method: c.method,
            created_at: c.created_at,
        }
    }
}

impl From<sessions::Model> for Session {
    fn from(s: sessions::Model) -> Self {
        Self {
            created_at: s.created_at,
            expires_at: s.expires_at,
            browser: s.browser,
        }
    }
}

impl From<account_tokens::Model> for AccountToken {
    fn from(t: account_tokens::Model) -> Self {
        Self {
            purpose: format!("{:?}", t.purpose),
            created_at: t.created_at,
            expires_at: t.expires_at,
            new_email: t.new_email,
        }
    }
}

impl From<api_keys::Model> for ApiKey {
    fn from(k: api_keys::Model) -> Self {
        Self {
            name: k.name,
            prefix: k.prefix,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}

impl From<account_results::Model> for AccountResult {
    fn from(r: account_results::Model) -> Self {
        Self {
            result_id: r.result_id,
            created_at: r.created_at,
            expires_at: r.expires_at,
        }
    }
}

impl From<privacy_requests::Model> for PrivacyRequest {
    fn from(r: privacy_requests::Model) -> Self {
        Self {
            id: r.id,
            kind: r.kind.as_str(),
            message: r.message,
            status: r.status.as_str(),
            response: r.response,
            created_at: r.created_at,
            due_at: r.due_at,
            closed_at: r.closed_at,
        }
    }
}

impl From<audit_log::Model> for AuditEntry {
    fn from(a: audit_log::Model) -> Self {
        Self {
            staff_role: a.staff_role,
            action: a.action,
            created_at: a.created_at,
        }
    }
}

fn rows<R, T: From<R>>(rows: impl IntoIterator<Item = R>) -> Vec<T> {
    rows.into_iter().map(T::from).collect()
}

pub async fn export(app: &AppState, user: &users::Model) -> Result<Export, Error> {
    let db = &app.db;
    let consents = consents::Entity::find()
        .filter(consents::Column::UserId.eq(user.id))
        .order_by_asc(consents::Column::Id)
        .all(db)
        .await?;
    let sessions = sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user.id))
        .order_by_asc(sessions::Column::CreatedAt)
        .all(db)
        .await?;
    let tokens = account_tokens::Entity::find()
        .filter(account_tokens::Column::UserId.eq(user.id))
        .order_by_asc(account_tokens::Column::Id)
        .all(db)
        .await?;
    let keys = api_keys::Entity::find()
        .filter(api_keys::Column::UserId.eq(user.id))
        .order_by_asc(api_keys::Column::Id)
        .all(db)
        .await?;
    let audit = audit_log::Entity::find()
        .filter(audit_log::Column::SubjectId.eq(user.id))
        .order_by_asc(audit_log::Column::Id)
        .all(db)
        .await?;
    let requests = super::requests::for_user(app, user).await?;
    let results = crate::accounts::results::for_user(app, user.id).await?;
    let credit_account = credit_accounts::Entity::find_by_id(user.id).one(db).await?;
    let ledger = credit_ledger::Entity::find()
        .filter(credit_ledger::Column::UserId.eq(user.id))
        .order_by_asc(credit_ledger::Column::Id)
        .all(db)
        .await?;
    let subscriptions = billing_subscriptions::Entity::find()
        .filter(billing_subscriptions::Column::UserId.eq(user.id))
        .order_by_asc(billing_subscriptions::Column::CreatedAt)
        .all(db)
        .await?;
    let outbox = crate::mail::outbox::for_person(app, user.id, &user.email).await?;
    Ok(Export {
        schema: SCHEMA,
        exported_at: app.clock.now(),
        users: User::from(user),
        consents: rows(consents),
        sessions: rows(sessions),
        account_tokens: rows(tokens),
        api_keys: rows(keys),
        account_results: rows(results),
        // Newest first from `for_user`; the export lists every table oldest first.
        privacy_requests: rows(requests.into_iter().rev()),
        audit_log: rows(audit),
        credit_accounts: rows(credit_account),
        credit_ledger: rows(ledger),
        billing_subscriptions: rows(subscriptions),
        mail_outbox: rows(outbox),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys of the document are its schema (`imgigo-export/1`): renaming a field breaks this.
    #[test]
    fn the_document_serializes_to_the_documented_keys() {
        let at = Utc::now();
        let document = Export {
            schema: SCHEMA,
            exported_at: at,
            users: User {
                id: 1,
                name: "Ada".into(),
                email: "ada@example.com".into(),
                role: "user",
                created_at: at,
                updated_at: at,
                email_verified_at: Some(at),
                sessions_revoked_at: None,
                restricted_at: None,
            },
            consents: vec![Consent {
                purpose: Purpose::Marketing,
                granted: true,
                policy_version: "v1".into(),
                method: Method::Signup,
                created_at: at,
            }],
            sessions: vec![Session {
                created_at: at,
                expires_at: at,
                browser: Some("Firefox".into()),
            }],
            account_tokens: vec![AccountToken {
                purpose: "VerifyEmail".into(),
                created_at: at,
                expires_at: at,
                new_email: None,
            }],
            api_keys: vec![ApiKey {
                name: "script".into(),
                prefix: "ig_abc".into(),
                created_at: at,
                last_used_at: None,
                revoked_at: None,
            }],
            account_results: vec![AccountResult {
                result_id: "r1".into(),
                created_at: at,
                expires_at: at,
            }],
            privacy_requests: vec![PrivacyRequest {
                id: 7,
                kind: "access",
                message: "hello".into(),
                status: "open",
                response: None,
                created_at: at,
                due_at: at,
                closed_at: None,
            }],
            audit_log: vec![AuditEntry {
                staff_role: "admin".into(),
                action: "role changed".into(),
                created_at: at,
            }],
            credit_accounts: vec![CreditAccount {
                free: 25,
                free_month: "2026-12".into(),
                subscription: 0,
                payg: 100,
                updated_at: at,
            }],
            credit_ledger: vec![CreditEntry {
                kind: "grant".into(),
                bucket: "payg".into(),
                amount: 100,
                balance_after: 125,
                source: "stripe_checkout".into(),
                source_ref: Some("cs_1".into()),
                note: None,
                paid_minor: Some(900),
                currency: Some("eur".into()),
                created_at: at,
            }],
            billing_subscriptions: vec![Subscription {
                id: "sub_1".into(),
                customer_id: "cus_1".into(),
                checkout_id: "cs_2".into(),
                plan: "pro".into(),
                status: "active".into(),
                created_at: at,
                updated_at: at,
            }],
            mail_outbox: vec![OutboxMail {
                kind: "verify_email".into(),
                status: "queued".into(),
                attempts: 1,
                created_at: at,
                next_attempt_at: at,
                last_error: Some("cannot reach the SMTP server".into()),
            }],
        };
        let value = serde_json::to_value(&document).expect("json");
        let keys = |value: &serde_json::Value| -> Vec<String> {
            let mut keys: Vec<String> =
                value.as_object().expect("object").keys().cloned().collect();
            keys.sort();
            keys
        };
        assert_eq!(
            keys(&value),
            [
                "account_results",
                "account_tokens",
                "api_keys",
                "audit_log",
                "billing_subscriptions",
                "consents",
                "credit_accounts",
                "credit_ledger",
                "exported_at",
                "mail_outbox",
                "privacy_requests",
                "schema",
                "sessions",
                "users"
            ]
        );
        assert_eq!(
            keys(&value["users"]),
            [
                "created_at",
                "email",
                "email_verified_at",
                "id",
                "name",
                "restricted_at",
                "role",
                "sessions_revoked_at",
                "updated_at"
            ]
        );
        let first = |table: &str| keys(&value[table][0]);
        assert_eq!(
            first("consents"),
            [
                "created_at",
                "granted",
                "method",
                "policy_version",
                "purpose"
            ]
        );
        assert_eq!(first("sessions"), ["browser", "created_at", "expires_at"]);
        assert_eq!(
            first("account_tokens"),
            ["created_at", "expires_at", "new_email", "purpose"]
        );
        assert_eq!(
            first("api_keys"),
            ["created_at", "last_used_at", "name", "prefix", "revoked_at"]
        );
        assert_eq!(
            first("account_results"),
            ["created_at", "expires_at", "result_id"]
        );
        assert_eq!(
            first("privacy_requests"),
            [
                "closed_at",
                "created_at",
                "due_at",
                "id",
                "kind",
                "message",
                "response",
                "status"
            ]
        );
        assert_eq!(first("audit_log"), ["action", "created_at", "staff_role"]);
        assert_eq!(
            first("credit_accounts"),
            ["free", "free_month", "payg", "subscription", "updated_at"]
        );
        assert_eq!(
            first("billing_subscriptions"),
            [
                "checkout_id",
                "created_at",
                "customer_id",
                "id",
                "plan",
                "status",
                "updated_at"
            ]
        );
        assert_eq!(
            first("mail_outbox"),
            [
                "attempts",
                "created_at",
                "kind",
                "last_error",
                "next_attempt_at",
                "status"
            ]
        );
        assert_eq!(
            first("credit_ledger"),
            [
                "amount",
                "balance_after",
                "bucket",
                "created_at",
                "currency",
                "kind",
                "note",
                "paid_minor",
                "source",
                "source_ref"
            ]
        );
        assert_eq!(value["consents"][0]["purpose"], "marketing");
        assert_eq!(value["consents"][0]["method"], "signup");
        assert_eq!(
            value["exported_at"],
            serde_json::to_value(at).expect("time")
        );
        assert!(value["users"]["sessions_revoked_at"].is_null());
    }
}
