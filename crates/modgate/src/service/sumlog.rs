//! The private checksum database as clients reach it (`/sumdb/<name>/…`): who may read what,
//! and lookups of versions the log does not hold yet.
//!
//! The log names private modules, so it is behind the modules' own sign-in: `supported`,
//! `latest` and hash tiles for a caller who may read some route; a lookup for one who may read
//! the module's route; data tiles, which list every record, for admins only. A lookup of a
//! version not logged yet is answered as a download of it would be (the route's source,
//! filters and refusals; but a private name is never a 404, not even next to a module the
//! route holds, where a download's 404 serves import resolution), then logged from what is
//! stored: a version copied into the tree, or a public one fetched and checked against the
//! public database, enters the log on its first lookup.

use bytes::Bytes;
use gomod::tlog::{self, TILE_HEIGHT};
use gomod::{ModulePath, ModuleVersion};

use super::publish::write_refusal;
use super::{Answer, Caller, Failure, IfAbsent, Refusal, Request, Service, refused};
use crate::auth::{Action, Principal};
use crate::sumdb::{BINARY, NO_CACHE, SumdbAnswer, SumdbError, TEXT, parse_lookup};
use crate::sumlog::{LogError, Sumlog};

/// Tiles never change; answers behind a sign-in are for the client's cache alone.
const PRIVATE_IMMUTABLE: &str = "private, max-age=31536000, immutable";
/// A lookup's record never changes, but its signed tree head ages.
const PRIVATE_SHORT_LIVED: &str = "private, max-age=60";

impl Service {
    /// Answers `rest` of `/sumdb/<the log's name>/<rest>`.
    pub(super) async fn private_sumdb(
        &self,
        log: &Sumlog,
        caller: &Caller,
        rest: &str,
    ) -> Result<SumdbAnswer, Refusal> {
        let answer = |body, content_type, cache_control| SumdbAnswer {
            body,
            content_type,
            cache_control,
        };
        self.may_use_log(caller)?;
        if rest == "supported" {
            return Ok(answer(Bytes::new(), TEXT, PRIVATE_SHORT_LIVED));
        }
        if rest == "latest" {
            let head = log.latest().await.map_err(|e| log_failed(log, e))?;
            return Ok(answer(head, TEXT, NO_CACHE));
        }
        if let Some(spec) = rest.strip_prefix("lookup/") {
            let version = parse_lookup(spec).map_err(|e| self.malformed_lookup(caller, spec, e))?;
            let body = self.lookup(log, caller, &version).await?;
            return Ok(answer(body, TEXT, PRIVATE_SHORT_LIVED));
        }
        let tile = tlog::parse_tile_path(rest)
            .ok()
            .filter(|t| t.h == TILE_HEIGHT)
            .ok_or_else(|| {
                Refusal::NotFound(format!("sumdb/{}/{rest}: no such path", log.name()))
            })?;
        let kind = if tile.l < 0 {
            self.may_list_log(caller)?;
            "data"
        } else {
            "hash"
        };
        metrics::counter!("modgate_sumlog_tiles_total", "kind" => kind).increment(1);
        match log.tile(tile).await.map_err(|e| log_failed(log, e))? {
            Some(data) => Ok(answer(data, BINARY, PRIVATE_IMMUTABLE)),
            None => Err(Refusal::NotFound(format!(
                "sumdb/{}/{rest}: beyond the tree",
                log.name()
            ))),
        }
    }

    /// The lookup answer for `version`, logging it first if it is stored (or fetchable) and
    /// not logged yet.
    async fn lookup(
        &self,
        log: &Sumlog,
        caller: &Caller,
        version: &ModuleVersion,
    ) -> Result<Bytes, Refusal> {
        self.may_read(caller, version.path())?;
        let counted = |result: &'static str| {
            metrics::counter!("modgate_sumlog_lookups_total", "result" => result).increment(1);
        };
        if let Some(body) = log.lookup(version).await.map_err(|e| log_failed(log, e))? {
            counted("found");
            return Ok(body);
        }
        let zip = match self.get(caller, Ok(&Request::Zip(version.clone()))).await {
            Ok(Answer::Zip(zip)) => zip,
            Ok(_) => return Err(internal(version, "a zip request answered something else")),
            // A download near a module a private route holds is a 404, for the go command's
            // import resolution; that never looks a version up, so a lookup is refused.
            Err(Refusal::NotFound(reason)) if self.refuses_absent(version) => {
                counted("refused");
                return Err(Refusal::NotHere(reason));
            }
            Err(refusal) => {
                counted("refused");
                return Err(refusal);
            }
        };
        // A source that stored the version just now has logged it through the writer.
        if let Some(body) = log.lookup(version).await.map_err(|e| log_failed(log, e))? {
            counted("fetched");
            return Ok(body);
        }
        self.writer
            .log_stored(version, zip)
            .await
            .map_err(|e| write_refusal(version, e))?;
        counted("appended");
        log.lookup(version)
            .await
            .map_err(|e| log_failed(log, e))?
            .ok_or_else(|| internal(version, "logged, then not found in the log"))
    }

    /// Whether the route of `version` refuses what it does not hold (a private route).
    fn refuses_absent(&self, version: &ModuleVersion) -> bool {
        self.routes
            .find(version.path().as_str())
            .is_some_and(|route| route.if_absent != IfAbsent::NotFound)
    }

    /// The refusal of a lookup that does not parse: routed by the module it names, as a
    /// malformed GOPROXY request is, so a route the caller may not read refuses before the
    /// answer says what is wrong.
    fn malformed_lookup(&self, caller: &Caller, spec: &str, error: SumdbError) -> Refusal {
        let module = spec
            .split_once('@')
            .and_then(|(module, _)| ModulePath::from_escaped(module).ok());
        if let Some(module) = module
            && let Err(refusal) = self.may_read(caller, &module)
        {
            return refusal;
        }
        Refusal::Malformed(error.to_string())
    }

    /// Whether `caller` may read the log's heads and hash tiles: it may read some route.
    fn may_use_log(&self, caller: &Caller) -> Result<(), Refusal> {
        let mut denied = None;
        for route in self.routes.iter() {
            match self.auth.authorize(
                &route.access,
                Action::Read,
                &caller.principal,
                caller.address,
            ) {
                Ok(()) => return Ok(()),
                Err(denial) => {
                    denied.get_or_insert(denial);
                }
            }
        }
        Err(denied.map_or_else(
            || Refusal::Forbidden("this proxy serves no modules".to_owned()),
            refused,
        ))
    }

    /// Whether `caller` may read data tiles, which list every module the log holds.
    fn may_list_log(&self, caller: &Caller) -> Result<(), Refusal> {
        match &caller.principal {
            _ if self.auth.is_admin(&caller.principal) => Ok(()),
            Principal::Anonymous => Err(Refusal::Unauthenticated(
                "data tiles list every module: sign in as an admin".to_owned(),
            )),
            _ => Err(Refusal::Forbidden(
                "data tiles list every module: for admins only".to_owned(),
            )),
        }
    }
}

fn log_failed(log: &Sumlog, error: LogError) -> Refusal {
    Refusal::Failed(Failure::new(
        error.kind(),
        format!("sumdb/{}", log.name()),
        error,
    ))
}

fn internal(version: &ModuleVersion, cause: &str) -> Refusal {
    Refusal::Failed(Failure::new(
        super::FailureKind::Internal,
        version.to_string(),
        cause,
    ))
}
