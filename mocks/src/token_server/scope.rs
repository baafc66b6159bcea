//! Scopes as the distribution token spec writes them
//! (`repository:samalba/my-app:pull,push`) and the access rules a user has.

use serde::Serialize;

/// One `type:name:actions` scope a client asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedScope {
    pub resource_type: String,
    pub name: String,
    pub actions: Vec<String>,
}

impl RequestedScope {
    /// Parses one scope. The name may contain `:` (a registry host with a
    /// port), so type is the first field and actions the last.
    pub fn parse(scope: &str) -> Option<Self> {
        let (resource_type, rest) = scope.split_once(':')?;
        let (name, actions) = rest.rsplit_once(':')?;
        if resource_type.is_empty() || name.is_empty() {
            return None;
        }
        Some(RequestedScope {
            resource_type: resource_type.to_string(),
            name: name.to_string(),
            actions: actions
                .split(',')
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect(),
        })
    }
}

/// Every scope in a request: repeated `scope` parameters, each possibly
/// holding several space-separated scopes.
pub fn parse_scopes<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<RequestedScope> {
    values
        .into_iter()
        .flat_map(str::split_whitespace)
        .filter_map(RequestedScope::parse)
        .collect()
}

/// An entry of the token's `access` claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantedAccess {
    #[serde(rename = "type")]
    pub resource_type: String,
    pub name: String,
    pub actions: Vec<String>,
}

/// What a user may do: `repository` is an exact name or a prefix ending in `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRule {
    pub repository: String,
    pub actions: Vec<String>,
}

impl AccessRule {
    fn covers(&self, name: &str) -> bool {
        match self.repository.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => self.repository == name,
        }
    }
}

/// The intersection of what was asked and what the rules allow; a scope the
/// user has no right to is granted with no actions, as the reference token
/// server does (the registry then answers `insufficient_scope`).
pub fn grant(requested: &[RequestedScope], rules: &[AccessRule]) -> Vec<GrantedAccess> {
    requested
        .iter()
        .map(|scope| {
            let allowed: Vec<String> = scope
                .actions
                .iter()
                .filter(|action| {
                    scope.resource_type == "repository"
                        && rules.iter().any(|rule| {
                            rule.covers(&scope.name)
                                && rule.actions.iter().any(|a| a == *action || a == "*")
                        })
                })
                .cloned()
                .collect();
            GrantedAccess {
                resource_type: scope.resource_type.clone(),
                name: scope.name.clone(),
                actions: allowed,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scopes_with_ports_and_several_per_value() {
        let scopes = parse_scopes(["repository:a/b:pull,push repository:host:5000/c:pull"]);
        assert_eq!(scopes.len(), 2);
        assert_eq!(scopes[0].actions, vec!["pull", "push"]);
        assert_eq!(scopes[1].name, "host:5000/c");
        assert!(RequestedScope::parse("nonsense").is_none());
    }

    #[test]
    fn grants_only_what_rules_allow() {
        let rules = vec![
            AccessRule {
                repository: "team/*".into(),
                actions: vec!["pull".into()],
            },
            AccessRule {
                repository: "team/app".into(),
                actions: vec!["pull".into(), "push".into()],
            },
        ];
        let asked = parse_scopes([
            "repository:team/app:pull,push",
            "repository:team/lib:pull,push",
            "repository:other:pull",
        ]);
        let granted = grant(&asked, &rules);
        assert_eq!(granted[0].actions, vec!["pull", "push"]);
        assert_eq!(granted[1].actions, vec!["pull"]);
        assert!(granted[2].actions.is_empty());
    }
}
