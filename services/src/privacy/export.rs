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
//!   expires_at}], "audit_log": [{staff_role, action, created_at}]}`.
//! A new table that holds personal data must be added here (a test enumerates the schema).

use entity::{account_tokens, api_keys, audit_log, consents, sessions, users};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::{AppState, Error};

pub const SCHEMA: &str = "imgigo-export/1";

pub async fn export(app: &AppState, user: &users::Model) -> Result<Value, Error> {
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
    Ok(json!({
        "schema": SCHEMA,
        "exported_at": app.clock.now(),
        "users": {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "role": user.role.as_str(),
            "created_at": user.created_at,
            "updated_at": user.updated_at,
            "email_verified_at": user.email_verified_at,
            "sessions_revoked_at": user.sessions_revoked_at,
            "restricted_at": user.restricted_at,
        },
        "consents": consents.iter().map(|c| json!({
            "purpose": c.purpose,
            "granted": c.granted,
            "policy_version": c.policy_version,
            "method": c.method,
            "created_at": c.created_at,
        })).collect::<Vec<_>>(),
        "sessions": sessions.iter().map(|s| json!({
            "created_at": s.created_at,
            "expires_at": s.expires_at,
            "browser": s.browser,
        })).collect::<Vec<_>>(),
        "account_tokens": tokens.iter().map(|t| json!({
            "purpose": format!("{:?}", t.purpose),
            "created_at": t.created_at,
            "expires_at": t.expires_at,
            "new_email": t.new_email,
        })).collect::<Vec<_>>(),
        "api_keys": keys.iter().map(|k| json!({
            "name": k.name,
            "prefix": k.prefix,
            "created_at": k.created_at,
            "last_used_at": k.last_used_at,
            "revoked_at": k.revoked_at,
        })).collect::<Vec<_>>(),
        "account_results": results.iter().map(|r| json!({
            "result_id": r.result_id,
            "created_at": r.created_at,
            "expires_at": r.expires_at,
        })).collect::<Vec<_>>(),
        "privacy_requests": requests.iter().rev().map(|r| json!({
            "id": r.id,
            "kind": r.kind.as_str(),
            "message": r.message,
            "status": r.status.as_str(),
            "response": r.response,
            "created_at": r.created_at,
            "due_at": r.due_at,
            "closed_at": r.closed_at,
        })).collect::<Vec<_>>(),
        "audit_log": audit.iter().map(|a| json!({
            "staff_role": a.staff_role,
            "action": a.action,
            "created_at": a.created_at,
        })).collect::<Vec<_>>(),
    }))
}
