//! The federated credentials of single applications, read from beta through `$batch` (20 per
//! batch): for an application the beta list missed. An item Graph refused (a 403 or 404 for
//! one app) shows that app as failed; an item throttled is asked again after its
//! `Retry-After`; a batch that fails whole for another reason fails the load.
//!
//! May import what `graph` imports.

use super::*;

impl Graph {
    /// The federated credentials of `apps` (object ids), each read alone from beta through
    /// `$batch`. Returns what was read, the apps that failed (with why: an item Graph refused,
    /// e.g. a 403 or 404 for one app), and the FICs left out. A batch that fails whole for
    /// another reason than a missing permission (the network, a 5xx after retries, throttling
    /// past the cap) fails the load, as the lists do: "shown as none" is only for an app
    /// Graph answered about.
    #[allow(clippy::type_complexity)]
    pub async fn fics_of(
        &self,
        apps: &[String],
        progress: &Progress,
    ) -> Result<
        (
            HashMap<String, Vec<FederatedIdentityCredential>>,
            Vec<(String, String)>,
            Vec<Rejected>,
        ),
        Error,
    > {
        let total = apps.len() as u64;
        let mut read: HashMap<String, Vec<FederatedIdentityCredential>> = HashMap::new();
        let mut failed: Vec<(String, String)> = Vec::new();
        let mut rejected: Vec<Rejected> = Vec::new();
        let mut pending: Vec<String> = apps.to_vec();
        let mut waited = Duration::ZERO;
        let mut round = 0u32;
        progress.report(FIC_STAGE, 0, Some(total));
        while !pending.is_empty() {
            // Collected first: a stream over a borrowing closure would make this future
            // not `Send`.
            let batches: Vec<_> = pending
                .chunks(BATCH_SIZE)
                .map(|chunk| self.fic_batch(chunk.to_vec()))
                .collect();
            let outcomes: Vec<Result<Vec<(String, Item)>, Error>> = futures::stream::iter(batches)
                .buffer_unordered(self.batch_concurrency.max(1))
                .collect()
                .await;
            let outcomes = outcomes.into_iter().collect::<Result<Vec<_>, Error>>()?;
            let mut again = Vec::new();
            let mut delay: Option<Duration> = None;
            for (app, item) in outcomes.into_iter().flatten() {
                match item {
                    Item::Read(fics, left_out) => {
                        read.insert(app, fics);
                        rejected.extend(left_out);
                    }
                    Item::Retry(after) => {
                        delay = delay.max(Some(after.unwrap_or(self.svc.settings.initial_delay)));
                        again.push(app);
                    }
                    Item::Failed(why) => failed.push((app, why)),
                }
            }
            progress.report(FIC_STAGE, read.len() as u64, Some(total));
            pending = again;
            if pending.is_empty() {
                break;
            }
            // Graph counts requests made while throttled, so wait before re-submitting.
            let delay = delay.unwrap_or(self.svc.settings.initial_delay);
            round += 1;
            if round > self.svc.settings.max_retries
                || waited + delay > self.svc.settings.max_total_wait
            {
                return Err(Error::Throttled {
                    retry_after_secs: delay.as_secs().max(1),
                });
            }
            waited += delay;
            tokio::time::sleep(delay).await;
        }
        Ok((read, failed, rejected))
    }

    /// One `$batch` of beta FIC reads; each app's outcome, or the error that failed the whole
    /// batch when it is not a missing permission.
    async fn fic_batch(&self, apps: Vec<String>) -> Result<Vec<(String, Item)>, Error> {
        let requests: Vec<serde_json::Value> = apps
            .iter()
            .enumerate()
            .map(|(i, app)| {
                serde_json::json!({
                    "id": (i + 1).to_string(),
                    "method": "GET",
                    "url": format!("/applications/{}/federatedIdentityCredentials", segment(app)),
                })
            })
            .collect();
        let body = serde_json::json!({ "requests": requests });
        let url = format!("{}/$batch", self.beta);
        let response: wire::BatchResponse = match self
            .svc
            .read_json(Method::Post, &url, &[], Some(&body), Need::GraphRead)
            .await
        {
            Ok(r) => r,
            Err(Error::Throttled { retry_after_secs }) => {
                let after = Duration::from_secs(retry_after_secs);
                return Ok(apps
                    .into_iter()
                    .map(|a| (a, Item::Retry(Some(after))))
                    .collect());
            }
            Err(e) if e.is_missing_permission() => {
                let why = e.to_string();
                return Ok(apps
                    .into_iter()
                    .map(|a| (a, Item::Failed(why.clone())))
                    .collect());
            }
            Err(e) => return Err(e),
        };
        let mut by_id: HashMap<String, wire::BatchItem> = response
            .responses
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        Ok(apps
            .into_iter()
            .enumerate()
            .map(|(i, app)| {
                let item = match by_id.remove(&(i + 1).to_string()) {
                    None => Item::Retry(None),
                    Some(r) => fic_item(r, &app),
                };
                (app, item)
            })
            .collect())
    }
}

enum Item {
    /// The FICs read, and the ones left out.
    Read(Vec<FederatedIdentityCredential>, Vec<Rejected>),
    Retry(Option<Duration>),
    Failed(String),
}

/// One app's item of a FIC `$batch`.
fn fic_item(r: wire::BatchItem, app: &str) -> Item {
    #[derive(Deserialize)]
    struct Values {
        #[serde(default, deserialize_with = "null_as_empty")]
        value: Vec<serde_json::Value>,
    }
    match r.status {
        200..=299 => match serde_json::from_value::<Values>(r.body) {
            Ok(page) => {
                let (fics, rejected) = fics_leniently(page.value, &format!("application {app}"));
                Item::Read(fics, rejected)
            }
            Err(e) => Item::Failed(format!(
                "unreadable batch item ({})",
                crate::backend::wire::redact_strings(&e.to_string())
            )),
        },
        429 | 503 | 504 => Item::Retry(retry::retry_after_in(&r.headers)),
        status => {
            let code = r
                .body
                .pointer("/error/code")
                .and_then(|c| c.as_str())
                .unwrap_or("");
            Item::Failed(crate::sanitize::display(&format!("HTTP {status} {code}")).into())
        }
    }
}
