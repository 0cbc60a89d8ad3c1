//! The token use case, and its hot path. Every connection's owner keeps its hand-out ready,
//! built once from the stored tokens and published (`Arc`) to every caller until anything
//! about the connection changes: a cached token costs a look-up by name, a clock read and a
//! reference count, with no message to the owner, no file access and no copy of the spec, the
//! secrets or the token. Anything else is asked of the connection's owner (`runtime`).
//!
//! The prepared hand-out is forgotten whenever the connection's stored tokens or state change,
//! and not used when the connection's spec is no longer the one it was built for (an edit in
//! this process, or in another one once the engine has looked at the config file again).

use std::sync::Arc;
use std::time::Duration;

use super::runtime::Want;
use super::{Engine, Freshness, Handout, Inner};
use crate::connection::{ConnectionName, ConnectionSpec, ProviderKind};
use crate::error::{Error, Result};
use crate::secret::RejectedToken;

impl Engine {
    /// A token for `name` as fresh as `freshness` asks, renewed first when needed (once for
    /// every caller asking meanwhile): the shared hand-out, built once per token.
    pub async fn token(&self, name: &ConnectionName, freshness: Freshness) -> Result<Arc<Handout>> {
        let spec = self.inner.spec_arc(name.as_str())?;
        if let Some(handout) = self.inner.prepared(&spec, freshness) {
            return Ok(handout);
        }
        Ok(self.inner.serve(&spec, Want::of(freshness)).await?.handout)
    }

    /// The token of `name` when one good enough is at hand, without waiting for anything (no
    /// store, no provider, no file read after the first): `None` when [`Engine::token`] must
    /// be asked instead (unknown connection, tokens not read yet, or due for renewal).
    pub fn token_now(&self, name: &ConnectionName, freshness: Freshness) -> Option<Arc<Handout>> {
        let spec = self.inner.spec_arc(name.as_str()).ok()?;
        self.inner.prepared(&spec, freshness)
    }

    /// [`Engine::token_now`] for a connection that may be handed to other tools
    /// ([`ConnectionSpec::exportable`]); `None` for one that may not, as for any miss.
    pub fn export_token_now(
        &self,
        name: &ConnectionName,
        freshness: Freshness,
    ) -> Option<Arc<Handout>> {
        let spec = self.inner.spec_arc(name.as_str()).ok()?;
        if !spec.exportable() {
            return None;
        }
        self.inner.prepared(&spec, freshness)
    }

    /// A token for `name` after a service refused `rejected` (HTTP 401, ArcGIS 498): when
    /// `rejected` is the connection's current token it is renewed once for every caller
    /// reporting it (single flight, and within the renewal limit of `refresh::window`);
    /// otherwise someone renewed already and the current token is answered as
    /// [`Engine::token`] would (`freshness` as there).
    ///
    /// Errors: `NeedsLogin` for a kind that cannot renew (static, basic: the same token would
    /// come back) or whose renewal needs a person; [`Error::RejectedTooSoon`] when the
    /// current token was renewed (or a renewal tried) less than [`crate::RENEWAL_WINDOW`] ago.
    /// A token refused right after it was made is not a stale token but a wrong one (a
    /// permission, a referer, a clock), and renewing again at once would post the password
    /// (ArcGIS, CDSE) in a loop: the renewal limit holds, nothing is renewed, and the refused
    /// token is not handed out as good either; asking again after the window renews. Plain
    /// requests (no report) still get the current token meanwhile: a 401 from one API (a
    /// missing permission there) does not make the token bad for every caller.
    pub async fn token_rejected(
        &self,
        name: &ConnectionName,
        rejected: &RejectedToken,
        freshness: Freshness,
    ) -> Result<Arc<Handout>> {
        let spec = self.inner.spec_arc(name.as_str())?;
        let stored = self.inner.stored(&spec).await?;
        if let Some(t) = &stored.tokens {
            if !rejected.matches(t.access_token.expose()) {
                return self.token(name, freshness).await;
            }
        } else {
            // None held here yet (a static token is read on first use): get one first.
            let handout = self.token(name, freshness).await?;
            if !rejected.matches(handout.token.expose()) {
                return Ok(handout);
            }
        }
        let cannot = |why: &str| Error::NeedsLogin {
            connection: spec.name.clone(),
            reason: format!("the service refused its token, and {why}"),
            remedy: crate::error::Remedy::for_kind(spec.kind),
        };
        match spec.kind {
            ProviderKind::Static => return Err(cannot("a static token cannot be renewed")),
            ProviderKind::Basic => return Err(cannot("basic credentials cannot be renewed")),
            _ => {}
        }
        let handout = self
            .inner
            .serve(&spec, Want::Rejected(*rejected))
            .await?
            .handout;
        if rejected.matches(handout.token.expose()) {
            return Err(cannot("renewing it gave the same token back"));
        }
        Ok(handout)
    }
}

impl Inner {
    /// The prepared hand-out the connection's owner published, if it was built for `spec` and
    /// its tokens satisfy `min_valid` (or are not due) now.
    fn prepared(&self, spec: &Arc<ConnectionSpec>, freshness: Freshness) -> Option<Arc<Handout>> {
        let ready = self
            .runtimes
            .published(&spec.name, |p| p.ready.clone())
            .flatten()
            .filter(|r| r.built_for(spec))?;
        let now = self.clock.now();
        // `Want::satisfied_by`, with the renewal time worked out once, and the renewal limit
        // (`Renewed::held`): a token renewed moments ago is the best there is.
        let valid = ready.tokens.valid_for(now, Duration::ZERO);
        let want = Want::of(freshness);
        let held = || {
            valid
                && ready
                    .last_attempt
                    .is_some_and(|a| a.holds_at(now) && want.held_by(a))
        };
        let satisfied = match freshness {
            Freshness::AtLeast(d) => ready.tokens.valid_for(now, d) || held(),
            Freshness::NotDue => valid && (ready.renew_at.is_none_or(|at| now < at) || held()),
        };
        satisfied.then(|| ready.handout.clone())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use crate::connection::ProviderKind;
    use crate::engine::{CONFIG_RECHECK, Edit, Engine, EngineOptions, Freshness};
    use crate::error::ErrorCode;
    use crate::paths::Paths;
    use crate::refresh::RENEWAL_WINDOW;
    use crate::secret::{Credentials, Secret};
    use crate::testing::{FakeClock, MemorySecretStore, conn};
    use crate::time::Timestamp;

    const T0: Timestamp = Timestamp::from_secs(1_800_000_000);

    /// An engine over `dir`; two of them over one directory are two processes.
    fn engine(dir: &std::path::Path, store: &MemorySecretStore, clock: &FakeClock) -> Engine {
        let mut options = EngineOptions::new(Paths::under(dir), Arc::new(store.clone()));
        options.clock = Arc::new(clock.clone());
        Engine::new(options)
    }

    async fn add_static(engine: &Engine, name: &str, token: &str, expires_at: &str) {
        let mut secrets = Credentials::new();
        secrets.set("token", Secret::new(token));
        let set = [("expires_at".to_owned(), expires_at.to_owned())];
        engine
            .manage()
            .add(&conn(name), ProviderKind::Static, &set, secrets)
            .await
            .unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_cached_token_is_one_shared_hand_out_until_the_connection_changes() {
        let dir = tempfile::tempdir().unwrap();
        let (store, clock) = (MemorySecretStore::new(), FakeClock::starting_at(T0));
        let engine = engine(dir.path(), &store, &clock);
        add_static(&engine, "key", "tok-one", "2027-06-01T00:00:00Z").await;
        assert!(
            engine.token_now(&conn("key"), Freshness::NotDue).is_none(),
            "not read yet"
        );
        let first = engine.token(&conn("key"), Freshness::NotDue).await.unwrap();
        let again = engine.token(&conn("key"), Freshness::NotDue).await.unwrap();
        assert!(Arc::ptr_eq(&first, &again), "built once, then shared");
        let now = engine.token_now(&conn("key"), Freshness::NotDue).unwrap();
        assert!(Arc::ptr_eq(&first, &now));
        assert_eq!(
            engine
                .token(&conn("key"), Freshness::NotDue)
                .await
                .unwrap()
                .token
                .expose(),
            "tok-one"
        );

        let edit = Edit {
            set: vec![("header_name".to_owned(), "X-Api-Key".to_owned())],
            ..Edit::default()
        };
        engine.manage().edit(&conn("key"), edit).await.unwrap();
        let edited = engine.token(&conn("key"), Freshness::NotDue).await.unwrap();
        assert_eq!(edited.header_name, "X-Api-Key", "an edit is seen at once");
        let mut secrets = Credentials::new();
        secrets.set("token", Secret::new("tok-two"));
        let edit = Edit {
            secrets,
            ..Edit::default()
        };
        engine.manage().edit(&conn("key"), edit).await.unwrap();
        let replaced = engine.token(&conn("key"), Freshness::NotDue).await.unwrap();
        assert_eq!(
            replaced.token.expose(),
            "tok-two",
            "new tokens, new hand-out"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_prepared_token_is_not_used_when_it_does_not_satisfy_the_caller() {
        let dir = tempfile::tempdir().unwrap();
        let (store, clock) = (MemorySecretStore::new(), FakeClock::starting_at(T0));
        let engine = engine(dir.path(), &store, &clock);
        let expires = T0.plus(Duration::from_secs(600)).to_rfc3339();
        add_static(&engine, "key", "tok-one", &expires).await;
        engine.token(&conn("key"), Freshness::NotDue).await.unwrap();
        let ten_min = Some(Duration::from_secs(600));
        assert!(
            engine
                .token_now(&conn("key"), Freshness::from(ten_min))
                .is_some(),
            "obtained just now: the freshest there is, within the renewal window"
        );
        clock.jump(RENEWAL_WINDOW);
        assert!(
            engine
                .token_now(&conn("key"), Freshness::AtLeast(Duration::from_secs(60)))
                .is_some()
        );
        assert!(
            engine
                .token_now(&conn("key"), Freshness::from(ten_min))
                .is_none(),
            "not valid that long"
        );
        assert!(
            engine
                .export_token_now(&conn("key"), Freshness::NotDue)
                .is_some(),
            "exported by default"
        );
        let edit = Edit {
            set: vec![("export".to_owned(), "false".to_owned())],
            ..Edit::default()
        };
        engine.manage().edit(&conn("key"), edit).await.unwrap();
        engine.token(&conn("key"), Freshness::NotDue).await.unwrap();
        assert!(engine.token_now(&conn("key"), Freshness::NotDue).is_some());
        assert!(
            engine
                .export_token_now(&conn("key"), Freshness::NotDue)
                .is_none(),
            "not exported"
        );
        clock.jump(Duration::from_secs(601).saturating_sub(RENEWAL_WINDOW));
        assert!(
            engine.token_now(&conn("key"), Freshness::NotDue).is_none(),
            "expired"
        );
        let err = engine
            .token(&conn("key"), Freshness::NotDue)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::NeedsLogin, "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn another_process_editing_the_config_is_seen_within_the_recheck_interval() {
        let dir = tempfile::tempdir().unwrap();
        let (store, clock) = (MemorySecretStore::new(), FakeClock::starting_at(T0));
        let app = engine(dir.path(), &store, &clock);
        let cli = engine(dir.path(), &store, &clock);
        add_static(&app, "key", "tok-one", "2027-06-01T00:00:00Z").await;
        assert_eq!(
            app.token(&conn("key"), Freshness::NotDue)
                .await
                .unwrap()
                .header_name,
            "Authorization"
        );

        // A connection the app does not know yet is looked for in the file at once.
        add_static(&cli, "new", "tok-new", "2027-06-01T00:00:00Z").await;
        assert_eq!(
            app.token(&conn("new"), Freshness::NotDue)
                .await
                .unwrap()
                .token
                .expose(),
            "tok-new"
        );

        let edit = Edit {
            set: vec![("header_name".to_owned(), "X-Api-Key".to_owned())],
            ..Edit::default()
        };
        cli.manage().edit(&conn("key"), edit).await.unwrap();
        cli.manage().remove(&conn("new")).await.unwrap();
        // Within the interval the app answers from what it read (no file access)…
        assert_eq!(
            app.token(&conn("key"), Freshness::NotDue)
                .await
                .unwrap()
                .header_name,
            "Authorization"
        );
        // …and once it has passed, from the file as the other process left it.
        tokio::time::advance(CONFIG_RECHECK).await;
        assert_eq!(
            app.token(&conn("key"), Freshness::NotDue)
                .await
                .unwrap()
                .header_name,
            "X-Api-Key"
        );
        let gone = app
            .token(&conn("new"), Freshness::NotDue)
            .await
            .unwrap_err();
        assert_eq!(gone.code(), ErrorCode::UnknownConnection);
    }
}
