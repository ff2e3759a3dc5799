//! The consent ledger: every choice is a new row (purpose, granted or withdrawn, policy version,
//! time, how), so the history is the proof.

use entity::consents;
/// What a consent is for and how it was given, for callers that record or show one.
pub use entity::consents::{Method, Purpose};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::Error;

/// Records a choice given under the policy whose version is `policy_version` (the one in force,
/// `config.privacy_policy.version()`).
pub async fn record(
    db: &impl ConnectionTrait,
    policy_version: &str,
    user_id: i64,
    purpose: Purpose,
    granted: bool,
    method: Method,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<consents::Model, Error> {
    Ok(consents::ActiveModel {
        user_id: Set(user_id),
        purpose: Set(purpose),
        granted: Set(granted),
        policy_version: Set(policy_version.to_string()),
        method: Set(method),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Every consent row of a user, oldest first.
pub async fn history(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Vec<consents::Model>, Error> {
    Ok(consents::Entity::find()
        .filter(consents::Column::UserId.eq(user_id))
        .order_by_asc(consents::Column::Id)
        .all(db)
        .await?)
}

/// The latest choice for `purpose` (`false` when never asked).
pub async fn current(
    db: &impl ConnectionTrait,
    user_id: i64,
    purpose: Purpose,
) -> Result<bool, Error> {
    Ok(consents::Entity::find()
        .filter(consents::Column::UserId.eq(user_id))
        .filter(consents::Column::Purpose.eq(purpose))
        .order_by_desc(consents::Column::Id)
        .one(db)
        .await?
        .is_some_and(|row| row.granted))
}

/// Where a person stands on the optional purposes: product update mails and anonymous statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Choices {
    pub marketing: bool,
    pub analytics: bool,
}

impl Choices {
    /// The latest answer per purpose in `history` (oldest first, as [`history`] returns it). A
    /// purpose never answered is off: nothing starts on that the person did not turn on, so a
    /// browser's Do Not Track or Global Privacy Control signal never has anything to turn off.
    pub fn from_history(history: &[consents::Model]) -> Self {
        let latest = |purpose: Purpose| {
            history
                .iter()
                .rev()
                .find(|row| row.purpose == purpose)
                .is_some_and(|row| row.granted)
        };
        Self {
            marketing: latest(Purpose::Marketing),
            analytics: latest(Purpose::Analytics),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, purpose: Purpose, granted: bool) -> consents::Model {
        consents::Model {
            id,
            user_id: 1,
            purpose,
            granted,
            policy_version: "v1".into(),
            method: Method::Settings,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn nothing_is_on_until_turned_on_and_the_latest_answer_counts() {
        assert_eq!(Choices::from_history(&[]), Choices::default());
        let policy_only = [row(1, Purpose::PrivacyPolicy, true)];
        assert_eq!(
            Choices::from_history(&policy_only),
            Choices {
                marketing: false,
                analytics: false
            },
            "accepting the policy turns on nothing else"
        );
        let history = [
            row(1, Purpose::PrivacyPolicy, true),
            row(2, Purpose::Marketing, true),
            row(3, Purpose::Analytics, true),
            row(4, Purpose::Marketing, false),
        ];
        assert_eq!(
            Choices::from_history(&history),
            Choices {
                marketing: false,
                analytics: true
            },
            "a withdrawal after a grant is what holds"
        );
    }
}
