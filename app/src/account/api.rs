//! The account server functions (`POST /_app/<name>`). Checkboxes arrive as `Some("on")` when
//! ticked and are absent otherwise.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr::{answer, app_state, client_ip, session, signed_in, stamp, user_agent};
use super::{AccountView, Me, NewKey, SessionLengths, StaffView};
use crate::AppError;

/// The signed-in account, if any (the header shows "Log in" or "Account").
#[server(prefix = "/_app", endpoint = "current_account")]
pub async fn current_account() -> Result<Option<Me>, AppError> {
    answer! {
        let app = app_state()?;
        let session = session().await?;
        let user = services::sessions::current_user(&app, &session).await?;
        Ok(user.map(|user| Me {
            name: user.name,
            email: user.email,
            role: user.role.as_str().to_string(),
        }))
    }
}

#[server(prefix = "/_app", endpoint = "register")]
pub async fn register(
    name: String,
    email: String,
    password: String,
    age: Option<String>,
    policy: Option<String>,
    marketing: Option<String>,
    analytics: Option<String>,
) -> Result<(), AppError> {
    answer! {
        use services::accounts::registration::{self, Registration};
        let app = app_state()?;
        let form = Registration {
            name,
            email,
            password,
            age_confirmed: age.is_some(),
            policy_accepted: policy.is_some(),
            marketing: marketing.is_some(),
            analytics: analytics.is_some(),
        };
        registration::register(&app, form, client_ip().await).await?;
        Ok(())
    }
}

#[server(prefix = "/_app", endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    answer! {
        let app = app_state()?;
        let session = session().await?;
        let user =
            services::accounts::login::authenticate(&app, &email, &password, client_ip().await)
                .await?;
        services::sessions::sign_in(&app, &session, &user, user_agent().await.as_deref())
            .await?;
        leptos_axum::redirect(&super::safe_next(next.as_deref()));
        Ok(())
    }
}

#[server(prefix = "/_app", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    answer! {
        let session = session().await?;
        services::sessions::sign_out(&session).await?;
        leptos_axum::redirect("/");
        Ok(())
    }
}

/// How long a session lasts, as configured (`IMGIGO_SESSION_IDLE_MINUTES`,
/// `IMGIGO_SESSION_MAX_HOURS`), so the pages say what the server does.
#[server(prefix = "/_app", endpoint = "session_limits")]
pub async fn session_limits() -> Result<SessionLengths, AppError> {
    let app = app_state()?;
    Ok(super::ssr::session_lengths(&app))
}

#[server(prefix = "/_app", endpoint = "verify_email")]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    answer! {
        let app = app_state()?;
        services::accounts::registration::verify_email(&app, &token).await?;
        Ok(())
    }
}

#[server(prefix = "/_app", endpoint = "resend_verification")]
pub async fn resend_verification(email: String) -> Result<(), AppError> {
    answer! {
        let app = app_state()?;
        services::accounts::registration::resend_verification(&app, &email, client_ip().await)
            .await?;
        Ok(())
    }
}

#[server(prefix = "/_app", endpoint = "forgot_password")]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    answer! {
        let app = app_state()?;
        services::accounts::recovery::request_reset(&app, &email, client_ip().await).await?;
        Ok(())
    }
}

#[server(prefix = "/_app", endpoint = "reset_password")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    answer! {
        let app = app_state()?;
        services::accounts::recovery::reset(&app, &token, &password).await?;
        Ok(())
    }
}

#[server(prefix = "/_app", endpoint = "account_overview")]
pub async fn account_overview() -> Result<AccountView, AppError> {
    answer! {
        let (app, _, user) = signed_in().await?;
        let keys = services::accounts::api_keys::list(&app, user.id)
            .await?
            .into_iter()
            .map(|key| super::KeyView {
                id: key.id,
                name: key.name,
                prefix: key.prefix,
                created: stamp(key.created_at),
                last_used: key.last_used_at.map(stamp),
                revoked: key.revoked_at.map(stamp),
            })
            .collect();
        use services::privacy::{audit, consent};
        let history = consent::history(&app.db, user.id).await?;
        let choices = consent::Choices::from_history(&history);
        let word = |value: serde_json::Result<serde_json::Value>| {
            value
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        };
        let consents = history
            .iter()
            .map(|row| super::ConsentView {
                purpose: word(serde_json::to_value(row.purpose)),
                granted: row.granted,
                policy_version: row.policy_version.clone(),
                method: word(serde_json::to_value(row.method)),
                at: stamp(row.created_at),
            })
            .collect();
        let audit = audit::for_subject(&app, user.id)
            .await?
            .into_iter()
            .map(|row| super::AuditView {
                staff_role: row.staff_role,
                action: row.action,
                at: stamp(row.created_at),
            })
            .collect();
        let requests = services::privacy::requests::for_user(&app, &user)
            .await?
            .iter()
            .map(super::ssr::request_view)
            .collect();
        Ok(AccountView {
            requests,
            restricted: user.restricted_at.map(stamp),
            me: Me {
                name: user.name,
                email: user.email,
                role: user.role.as_str().to_string(),
            },
            keys,
            consents,
            marketing: choices.marketing,
            analytics: choices.analytics,
            audit,
        })
    }
}

#[server(prefix = "/_app", endpoint = "update_name")]
pub async fn update_name(name: String) -> Result<(), AppError> {
    answer! {
        let (app, _, user) = signed_in().await?;
        services::accounts::profile::update_name(&app, &user, &name).await?;
        Ok(())
    }
}

#[server(prefix = "/_app", endpoint = "change_email")]
pub async fn change_email(email: String, current_password: String) -> Result<(), AppError> {
    answer! {
        let (app, _, user) = signed_in().await?;
        services::accounts::profile::request_email_change(
            &app,
            &user,
            &email,
            &current_password,
        )
        .await?;
        Ok(())
    }
}

#[server(prefix = "/_app", endpoint = "confirm_email_change")]
pub async fn confirm_email_change(token: String) -> Result<(), AppError> {
    answer! {
        let app = app_state()?;
        services::accounts::profile::confirm_email_change(&app, &token).await?;
        Ok(())
    }
}

#[server(prefix = "/_app", endpoint = "change_password")]
pub async fn change_password(current_password: String, password: String) -> Result<(), AppError> {
    answer! {
        let (app, session, user) = signed_in().await?;
        let user = services::accounts::profile::change_password(
            &app,
            &user,
            &current_password,
            &password,
        )
        .await?;
        // Every other session ended; this one starts afresh.
        services::sessions::sign_in(&app, &session, &user, user_agent().await.as_deref())
            .await?;
        Ok(())
    }
}

#[server(prefix = "/_app", endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    answer! {
        let (app, session, user) = signed_in().await?;
        services::sessions::sign_out_everywhere(&app, &session, user.id).await?;
        leptos_axum::redirect("/login?signed_out=everywhere");
        Ok(())
    }
}

#[server(prefix = "/_app", endpoint = "create_api_key")]
pub async fn create_api_key(name: String) -> Result<NewKey, AppError> {
    answer! {
        let (app, _, user) = signed_in().await?;
        let created = services::accounts::api_keys::create(&app, &user, &name).await?;
        Ok(NewKey {
            name: created.key.name,
            prefix: created.key.prefix,
            secret: created.secret,
        })
    }
}

#[server(prefix = "/_app", endpoint = "revoke_api_key")]
pub async fn revoke_api_key(id: i64) -> Result<(), AppError> {
    answer! {
        let (app, _, user) = signed_in().await?;
        services::accounts::api_keys::revoke(&app, user.id, id).await?;
        Ok(())
    }
}

/// Staff only (support and admin).
#[server(prefix = "/_app", endpoint = "staff_overview")]
pub async fn staff_overview() -> Result<StaffView, AppError> {
    answer! {
        let (app, _, user) = signed_in().await?;
        let counts = services::accounts::roles::overview(&app, &user).await?;
        Ok(StaffView {
            accounts: counts.accounts,
            verified: counts.verified,
            staff: counts.staff,
            live_api_keys: counts.live_api_keys,
            can_manage_roles: user.role == services::accounts::Role::Admin,
        })
    }
}

/// Admin only.
#[server(prefix = "/_app", endpoint = "set_role")]
pub async fn set_role(email: String, role: String) -> Result<(), AppError> {
    answer! {
        use services::accounts::Role;
        let (app, _, user) = signed_in().await?;
        let role = match role.as_str() {
            "user" => Role::User,
            "support" => Role::Support,
            "admin" => Role::Admin,
            _ => return Err(AppError::new(422, "Choose a role: user, support or admin.")),
        };
        services::accounts::roles::set_role(&app, &user, &email, role).await?;
        Ok(())
    }
}

/// Objection: product update mails and anonymous statistics on or off (a new consent row each
/// time).
#[server(prefix = "/_app", endpoint = "set_consent")]
pub async fn set_consent(purpose: String, granted: String) -> Result<(), AppError> {
    answer! {
        use services::privacy::consent::{Method, Purpose};
        let (app, _, user) = signed_in().await?;
        let purpose = match purpose.as_str() {
            "marketing" => Purpose::Marketing,
            "analytics" => Purpose::Analytics,
            _ => {
                return Err(AppError::new(
                    422,
                    "Choose what to turn on or off: product update mails or anonymous statistics.",
                ));
            }
        };
        let now = app.clock.now();
        services::privacy::consent::record(
            &app.db,
            app.config.privacy_policy.version(),
            user.id,
            purpose,
            granted == "true",
            Method::Settings,
            now,
        )
        .await?;
        Ok(())
    }
}

/// Restriction of processing on (`restricted = "true"`) or off.
#[server(prefix = "/_app", endpoint = "set_restriction")]
pub async fn set_restriction(restricted: String) -> Result<(), AppError> {
    answer! {
        let (app, _, user) = signed_in().await?;
        services::privacy::restriction::set_restricted(&app, &user, restricted == "true")
            .await?;
        Ok(())
    }
}

/// Erasure: the password again and a ticked confirmation.
#[server(prefix = "/_app", endpoint = "delete_account")]
pub async fn delete_account(password: String, confirm: Option<String>) -> Result<(), AppError> {
    answer! {
        let (app, session, user) = signed_in().await?;
        services::privacy::deletion::delete_account(&app, &user, &password, confirm.is_some())
            .await?;
        services::sessions::sign_out(&session).await?;
        leptos_axum::redirect("/account/deleted");
        Ok(())
    }
}

/// A privacy request for anything the buttons don't cover; answers the request's reference.
#[server(prefix = "/_app", endpoint = "submit_privacy_request")]
pub async fn submit_privacy_request(
    email: String,
    kind: String,
    message: String,
) -> Result<i64, AppError> {
    answer! {
        use services::privacy::requests::{self, NewRequest};
        let app = app_state()?;
        let session = session().await?;
        let user = services::sessions::current_user(&app, &session).await?;
        let request = requests::submit(
            &app,
            user.as_ref(),
            NewRequest {
                email,
                kind,
                message,
            },
            client_ip().await,
        )
        .await?;
        Ok(request.id)
    }
}

/// The staff queue (support and admin).
#[server(prefix = "/_app", endpoint = "staff_requests")]
pub async fn staff_requests() -> Result<Vec<super::QueueItem>, AppError> {
    answer! {
        use services::privacy::requests;
        let (app, _, user) = signed_in().await?;
        let queue = requests::queue(&app, &user).await?;
        Ok(queue
            .iter()
            .map(|row| super::QueueItem {
                request: super::ssr::request_view(row),
                email: row.email.clone(),
                overdue: requests::overdue(&app, row),
            })
            .collect())
    }
}

/// Staff answer a request (mailed to the requester); ticking `close` closes it.
#[server(prefix = "/_app", endpoint = "answer_request")]
pub async fn answer_request(
    id: i64,
    response: String,
    close: Option<String>,
) -> Result<(), AppError> {
    answer! {
        let (app, _, user) = signed_in().await?;
        services::privacy::requests::answer(&app, &user, id, &response, close.is_some())
            .await?;
        Ok(())
    }
}
