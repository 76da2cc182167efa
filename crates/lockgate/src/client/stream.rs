//! The ndjson streams of deploy and destroy: progress events, then one
//! result or error line; and, when a deploy's stream breaks, asking the
//! server how that deploy ended (by its client token).

use super::*;

/// A random 64-bit number (for client tokens), from the OS.
fn rand_u64() -> u64 {
    let mut b = [0u8; 8];
    // A token only needs to differ from other deploys' tokens: the clock
    // will do if the OS cannot give random bytes.
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut b))
        .is_err()
    {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        return now;
    }
    u64::from_le_bytes(b)
}
impl Client {
    /// server): answers `None` then.
    pub async fn deploy_until(
        &self,
        app: &str,
        stage: &str,
        req: &DeployRequest,
        mut on_event: impl FnMut(&ProgressEvent),
        mut detach: impl FnMut(&ProgressEvent) -> bool,
    ) -> Result<Option<DeployResult>, ClientError> {
        let what = format!("deploy of {app}/{stage}");
        // A token of our own, so that should the progress stream break we
        // can ask the server how this deploy ended.
        let mut req = req.clone();
        let token = req
            .client_token
            .get_or_insert_with(|| format!("lg-{:016x}{:08x}", rand_u64(), std::process::id()))
            .clone();
        let resp = self
            .send(
                self.request(reqwest::Method::POST, &stage_path(app, stage, "/deploy"))
                    .json(&req),
                &what,
            )
            .await?;
        let mut lines = NdjsonLines::new(resp);
        loop {
            let item = match lines.next::<DeployStreamItem>(&what).await {
                Ok(Some(item)) => item,
                Ok(None) => {
                    let broke = format!("{what}: the server ended the stream without a result");
                    return self.how_it_ended(app, stage, &token, broke).await.map(Some);
                }
                Err(ClientError::Unreachable(broke)) => {
                    return self.how_it_ended(app, stage, &token, broke).await.map(Some);
                }
                Err(e) => return Err(e),
            };
            match item {
                DeployStreamItem::Event(e) => {
                    on_event(&e);
                    if detach(&e) {
                        return Ok(None);
                    }
                }
                DeployStreamItem::Result(r) => return Ok(Some(r)),
                DeployStreamItem::Error(e) => {
                    let status = if e.code.is_internal() { 500 } else { 400 };
                    return Err(error_from_api(status, e, &what));
                }
            }
        }
    }

    /// After a deploy's progress stream broke (`broke` says how): asks the
    /// server how the deploy sent with client token `token` ended
    /// (`GET …/deploys/{token}`), waiting while it runs, instead of calling
    /// a deploy that committed failed. Answers its result, or its error.
    async fn how_it_ended(
        &self,
        app: &str,
        stage: &str,
        token: &str,
        broke: String,
    ) -> Result<DeployResult, ClientError> {
        let what = format!("deploy of {app}/{stage}");
        let path = stage_path(app, stage, &format!("/deploys/{}", encode_segment(token)));
        loop {
            let outcome: Result<DeployOutcome, ClientError> = self
                .typed(self.request(reqwest::Method::GET, &path), &what)
                .await;
            match outcome {
                Ok(o) if o.running => {
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                Ok(DeployOutcome {
                    outcome: Some(DeployStreamItem::Result(mut r)),
                    ..
                }) => {
                    r.warnings.push(format!(
                        "{broke}; the server reports the deploy ended {}",
                        r.status
                    ));
                    return Ok(r);
                }
                Ok(DeployOutcome {
                    outcome: Some(DeployStreamItem::Error(e)),
                    ..
                }) => {
                    let status = if e.code.is_internal() { 500 } else { 400 };
                    return Err(error_from_api(status, e, &what));
                }
                Ok(_) => {
                    return Err(ClientError::Server(format!(
                        "{broke}; the server has no outcome for it"
                    )));
                }
                Err(e) => {
                    return Err(ClientError::Unreachable(format!(
                        "{broke}; asking the server how the deploy ended failed too: {e}"
                    )));
                }
            }
        }
    }
}

/// Reads a response body as newline-delimited JSON, one value at a time.
pub(super) struct NdjsonLines {
    stream:
        std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buf: Vec<u8>,
    done: bool,
}

impl NdjsonLines {
    pub(super) fn new(resp: reqwest::Response) -> NdjsonLines {
        NdjsonLines {
            stream: Box::pin(resp.bytes_stream()),
            buf: Vec::new(),
            done: false,
        }
    }

    /// The next line, read as a `T`; `None` at the end of the body.
    pub(super) async fn next<T: DeserializeOwned>(
        &mut self,
        what: &str,
    ) -> Result<Option<T>, ClientError> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=pos).collect();
                let text = String::from_utf8_lossy(&line);
                let text = text.trim();
                if text.is_empty() {
                    continue;
                }
                return parse_line(text, what).map(Some);
            }
            if self.done {
                let rest = std::mem::take(&mut self.buf);
                let text = String::from_utf8_lossy(&rest);
                let text = text.trim();
                if text.is_empty() {
                    return Ok(None);
                }
                return parse_line(text, what).map(Some);
            }
            match self.stream.next().await {
                Some(Ok(chunk)) => self.buf.extend_from_slice(&chunk),
                Some(Err(e)) => {
                    return Err(ClientError::Unreachable(format!(
                        "{what}: the connection to the server broke: {}",
                        error_chain(&e)
                    )));
                }
                None => self.done = true,
            }
        }
    }
}

/// One line of a stream, read as a `T`.
fn parse_line<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, ClientError> {
    serde_json::from_str(text).map_err(|e| {
        ClientError::Server(format!(
            "{what}: the server sent a line this client does not read ({e}): {text}"
        ))
    })
}

/// Reads a deploy/destroy stream to its end: events to `on_event`, then
/// the result, or the error line as a [`ClientError`].
pub(super) async fn finish_stream(
    resp: reqwest::Response,
    what: &str,
    mut on_event: impl FnMut(&ProgressEvent),
) -> Result<DeployResult, ClientError> {
    let mut lines = NdjsonLines::new(resp);
    while let Some(item) = lines.next::<DeployStreamItem>(what).await? {
        match item {
            DeployStreamItem::Event(e) => on_event(&e),
            DeployStreamItem::Result(r) => return Ok(r),
            // The stream has already said 200: the code tells user errors
            // (bad request, invalid template, failed and rolled back) from
            // the server's own.
            DeployStreamItem::Error(e) => {
                let status = if e.code.is_internal() { 500 } else { 400 };
                return Err(error_from_api(status, e, what));
            }
        }
    }
    Err(ClientError::Server(format!(
        "{what}: the server ended the stream without a result"
    )))
}
