//! One token as keyrot addresses it: whose it is (the user's, or an account's), its ID, the
//! resource ID the file's entry becomes, and how paths and messages name it.

use crate::provider::{ProviderError, ResourceLabel};
use crate::vendor::cloudflare::AccountId;

/// Who owns a token.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Owner {
    /// The user whose managing token keyrot holds: `/user/tokens`.
    User,
    /// An account: `/accounts/{account_id}/tokens`.
    Account(AccountId),
}

impl Owner {
    /// The path of the owner's tokens.
    pub fn collection(&self) -> String {
        match self {
            Self::User => "/user/tokens".to_owned(),
            Self::Account(account_id) => format!("/accounts/{account_id}/tokens"),
        }
    }

    /// How messages name the owner's tokens: `cloudflare user tokens`.
    pub fn label(&self) -> ResourceLabel {
        ResourceLabel(match self {
            Self::User => "cloudflare user tokens".to_owned(),
            Self::Account(account_id) => format!("cloudflare tokens of account {account_id}"),
        })
    }
}

/// A token named in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRef<'a> {
    /// The resource name in the desired-state file.
    pub name: &'a str,
    /// Who owns it.
    pub owner: Owner,
    /// Its ID: 32 lowercase hexadecimal characters.
    pub token_id: String,
}

impl<'a> TokenRef<'a> {
    /// The token whose resource ID is `id` (as [`TokenRef::resource_id`] writes it), named
    /// `name`.
    pub fn parse(name: &'a str, id: &str) -> Result<Self, ProviderError> {
        let bad = |what: String| ProviderError::Setup(format!("{name}: {what}"));
        let (owner, token_id) = match id.split_once('/') {
            Some((account_id, token_id)) => {
                let account_id = AccountId::parse(account_id).map_err(|e| bad(e.to_string()))?;
                (Owner::Account(account_id), token_id)
            }
            None => (Owner::User, id),
        };
        let token_id = AccountId::parse(token_id)
            .map_err(|_| bad(format!("`{token_id}` is not a Cloudflare API token ID")))?;
        Ok(Self {
            name,
            owner,
            token_id: token_id.to_string(),
        })
    }

    /// `{token_id}` for a user's token, `{account_id}/{token_id}` for an account's.
    pub fn resource_id(&self) -> String {
        match &self.owner {
            Owner::User => self.token_id.clone(),
            Owner::Account(account_id) => format!("{account_id}/{}", self.token_id),
        }
    }

    /// Its path, followed by `suffix`: `/user/tokens/{id}/value`.
    pub fn path(&self, suffix: &str) -> String {
        format!("{}/{}{suffix}", self.owner.collection(), self.token_id)
    }

    /// How messages name it: `cloudflare api token "ci-deploy" (ed17…)`, the ID in full.
    pub fn label(&self) -> ResourceLabel {
        ResourceLabel(format!(
            "cloudflare api token \"{}\" ({})",
            self.name,
            self.resource_id()
        ))
    }
}

/// A resource ID shortened as in `ed17…70b0` or `023e…c353/4f2a…3b5c`.
pub fn abbreviated(id: &str) -> String {
    let part =
        |part: &str| AccountId::parse(part).map_or_else(|_| part.to_owned(), |id| id.abbreviated());
    match id.split_once('/') {
        Some((account_id, token_id)) => format!("{}/{}", part(account_id), part(token_id)),
        None => part(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
    const TOKEN: &str = "ed17574386854bf78a67040be0a770b0";

    #[test]
    fn a_resource_id_names_the_owner_and_the_token_and_reads_back() {
        let user = TokenRef::parse("ci", TOKEN).unwrap();
        assert_eq!(user.owner, Owner::User);
        assert_eq!(user.path("/value"), format!("/user/tokens/{TOKEN}/value"));
        let id = format!("{ACCOUNT}/{TOKEN}");
        let account = TokenRef::parse("billing", &id).unwrap();
        assert_eq!(account.resource_id(), id);
        assert_eq!(
            account.path(""),
            format!("/accounts/{ACCOUNT}/tokens/{TOKEN}")
        );
        assert_eq!(abbreviated(&id), "023e…c353/ed17…70b0");
        assert!(TokenRef::parse("bad", "not-a-token").is_err());
    }
}
