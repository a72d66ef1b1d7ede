//! Which repository a module path lives in: the first `root_depth` elements of the path, put
//! into the route's URL template; or, without a depth (GitLab subgroups nest to any depth),
//! what the host's `?go-get=1` page says, as the go command finds it.

use std::sync::Arc;

use codehost::{Credentials, Network};
use gomod::ModulePath;

use super::{Found, GitError, GitSettings, found};
use crate::memory::{self, Dated};

/// How a route finds a module path's repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Locate {
    /// The path's first `n` elements are the repository root (`git.corp.example/team/lib`).
    RootDepth(usize),
    /// A page (`https://{path}?go-get=1`) names the root and the repository URL.
    Discovery(String),
}

/// A repository, as a module path's location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    /// The repository root's module path.
    pub root: String,
    /// The repository's URL, without credentials.
    pub url: String,
    /// The directory of the repository the root names (go-import's `subdir`), "" for the top.
    pub subdir: String,
}

pub(super) struct Locator {
    template: String,
    locate: Locate,
    network: Network,
    credentials: Option<Credentials>,
    /// Discovered locations by module path (`None`: the host names no repository for it),
    /// trusted as long as a mirror is.
    discovered: Dated<String, Option<Arc<Location>>>,
    trusted_for: std::time::Duration,
}

impl Locator {
    pub fn new(settings: &GitSettings, network: Network) -> Locator {
        Locator {
            template: settings.url.clone(),
            locate: settings.locate.clone(),
            network,
            // Credentials go to a go-import page over https only, unless the route says otherwise.
            credentials: settings.credentials.clone().filter(|_| {
                settings.insecure_http
                    || matches!(&settings.locate, Locate::Discovery(page) if page.starts_with("https://"))
            }),
            discovered: Dated::new(memory::GIT_LOCATIONS),
            trusted_for: settings.refresh,
        }
    }

    /// Whether `url` may be one of this route's repositories: one the template makes, or one
    /// discovered.
    pub fn may_serve(&self, url: &str) -> bool {
        match &self.locate {
            Locate::RootDepth(_) => fits_template(&self.template, url),
            Locate::Discovery(_) => false,
        }
    }

    /// The repository of `module`; `None` when the path names none.
    pub async fn locate(&self, module: &ModulePath) -> Found<Location> {
        match &self.locate {
            Locate::RootDepth(depth) => Ok(by_depth(&self.template, *depth, module.as_str())),
            Locate::Discovery(page) => self.discover(page, module).await,
        }
    }

    async fn discover(&self, page: &str, module: &ModulePath) -> Found<Location> {
        if let Some(known) = self.discovered.fresh(module.as_str(), self.trusted_for) {
            return Ok(known.as_deref().cloned());
        }
        let (network, credentials) = (self.network.clone(), self.credentials.clone());
        let (page, path) = (page.to_owned(), module.as_str().to_owned());
        let discovered = tokio::task::spawn_blocking(move || {
            codehost::discover(&network, credentials.as_ref(), &page, &path)
        })
        .await
        .map_err(|e| GitError::internal(format!("a git task stopped: {e}")))?;
        let location = found(discovered)?
            .filter(|import| import.vcs == "git")
            .map(|import| Location {
                root: import.prefix,
                url: import.repo_url,
                subdir: import.subdir,
            });
        self.discovered
            .remember(module.as_str().to_owned(), location.clone().map(Arc::new));
        Ok(location)
    }
}

/// The repository whose root is the first `depth` elements of `module`, if it has that many.
fn by_depth(template: &str, depth: usize, module: &str) -> Option<Location> {
    let elements: Vec<&str> = module.split('/').collect();
    if depth == 0 || elements.len() < depth {
        return None;
    }
    let root = elements[..depth].join("/");
    let repo = elements[1..depth].join("/");
    Some(Location {
        url: template.replace("{root}", &root).replace("{repo}", &repo),
        root,
        subdir: String::new(),
    })
}

/// Whether `url` is what `template` makes of some root: the text around its placeholder.
fn fits_template(template: &str, url: &str) -> bool {
    let Some((before, after)) = template
        .split_once("{repo}")
        .or_else(|| template.split_once("{root}"))
    else {
        return template == url;
    };
    url.len() > before.len() + after.len()
        && url.starts_with(before)
        && url.ends_with(after)
        && !url[before.len()..url.len() - after.len()].contains(['?', '#', '{'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_depth_names_the_root_and_the_template_the_url() {
        let template = "https://git.corp.example/{repo}.git";
        let at = |module| by_depth(template, 3, module);
        let lib = at("git.corp.example/team/lib/sub/v2").expect("deep enough");
        assert_eq!(lib.root, "git.corp.example/team/lib");
        assert_eq!(lib.url, "https://git.corp.example/team/lib.git");
        assert_eq!(at("git.corp.example/team"), None);
        let whole = by_depth("ssh://{root}", 2, "git.corp.example/a").expect("two elements");
        assert_eq!(whole.url, "ssh://git.corp.example/a");
    }

    #[test]
    fn webhook_urls_fit_the_template() {
        let template = "https://git.corp.example/{repo}.git";
        assert!(fits_template(
            template,
            "https://git.corp.example/team/lib.git"
        ));
        assert!(!fits_template(template, "https://git.corp.example/.git"));
        assert!(!fits_template(
            template,
            "https://other.example/team/lib.git"
        ));
        assert!(!fits_template(
            template,
            "https://git.corp.example/team/lib"
        ));
    }
}
