//! `imgigo admin create --email … --name …`: bootstraps an admin account. The password comes from
//! the terminal (asked twice, not echoed) or from the first line of standard input.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use services::AppState;
use services::config::Config;
use zeroize::Zeroizing;

use crate::cli::AdminCommand;

pub async fn run(config: Config, command: &AdminCommand) -> ExitCode {
    match command {
        AdminCommand::Create { email, name } => create(config, email, name).await,
    }
}

fn read_password() -> Result<Zeroizing<String>, String> {
    if std::io::stdin().is_terminal() {
        let first = Zeroizing::new(
            rpassword::prompt_password("Password for the new admin: ")
                .map_err(|err| format!("cannot read the password: {err}"))?,
        );
        let second = Zeroizing::new(
            rpassword::prompt_password("The same password again: ")
                .map_err(|err| format!("cannot read the password: {err}"))?,
        );
        if first != second {
            return Err("the two passwords differ; nothing was created".into());
        }
        Ok(first)
    } else {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|err| format!("cannot read the password from standard input: {err}"))?;
        Ok(Zeroizing::new(
            line.trim_end_matches(['\r', '\n']).to_string(),
        ))
    }
}

async fn create(config: Config, email: &str, name: &str) -> ExitCode {
    let password = match read_password() {
        Ok(password) => password,
        Err(message) => {
            eprintln!("imgigo: {message}");
            return ExitCode::FAILURE;
        }
    };
    let db = match services::db::connect_and_migrate(&config.database_url).await {
        Ok(db) => db,
        Err(err) => {
            eprintln!("imgigo: cannot open the database: {err}");
            return ExitCode::FAILURE;
        }
    };
    let app = AppState::new(config, db, services::cutout::device::cpu());
    match services::accounts::roles::create_admin(&app, name, email, &password).await {
        Ok(user) => {
            println!("Created admin account {} ({}).", user.email, user.name);
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("imgigo: {}", err.public_message());
            ExitCode::FAILURE
        }
    }
}
