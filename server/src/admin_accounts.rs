//! `/admin/accounts`: the admin's tools for requests that arrive outside the privacy centre (see
//! `services::privacy::staff`). Find an account by email (a POST: the lookup is written to the
//! person's audit log), see its status, delete it for a verified request. Admins only; plain
//! server-rendered forms (the global Origin check guards the POSTs).

use axum::Form;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde::Deserialize;
use services::accounts::Role;
use services::privacy::staff::{self, Found, MAX_REASON};
use services::sessions::{self, CurrentUser, Session};
use services::{AppState, Error, ErrorKind};

use crate::plain::page;

pub const PATH: &str = "/admin/accounts";

/// The signed-in admin, or the answer for everyone else.
pub(crate) async fn admin(
    app: &AppState,
    session: Option<&Session>,
) -> Result<CurrentUser, Response> {
    let user = match session {
        Some(session) => sessions::current_user(app, session)
            .await
            .map_err(|err| failed(&err))?,
        None => None,
    };
    match user {
        None => Err(Redirect::to(&format!("/login?next={PATH}")).into_response()),
        Some(user) if user.role != Role::Admin => Err(page(
            StatusCode::FORBIDDEN,
            "Admins only",
            "<p class=\"form-error\" role=\"alert\">Only an admin can look accounts up or delete them.</p>",
        )),
        Some(user) => Ok(user),
    }
}

fn failed(err: &Error) -> Response {
    let (status, message) = match err.kind() {
        ErrorKind::Invalid | ErrorKind::BadRequest => {
            (StatusCode::UNPROCESSABLE_ENTITY, err.to_string())
        }
        ErrorKind::NotFound => (
            StatusCode::NOT_FOUND,
            format!(
                "That {} does not exist (any more).",
                match err {
                    Error::NotFound(what) => what,
                    _ => "account",
                }
            ),
        ),
        ErrorKind::Forbidden => (StatusCode::FORBIDDEN, err.to_string()),
        _ => {
            tracing::warn!(error = %err, "an admin account tool failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "Something went wrong on our side and nothing was changed. Please try again in a minute."
                    .to_string(),
            )
        }
    };
    page(
        status,
        "Accounts",
        &format!(
            "<p class=\"form-error\" role=\"alert\" data-testid=\"admin-error\">{}</p>{}",
            text(&message),
            search_form("")
        ),
    )
}

fn search_form(email: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{PATH}/find\" class=\"stack\"><label>Email address of the account <input type=\"email\" name=\"email\" required maxlength=\"254\" value=\"{}\" autocomplete=\"off\"></label><p class=\"fine-print\">The person will see this lookup in their account's staff-access log.</p><button class=\"button\" type=\"submit\">Find the account</button></form>",
        attr(email)
    )
}

pub async fn show(State(app): State<AppState>, request: Request) -> Response {
    if let Err(response) = admin(&app, request.extensions().get::<Session>()).await {
        return response;
    }
    page(
        StatusCode::OK,
        "Accounts",
        &format!(
            "<p>For requests sent to the privacy address, or a parent asking for a child's data to be deleted: find the account, check the request, then delete it.</p>{}{}",
            search_form(""),
            blocks(&app)
        ),
    )
}

/// The networks blocked now (kept in RAM only), each with a button that lets it back.
fn blocks(app: &AppState) -> String {
    let blocks = app.abuse.blocks.blocks();
    let mut html = format!(
        "<h2>Blocked networks</h2><p data-testid=\"blocked-count\">{} blocked now (callers that kept hitting limits; each block is longer than the last, at most a day).</p>",
        blocks.len()
    );
    if blocks.is_empty() {
        return html;
    }
    html.push_str("<table data-testid=\"blocks\"><thead><tr><th>Network</th><th>Block</th><th>Until (UTC)</th><th></th></tr></thead><tbody>");
    for block in blocks {
        html.push_str(&format!(
            "<tr><td>{network}</td><td>{level}</td><td>{until}</td><td><form method=\"post\" action=\"{PATH}/lift\"><input type=\"hidden\" name=\"network\" value=\"{network}\"><button class=\"button\" type=\"submit\">Let back in</button></form></td></tr>",
            network = text(&block.network.to_string()),
            level = block.level,
            until = block.until.format("%Y-%m-%d %H:%M:%S"),
        ));
    }
    html.push_str("</tbody></table>");
    html
}

#[derive(Deserialize)]
pub struct Lift {
    #[serde(default)]
    network: String,
}

/// Lifts a block (`network` as the list shows it).
pub async fn lift(State(app): State<AppState>, request: Request) -> Response {
    let (_admin, lift) = match admin_and_form::<Lift>(&app, request).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Ok(network) = lift.network.trim().parse::<std::net::IpAddr>() else {
        return failed(&Error::NotFound("block"));
    };
    if !app.abuse.blocks.lift(network) {
        return failed(&Error::NotFound("block"));
    }
    tracing::info!("an admin lifted a block");
    page(
        StatusCode::OK,
        "Accounts",
        &format!(
            "<p data-testid=\"block-lifted\">The network is let back in.</p>{}{}",
            search_form(""),
            blocks(&app)
        ),
    )
}

#[derive(Deserialize)]
pub struct Lookup {
    #[serde(default)]
    email: String,
}

/// The admin and the form, or the answer.
async fn admin_and_form<T: serde::de::DeserializeOwned>(
    app: &AppState,
    request: Request,
) -> Result<(CurrentUser, T), Response> {
    let session = request.extensions().get::<Session>().cloned();
    let admin = admin(app, session.as_ref()).await?;
    let Form(form) = Form::<T>::from_request(request, &())
        .await
        .map_err(|_| failed(&Error::BadRequest("the form could not be read".into())))?;
    Ok((admin, form))
}

pub async fn find(State(app): State<AppState>, request: Request) -> Response {
    let (admin, lookup) = match admin_and_form::<Lookup>(&app, request).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let email: String = lookup.email.chars().take(254).collect();
    match staff::find_account(&app, &admin, &email).await {
        Ok(Some(found)) => page(StatusCode::OK, "Accounts", &details(&found, &email)),
        Ok(None) => page(
            StatusCode::OK,
            "Accounts",
            &format!(
                "<p data-testid=\"admin-none\">No account has the address {}.</p>{}",
                text(&email),
                search_form(&email)
            ),
        ),
        Err(err) => failed(&err),
    }
}

fn details(found: &Found, email: &str) -> String {
    let yes_no = |value: bool| if value { "yes" } else { "no" };
    format!(
        "<dl data-testid=\"admin-account\"><dt>Account</dt><dd>#{id}, {name} &lt;{email}&gt;</dd><dt>Role</dt><dd>{role}</dd><dt>Created</dt><dd>{created}</dd><dt>Address confirmed</dt><dd>{confirmed}</dd><dt>Processing restricted</dt><dd>{restricted}</dd><dt>API keys in use</dt><dd>{keys}</dd></dl>\
         <h2>Delete it for a verified request</h2>\
         <form method=\"post\" action=\"{PATH}/delete\" class=\"stack\"><input type=\"hidden\" name=\"account\" value=\"{id}\">\
         <label>Which request, and how it was verified <input type=\"text\" name=\"reason\" required maxlength=\"{MAX_REASON}\"></label>\
         <label><input type=\"checkbox\" name=\"confirm\" value=\"yes\"> Delete this account and everything in it; a confirmation mail goes to its address</label>\
         <button class=\"button danger\" type=\"submit\">Delete the account</button></form>{search}",
        id = found.id,
        name = text(&found.name),
        email = text(&found.email),
        role = found.role.as_str(),
        created = found.created_at.format("%Y-%m-%d"),
        confirmed = yes_no(found.confirmed),
        restricted = yes_no(found.restricted),
        keys = found.live_api_keys,
        search = search_form(email),
    )
}

#[derive(Deserialize)]
pub struct Deletion {
    #[serde(default)]
    account: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confirm: Option<String>,
}

pub async fn delete(State(app): State<AppState>, request: Request) -> Response {
    let (admin, deletion) = match admin_and_form::<Deletion>(&app, request).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Ok(account) = deletion.account.trim().parse::<i64>() else {
        return failed(&Error::NotFound("account"));
    };
    let reason: String = deletion.reason.chars().take(MAX_REASON + 1).collect();
    match staff::delete_for_request(&app, &admin, account, &reason, deletion.confirm.is_some())
        .await
    {
        Ok(()) => page(
            StatusCode::OK,
            "Account deleted",
            &format!(
                "<p data-testid=\"admin-deleted\">Account #{account} and everything in it are deleted; its address got the confirmation. The deletion and its reason are in your own staff-access log.</p>{}",
                search_form("")
            ),
        ),
        Err(err) => failed(&err),
    }
}
