//! `list-tags` and `catalog`: the registry's listings name what the scenario
//! pushed, page by page when the step names a `page-size` (the `n` query;
//! `rel="next"` links are followed). The pages together must name each
//! entry once. They must not push or delete.

use serde::Deserialize;

use super::{LoadContext, StepAction, StepContext, StepError, StepKind};
use crate::client::Listing;
use crate::scenario::values::expand_names;

/// How many names a summary or an error spells out before counting the rest.
const SHOWN: usize = 10;

/// List tags and require exactly `expect` (order ignored, each once).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ListTags {
    /// The tags; an entry may hold one numbered range, `t-{000..249}`.
    pub expect: Vec<String>,
    /// `n` on each request; the step follows the registry's next links.
    #[serde(default)]
    pub page_size: Option<u32>,
    /// `last` on the first request: list what sorts after it.
    #[serde(default)]
    pub last: Option<String>,
}

impl StepAction for ListTags {
    fn kind(&self) -> StepKind {
        StepKind::ListTags
    }

    fn validate(&self, _cx: &mut LoadContext) -> Result<(), String> {
        check_page_size(self.page_size)?;
        expand_names(&self.expect).map(drop)
    }

    fn describe(&self) -> String {
        format!("list tags{}", paging(self.page_size, self.last.as_deref()))
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let wanted = expand_names(&self.expect).map_err(StepError::Harness)?;
        let listing = cx
            .client()
            .list_tags(cx.repository(), self.page_size, self.last.as_deref())
            .await?;
        let names = judge(&listing, "tags list", Some(&wanted))?;
        Ok(format!("tags list is {names}{}", pages(&listing)))
    }
}

/// The catalog must contain the scenario repository, or with `expect` be
/// exactly those repositories (order ignored, each once).
// No `deny_unknown_fields`: keys on this kind were always ignored, and
// rejecting them now would turn away files that load today.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Catalog {
    /// `n` on each request (default 1000); next links are followed.
    #[serde(default)]
    pub page_size: Option<u32>,
    /// The repositories; an entry may hold one numbered range.
    #[serde(default)]
    pub expect: Option<Vec<String>>,
    /// `last` on the first request: list what sorts after it.
    #[serde(default)]
    pub last: Option<String>,
}

impl StepAction for Catalog {
    fn kind(&self) -> StepKind {
        StepKind::Catalog
    }

    fn validate(&self, _cx: &mut LoadContext) -> Result<(), String> {
        check_page_size(self.page_size)?;
        self.expect
            .as_deref()
            .map_or(Ok(()), |e| expand_names(e).map(drop))
    }

    fn describe(&self) -> String {
        format!("catalog{}", paging(self.page_size, self.last.as_deref()))
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let repo = cx.repository();
        let listing = cx
            .client()
            .catalog(self.page_size, self.last.as_deref())
            .await?;
        let pages = pages(&listing);
        match &self.expect {
            Some(expect) => {
                let wanted = expand_names(expect).map_err(StepError::Harness)?;
                let names = judge(&listing, "catalog", Some(&wanted))?;
                Ok(format!("catalog is {names}{pages}"))
            }
            None => {
                judge(&listing, "catalog", None)?;
                let repos = listing.names();
                if !repos.iter().any(|r| r == repo) {
                    return Err(StepError::Unmet(format!(
                        "catalog {} lacks {repo}{pages}",
                        shown(&repos)
                    )));
                }
                Ok(format!(
                    "catalog lists {} repositories including {repo}{pages}",
                    repos.len()
                ))
            }
        }
    }
}

/// How a listing step pages, for its description.
fn paging(page_size: Option<u32>, last: Option<&str>) -> String {
    let n = page_size
        .map(|n| format!(", {n} a page"))
        .unwrap_or_default();
    let last = last.map(|l| format!(", after {l}")).unwrap_or_default();
    format!("{n}{last}")
}

fn check_page_size(page_size: Option<u32>) -> Result<(), String> {
    match page_size {
        Some(0) => Err("page-size must be at least 1".into()),
        _ => Ok(()),
    }
}

/// The listing's one-line judgement: every name once, the pages ending,
/// and with `wanted` exactly those names. `Ok` is the names as the
/// summary shows them.
fn judge(listing: &Listing, what: &str, wanted: Option<&[String]>) -> Result<String, StepError> {
    let pages = pages(listing);
    if let Some(link) = &listing.looped {
        return Err(StepError::Unmet(format!(
            "{what}: the next link {link} names a page already fetched (or passes the page bound); stopped{pages}"
        )));
    }
    let twice = listing.duplicates();
    if !twice.is_empty() {
        return Err(StepError::Unmet(format!(
            "{what} names {} more than once{pages}",
            shown(&twice)
        )));
    }
    let mut names = listing.names();
    names.sort();
    if let Some(wanted) = wanted {
        let mut wanted = wanted.to_vec();
        wanted.sort();
        wanted.dedup();
        if names != wanted {
            let missing: Vec<String> = wanted
                .iter()
                .filter(|w| names.binary_search(w).is_err())
                .cloned()
                .collect();
            let extra: Vec<String> = names
                .iter()
                .filter(|n| wanted.binary_search(n).is_err())
                .cloned()
                .collect();
            return Err(StepError::Unmet(format!(
                "{what} {}, expected {}: missing {}, unexpected {}{pages}",
                shown(&names),
                shown(&wanted),
                shown(&missing),
                shown(&extra)
            )));
        }
    }
    Ok(shown(&names))
}

/// Names as a report shows them: all of a short list, else the first few
/// and a count.
fn shown(names: &[String]) -> String {
    if names.len() <= SHOWN {
        return format!("{names:?}");
    }
    format!(
        "{} names ({:?} ... {:?})",
        names.len(),
        &names[..3],
        &names[names.len() - 1]
    )
}

/// How the listing was paged, for a summary: empty when it was not.
fn pages(listing: &Listing) -> String {
    let Some(n) = listing.page_size else {
        return String::new();
    };
    let sizes: Vec<String> = listing.pages.iter().map(|p| p.len().to_string()).collect();
    let over = match listing.oversized_pages() {
        0 => String::new(),
        k => format!(", {k} over n"),
    };
    format!(
        " ({} page{} at n={n}: {}{over})",
        listing.pages.len(),
        if listing.pages.len() == 1 { "" } else { "s" },
        sizes.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(pages: &[&[&str]], n: Option<u32>) -> Listing {
        Listing {
            pages: pages
                .iter()
                .map(|p| p.iter().map(ToString::to_string).collect())
                .collect(),
            page_size: n,
            looped: None,
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn pages_together_must_be_the_expected_names_each_once() {
        let two = listing(&[&["b", "a"], &["c"]], Some(2));
        let ok = judge(&two, "tags list", Some(&names(&["a", "b", "c"])));
        assert_eq!(ok.ok().as_deref(), Some(r#"["a", "b", "c"]"#));
        assert_eq!(pages(&two), " (2 pages at n=2: 2, 1)");

        let missing = judge(&two, "tags list", Some(&names(&["a", "b", "c", "d"])));
        let err = missing.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            err.contains(r#"missing ["d"], unexpected []"#)
                && err.ends_with("(2 pages at n=2: 2, 1)"),
            "{err}"
        );

        let repeated = listing(&[&["a", "b"], &["b", "c"]], Some(2));
        let err = judge(&repeated, "tags list", Some(&names(&["a", "b", "c"])));
        assert!(
            matches!(&err, Err(StepError::Unmet(m)) if m.starts_with(r#"tags list names ["b"] more than once"#)),
            "{err:?}"
        );

        let mut looped = listing(&[&["a"]], Some(1));
        looped.looped = Some("/v2/x/tags/list?n=1&last=a".into());
        assert!(matches!(
            judge(&looped, "tags list", None),
            Err(StepError::Unmet(_))
        ));
    }

    #[test]
    fn a_page_larger_than_n_is_noted_not_refused() {
        let all = listing(&[&["a", "b", "c"]], Some(2));
        assert!(judge(&all, "tags list", Some(&names(&["a", "b", "c"]))).is_ok());
        assert_eq!(pages(&all), " (1 page at n=2: 3, 1 over n)");
        assert_eq!(pages(&listing(&[&["a"]], None)), "");
    }

    #[test]
    fn long_lists_are_shown_by_count() {
        let many: Vec<String> = (0..250).map(|i| format!("t-{i:03}")).collect();
        assert_eq!(
            shown(&many),
            r#"250 names (["t-000", "t-001", "t-002"] ... "t-249")"#
        );
    }

    #[test]
    fn page_size_zero_is_refused_at_load() {
        assert!(check_page_size(Some(0)).is_err());
        assert!(check_page_size(Some(1)).is_ok());
        assert!(check_page_size(None).is_ok());
    }
}
