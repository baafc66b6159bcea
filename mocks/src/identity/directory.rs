//! Who exists in the mock tenant: app registrations (with client secrets and
//! federated credentials) and managed identities. Immutable once the plane
//! starts; a scenario that needs another principal builds another directory.

use crate::jose::EcP256PublicKey;
use crate::seed::Seed;

#[derive(Debug, Clone)]
pub struct Directory {
    pub tenant_id: String,
    pub applications: Vec<Application>,
    pub managed_identities: ManagedIdentities,
}

/// An app registration (service principal).
#[derive(Debug, Clone)]
pub struct Application {
    pub client_id: String,
    pub secrets: Vec<String>,
    pub federated_credentials: Vec<FederatedCredential>,
}

/// A federated identity credential: Entra ID accepts a client assertion
/// issued by `issuer` for `subject` and `audience`, signed by `issuer_key`.
/// (Real Entra ID fetches the issuer's keys from its OIDC discovery document;
/// the mock is handed them, so no lookup leaves the machine.)
#[derive(Debug, Clone)]
pub struct FederatedCredential {
    pub issuer: String,
    pub subject: String,
    pub audience: String,
    pub issuer_key: EcP256PublicKey,
}

/// The identities a VM or App Service would expose through its identity endpoint.
#[derive(Debug, Clone, Default)]
pub struct ManagedIdentities {
    /// The system-assigned identity's client id, if the host has one.
    pub system_assigned: Option<String>,
    /// User-assigned identities' client ids.
    pub user_assigned: Vec<String>,
}

impl ManagedIdentities {
    /// Which identity a request gets: the named user-assigned one, else the
    /// system-assigned one, else a lone user-assigned one (IMDS picks it when
    /// it is the only identity).
    pub fn select(&self, requested: Option<&str>) -> Option<&str> {
        match requested {
            Some(id) => self
                .user_assigned
                .iter()
                .chain(self.system_assigned.iter())
                .find(|known| known.eq_ignore_ascii_case(id))
                .map(String::as_str),
            None => self
                .system_assigned
                .as_deref()
                .or(match self.user_assigned.as_slice() {
                    [only] => Some(only.as_str()),
                    _ => None,
                }),
        }
    }
}

impl Directory {
    pub fn application(&self, client_id: &str) -> Option<&Application> {
        self.applications
            .iter()
            .find(|app| app.client_id.eq_ignore_ascii_case(client_id))
    }
}

/// A random GUID in the 8-4-4-4-12 form Entra ID uses for every id.
pub fn new_guid() -> String {
    guid_of(rand::random())
}

/// The GUID `seed` makes, for ids a cell must reproduce.
pub fn guid_from(seed: Seed) -> String {
    guid_of(seed.bytes())
}

fn guid_of(b: [u8; 16]) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        hex::encode(&b[0..4]),
        hex::encode(&b[4..6]),
        hex::encode(&b[6..8]),
        hex::encode(&b[8..10]),
        hex::encode(&b[10..16])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_identity_selection() {
        let none = ManagedIdentities::default();
        assert_eq!(none.select(None), None);
        let system = ManagedIdentities {
            system_assigned: Some("sys".into()),
            user_assigned: vec!["ua1".into(), "ua2".into()],
        };
        assert_eq!(system.select(None), Some("sys"));
        assert_eq!(system.select(Some("UA2")), Some("ua2"));
        assert_eq!(system.select(Some("other")), None);
        let one_user = ManagedIdentities {
            system_assigned: None,
            user_assigned: vec!["ua1".into()],
        };
        assert_eq!(one_user.select(None), Some("ua1"));
        let two_users = ManagedIdentities {
            system_assigned: None,
            user_assigned: vec!["ua1".into(), "ua2".into()],
        };
        assert_eq!(two_users.select(None), None);
    }

    #[test]
    fn guids_have_the_entra_shape() {
        let g = new_guid();
        let lens: Vec<usize> = g.split('-').map(str::len).collect();
        assert_eq!(lens, vec![8, 4, 4, 4, 12]);
    }
}
